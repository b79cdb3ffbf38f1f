/**
 * TCP ports a runtime speaks to its function over (scf-go-lib's net/rpc, the custom Runtime API), kept
 * inside the sandbox's network namespace: nothing on the host, and no other function, can reach them.
 * The gateway's end is a Unix socket in the process's private folder (bound into the sandbox at the same
 * path, invisible to other sandboxes); `socat`, started inside before the function's command, joins it to
 * the TCP port the function's code uses:
 * - the function listens (Go): socat listens on the Unix socket and, per connection, connects to
 *   127.0.0.1:port, retrying until the function listens;
 * - the function connects (custom runtime): socat listens on 127.0.0.1:port (the command starts once it
 *   does) and, per connection, connects to the gateway's Unix socket, retrying until it exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PortForward {
  port: number;
  /** true: the function connects to the port and the gateway serves it; false: the function listens. */
  toGateway: boolean;
}

export const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].find((path) => existsSync(path));
/** How often socat retries a connection, and how long the command waits for socat's listener (seconds). */
const RETRY_INTERVAL_S = '0.005';
const LISTEN_WAIT_ROUNDS = 400;

/** The Unix socket of `port` in a process's private folder. */
export const forwardSocket = (privateDir: string, port: number): string => join(privateDir, `fngate-port-${port}.sock`);

/** /proc/net/tcp's spelling of a socket listening on 127.0.0.1:port. */
const listeningLine = (port: number): string => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`;

/**
 * The `sh -c` script that starts the forwarders in the background, waits for the listening ones, and execs
 * the command (its words follow as "$@"); `mergeStderr` sends the command's stderr to its stdout.
 */
export function forwardScript(forwards: readonly PortForward[], privateDir: string, mergeStderr: boolean): string {
  if (!SOCAT) throw new Error('socat is not installed: the sandbox cannot forward the runtime\'s port (Debian: apt-get install socat)');
  // socat's address syntax gives `:` and `,` a meaning, the shell `'`: a folder from mkdtemp has none.
  if (/[':,\s]/.test(privateDir)) throw new Error(`the private folder ${privateDir} cannot be named to socat`);
  const lines: string[] = [];
  for (const { port, toGateway } of forwards) {
    const socket = forwardSocket(privateDir, port);
    const pair = toGateway
      ? `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork 'UNIX-CONNECT:${socket},forever,interval=${RETRY_INTERVAL_S}'`
      : `'UNIX-LISTEN:${socket},fork,unlink-early' TCP:127.0.0.1:${port},forever,interval=${RETRY_INTERVAL_S}`;
    lines.push(`${SOCAT} ${pair} 2>/dev/null </dev/null &`);
    if (toGateway) {
      lines.push(`i=0; until grep -q '${listeningLine(port)}' /proc/net/tcp || [ $i -ge ${LISTEN_WAIT_ROUNDS} ]; do i=$((i+1)); sleep ${RETRY_INTERVAL_S}; done`);
    }
  }
  lines.push(mergeStderr ? 'exec "$@" 2>&1' : 'exec "$@"');
  return lines.join('\n');
}
