/**
 * Whether a TCP connection accepted by the gateway comes from a sandbox. A sandbox reaches the host's
 * loopback through its pasta (network.ts): the gateway then sees an ordinary loopback client, and only the
 * socket's owner tells them apart. The kernel's socket table (/proc/net/tcp, tcp6) names the inode of the
 * client's socket; a pasta process holding that inode among its fds made the connection.
 *
 * Costs nothing while no pasta maps the host's loopback, nor for clients that are not on loopback or are
 * not root's (pasta runs as root when the gateway does); otherwise one read of the socket table and a
 * look at each live pasta's fds (~80 each), once per accepted connection, not per request.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

/** The uid and inode of the socket whose local end is address:port, from one table. */
function socketOwner(table: string, localHex: string): { uid: number; inode: string } | undefined {
  let text: string;
  try {
    text = readFileSync(table, 'latin1');
  } catch {
    return undefined;
  }
  // `  12: <local> <remote> …`: the local address follows the slot number's colon.
  const at = text.indexOf(`: ${localHex} `);
  if (at < 0) return undefined;
  const line = text.slice(at + 2, text.indexOf('\n', at)).trim().split(/\s+/);
  // local rem st tx:rx tr:when retrnsmt uid timeout inode
  const uid = Number(line[6]);
  const inode = line[8];
  return inode === undefined || Number.isNaN(uid) ? undefined : { uid, inode };
}

function holds(pid: number, link: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

/** Whether the client at remoteAddress:remotePort (as the gateway's socket sees it) is a sandbox's pasta. */
export function fromSandbox(remoteAddress: string | undefined, remotePort: number | undefined): boolean {
  const pastas = loopbackPastaPids();
  if (pastas.size === 0 || remoteAddress === undefined || remotePort === undefined || !isLoopback(remoteAddress)) return false;
  const port = remotePort.toString(16).toUpperCase().padStart(4, '0');
  const v4 = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
  const owner = isIPv4(v4) ? socketOwner('/proc/net/tcp', `${ipv4Hex(v4)}:${port}`) : socketOwner('/proc/net/tcp6', `${IPV6_LOOPBACK_HEX}:${port}`);
  // pasta runs with the gateway's own uid (root keeps root: network.ts).
  if (!owner || owner.uid !== (process.getuid?.() ?? -1)) return false;
  const link = `socket:[${owner.inode}]`;
  for (const pid of pastas) if (holds(pid, link)) return true;
  return false;
}
