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
 * for ~300 ms, the p99 of the web benchmark.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { statFields } from '../subprocess/memory.ts';
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

/** The two ends of an accepted connection, as a node socket names them. */
export interface ConnectionEnds {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

/** A loopback end as /proc/net/tcp (v4, IPv4-mapped addresses unwrapped) or tcp6 (::1) writes it. */
function tableAddress(address: string, port: number): { hex: string; v6: boolean } {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) ? { hex: `${ipv4Hex(v4)}:${portHex}`, v6: false } : { hex: `${IPV6_LOOPBACK_HEX}:${portHex}`, v6: true };
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1';
}

/**
 * The uid and inode of the socket from `clientHex` to `gatewayHex` (`ADDR:PORT` each), in one table's text.
 * Both ends, not the client's alone: the client's port may also be the local port of other sockets, such
 * as connections to elsewhere in TIME_WAIT (no owner, inode 0) that a busy machine reuses ports alongside.
 */
function socketOwner(text: string, clientHex: string, gatewayHex: string): { uid: number; inode: string } | undefined {
  // `  12: <local> <remote> …`: the local address follows the slot number's colon.
  const at = text.indexOf(`: ${clientHex} ${gatewayHex} `);
  if (at < 0) return undefined;
  const line = text.slice(at + 2, text.indexOf('\n', at)).trim().split(/\s+/);
  // local rem st tx:rx tr:when retrnsmt uid timeout inode
  const uid = Number(line[6]);
  const inode = line[8];
  return inode === undefined || Number.isNaN(uid) ? undefined : { uid, inode };
}

interface WalkedProcess {
  /** /proc/<pid>/schedstat when the walk began: time on the CPU and timeslices. */
  ran: string;
  sockets: Set<string>;
}

/** The `socket:[inode]` links of every pasta walked, by pid, and how long it had run then. */
const walked = new Map<number, WalkedProcess>();

/** The `socket:[inode]` links among the fds of `pid`; undefined when it is gone. */
function socketsOf(pid: number): Set<string> | undefined {
  // Whether the pid is asleep, read before its schedstat: a sleeping process's time on the CPU was
  // brought up to date when it last stopped running (a running one's may lag by its current slice).
  const asleep = statFields(pid)?.[0] === 'S';
  let ran: string;
  try {
    ran = readFileSync(`/proc/${pid}/schedstat`, 'latin1');
  } catch {
    return undefined;
  }
  // A process that has not run since its last walk has the same fds: only the process itself opens,
  // connects or closes them (pasta's helpers in other namespaces share its fd table but run while it
  // waits on them, which counts as its running). A pasta that made a connection being checked ran before
  // the check began, so it cannot look unchanged; running during a walk changes its time for the next.
  const known = walked.get(pid);
  if (asleep && known !== undefined && known.ran === ran) return known.sockets;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const sockets = new Set<string>();
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:')) sockets.add(link);
    } catch {
      // Closed meanwhile.
    }
  }
  walked.set(pid, { ran, sockets });
  return sockets;
}

/**
 * Which of `wanted` (`socket:[inode]` links) the processes `pids` hold among their fds. Each pasta holds
 * ~200 fds (its pools of pre-opened sockets and pipes): with 50 sandboxes a full walk is ~11,000
 * readlinks, ~100 ms of the event loop on the development VM, once per batch of accepted connections
 * (bench/results/python-budget.md). So a pasta is walked again only if it has run since its last walk:
 * idle ones have not, between the batches of a burst. (Through fs.promises, one thread-pool round trip and
 * one promise per fd, a walk took several times as long while requests were in flight.)
 */
function heldAmong(pids: ReadonlySet<number>, wanted: ReadonlySet<string>): Set<string> {
  for (const pid of walked.keys()) if (!pids.has(pid)) walked.delete(pid);
  const found = new Set<string>();
  for (const pid of pids) {
    const sockets = socketsOf(pid);
    if (sockets !== undefined) for (const link of wanted) if (sockets.has(link)) found.add(link);
  }
  return found;
}

const readTable = (path: string): Promise<string> => readFile(path, 'latin1').catch(() => '');

interface PendingPeer {
  /** The client's end as the tables write it: `ADDR:PORT` in hex. */
  clientHex: string;
  /** The gateway's end of the same connection, the same way. */
  gatewayHex: string;
  v6: boolean;
  resolve(fromSandbox: boolean): void;
}

/**
 * How long the first connection of a burst waits for the rest before the table is read. The walk of the
 * pastas' fds is the cost: each pasta holds ~200 (its pools of pre-opened sockets and pipes), so with 50
 * sandboxes one walk is ~11,000 readlinks, ~90 ms of the event loop on the development VM. Read at once,
 * a load generator opening 50 connections got one walk per connection accepted during the previous walk:
 * five stalls of 120–150 ms in a row, the p99 of the python-http benchmark (bench/results/python-budget.md).
 */
export const GATHER_MS = 3;

/**
 * Batches the question across connections: a read answers every connection accepted before it started
 * (the kernel lists a connection once `accept` returned it); those accepted during a read wait for the next.
 */
export class SandboxPeers {
  #waiting: PendingPeer[] = [];
  #reading = false;
  #gathering: NodeJS.Timeout | undefined;
  readonly #pastaPids: () => ReadonlySet<number>;

  /** @param pastaPids the processes whose connections count as a sandbox's (tests name their own) */
  constructor(pastaPids: () => ReadonlySet<number> = loopbackPastaPids) {
    this.#pastaPids = pastaPids;
  }

  /**
   * Whether the client of `connection` (an accepted socket of the gateway) is a sandbox's pasta: `false` at
   * once when it cannot be (no pasta maps the host's loopback, or not a loopback client).
   */
  check(connection: ConnectionEnds): false | Promise<boolean> {
    const { remoteAddress, remotePort, localAddress, localPort } = connection;
    if (this.#pastaPids().size === 0 || remoteAddress === undefined || remotePort === undefined || !isLoopback(remoteAddress)) return false;
    if (localAddress === undefined || localPort === undefined) return false;
    const client = tableAddress(remoteAddress, remotePort);
    const gateway = tableAddress(localAddress, localPort);
    return new Promise((resolve) => {
      this.#waiting.push({ clientHex: client.hex, gatewayHex: gateway.hex, v6: client.v6, resolve });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#reading || this.#gathering !== undefined) return;
    this.#gathering = setTimeout(() => {
      this.#gathering = undefined;
      void this.#read();
    }, GATHER_MS);
  }

  async #read(): Promise<void> {
    this.#reading = true;
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      const [tcp, tcp6] = await Promise.all([readTable('/proc/net/tcp'), batch.some((peer) => peer.v6) ? readTable('/proc/net/tcp6') : '']);
      const uid = process.getuid?.() ?? -1;
      const suspects: Array<[PendingPeer, string]> = [];
      for (const peer of batch) {
        const owner = socketOwner(peer.v6 ? tcp6 : tcp, peer.clientHex, peer.gatewayHex);
        // pasta runs with the gateway's own uid (root keeps root: network.ts).
        if (!owner || owner.uid !== uid) peer.resolve(false);
        else suspects.push([peer, `socket:[${owner.inode}]`]);
      }
      if (suspects.length === 0) return;
      const held = heldAmong(this.#pastaPids(), new Set(suspects.map(([, link]) => link)));
      for (const [peer, link] of suspects) peer.resolve(held.has(link));
    } finally {
      this.#reading = false;
      if (this.#waiting.length > 0) this.#schedule();
    }
  }
}
