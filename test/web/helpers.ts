/** HTTP and WebSocket clients for the web function tests: node:http (fetch cannot set Host) and raw sockets. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { probeBwrap } from '../../runtimes/sandbox/bwrap.ts';
import { AUTH_HEADERS } from '../helpers/gateway.ts';

/** Tests whose fixtures call /var/lang/… paths need the sandbox; fallback.test.ts covers the host-port mode. */
export const NEEDS_SANDBOX: { skip?: string } = probeBwrap('bwrap').available
  ? {}
  : { skip: 'bubblewrap cannot build namespaces here' };

export const webFixture = (name: string): string => fileURLToPath(new URL(`../fixtures/web/${name}`, import.meta.url));

export interface SimpleResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export function request(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Log lines of one request, as the management API returns them. */
export async function requestLog(base: string, name: string, requestId: string, namespace = 'default'): Promise<string[]> {
  const response = await request(base, `/functions/${name}/logs?namespace=${namespace}&requestId=${requestId}`, { headers: { ...AUTH_HEADERS } });
  return (response.json as { lines: Array<{ line: string }> }).lines.map((entry) => entry.line);
}

/** Open a WebSocket by hand (Node 20 has no client): the handshake, then frames. */
export async function openWebSocket(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; head: string; accepted: boolean; send(text: string): Promise<string>; close(): Promise<void> }> {
  const { hostname, port } = new URL(base);
  const socket = net.connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  const extra = Object.entries({ Host: `${hostname}:${port}`, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(
    `GET ${path} HTTP/1.1\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  socket.on('data', (data) => {
    buffered = Buffer.concat([buffered, data]);
    waiting?.();
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => waiting?.());
  const waitFor = async (ready: () => boolean): Promise<void> => {
    while (!ready()) {
      if (socket.destroyed) throw new Error('socket closed');
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  await waitFor(() => buffered.includes('\r\n\r\n'));
  const end = buffered.indexOf('\r\n\r\n');
  const head = buffered.subarray(0, end).toString('latin1');
  buffered = buffered.subarray(end + 4);
  const status = Number(head.split(' ')[1]);
  const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC11D65`).digest('base64');
  const accepted = new RegExp(`^sec-websocket-accept: ${expected.replace(/[+/=]/g, '\\$&')}$`, 'im').test(head);
  const frame = (opcode: number, payload: Buffer): Buffer => {
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
  };
  return {
    status,
    head,
    accepted,
    async send(text) {
      socket.write(frame(0x1, Buffer.from(text)));
      await waitFor(() => buffered.length >= 2 && buffered.length >= 2 + (buffered[1]! & 0x7f));
      const length = buffered[1]! & 0x7f;
      const payload = buffered.subarray(2, 2 + length).toString('utf8');
      buffered = buffered.subarray(2 + length);
      return payload;
    },
    async close() {
      socket.write(frame(0x8, Buffer.alloc(0)));
      await ended;
    },
  };
}

/** Host pids whose command line mentions `marker` (to prove an instance's processes are gone). */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) found.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

/** Every process below `root` (children, their children …), by the parent pids in /proc/<pid>/stat. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether `pid` is a live process (a killed one may linger as a zombie until its new parent reaps it). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The processes below `root` whose command line contains `marker` (other test files run theirs meanwhile). */
export function descendantsMentioning(root: number, marker: string): number[] {
  const mentioning = new Set(processesMentioning(marker));
  return descendantsOf(root).filter((pid) => mentioning.has(pid));
}
