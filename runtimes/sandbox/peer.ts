/**
 * Whether a TCP connection accepted by the gateway comes from a sandbox. A sandbox reaches the host's
 * loopback through its pasta (network.ts): the gateway then sees an ordinary loopback client, and only the
 * socket's owner tells them apart. The kernel's socket table (/proc/net/tcp, tcp6) names the inode of the
 * client's socket; a pasta process holding that inode among its fds made the connection.
 *
 * Costs nothing while no pasta maps the host's loopback, nor for clients that are not on loopback.
 * Otherwise the table is read off the event loop, once for every connection accepted meanwhile.
 * Why: the kernel builds /proc/net/tcp by walking its whole established-connection hash (262,144 buckets
 * on a 24 GB machine), 2–6 ms per read whatever the number of sockets. Read synchronously per accepted
 * connection, that blocked every other connection of the gateway: 50 clients connecting at once stalled it
 * for ~300 ms, the p99 of the web benchmark (bench/results/web-budget.md).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { loopbackPastaPids } from './network.ts';

/** `127.0.0.1` → `0100007F` as /proc/net/tcp writes it (the address's bytes, little-endian). */
function ipv4Hex(address: string): string {
  return address
    .split('.')
    .map((part) => Number(part).toString(16).toUpperCase().padStart(2, '0'))
    .reverse()
    .join('');
}

/** `::1` → the four 32-bit words of /proc/net/tcp6, each little-endian; only ::1 is needed here. */
const IPV6_LOOPBACK_HEX = '00000000000000000000000001000000';

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1';
}

/** The uid and inode of the socket whose local end is `localHex` (`ADDR:PORT`), in one table's text. */
function socketOwner(text: string, localHex: string): { uid: number; inode: string } | undefined {
  // `  12: <local> <remote> …`: the local address follows the slot number's colon.
  const at = text.indexOf(`: ${localHex} `);
  if (at < 0) return undefined;
  const line = text.slice(at + 2, text.indexOf('\n', at)).trim().split(/\s+/);
  // local rem st tx:rx tr:when retrnsmt uid timeout inode
  const uid = Number(line[6]);
  const inode = line[8];
  return inode === undefined || Number.isNaN(uid) ? undefined : { uid, inode };
}

/** The `socket:[inode]` links among the fds of `pids`. */
function heldSockets(pids: ReadonlySet<number>): Set<string> {
  const links = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:')) links.add(link);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return links;
}

const readTable = (path: string): Promise<string> => readFile(path, 'latin1').catch(() => '');

interface PendingPeer {
  /** The client's end as the tables write it: `ADDR:PORT` in hex. */
  localHex: string;
  v6: boolean;
  resolve(fromSandbox: boolean): void;
}

/**
 * Batches the question across connections: a read answers every connection accepted before it started
 * (the kernel lists a connection once `accept` returned it); those accepted during a read wait for the next.
 */
export class SandboxPeers {
  #waiting: PendingPeer[] = [];
  #reading = false;

  /**
   * Whether the client at remoteAddress:remotePort (as the gateway's socket sees it) is a sandbox's pasta:
   * `false` at once when it cannot be (no pasta maps the host's loopback, or not a loopback client).
   */
  check(remoteAddress: string | undefined, remotePort: number | undefined): false | Promise<boolean> {
    if (loopbackPastaPids().size === 0 || remoteAddress === undefined || remotePort === undefined || !isLoopback(remoteAddress)) return false;
    const port = remotePort.toString(16).toUpperCase().padStart(4, '0');
    const v4 = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    const v6 = !isIPv4(v4);
    const localHex = v6 ? `${IPV6_LOOPBACK_HEX}:${port}` : `${ipv4Hex(v4)}:${port}`;
    return new Promise((resolve) => {
      this.#waiting.push({ localHex, v6, resolve });
      if (!this.#reading) void this.#read();
    });
  }

  async #read(): Promise<void> {
    this.#reading = true;
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      const [tcp, tcp6] = await Promise.all([readTable('/proc/net/tcp'), batch.some((peer) => peer.v6) ? readTable('/proc/net/tcp6') : '']);
      const uid = process.getuid?.() ?? -1;
      let pastaSockets: Set<string> | undefined;
      for (const peer of batch) {
        const owner = socketOwner(peer.v6 ? tcp6 : tcp, peer.localHex);
        // pasta runs with the gateway's own uid (root keeps root: network.ts).
        if (!owner || owner.uid !== uid) {
          peer.resolve(false);
          continue;
        }
        pastaSockets ??= heldSockets(loopbackPastaPids());
        peer.resolve(pastaSockets.has(`socket:[${owner.inode}]`));
      }
    } finally {
      this.#reading = false;
      if (this.#waiting.length > 0) void this.#read();
    }
  }
}
