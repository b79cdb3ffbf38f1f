/** What the hostile-function and connection tests share. */
import { connect, type Socket } from 'node:net';
export { descendantsMentioning, descendantsOf, isRunning, processesMentioning as processesWith } from '../web/helpers.ts';
export { waitFor } from '../runtimes/subprocess.cases.ts';

/** A `sleep` argument no other process has: the marker of a process a function starts. */
export const uniqueSleep = (): string => `300.${process.pid}${Math.floor(Math.random() * 1e9)}`;

/** A raw connection to the gateway: what it was sent so far, and when it was closed. */
export interface RawConnection {
  socket: Socket;
  received: string;
  /** The ms from opening until the connection closed; -1 if it was still open after `limitMs`. */
  closed: Promise<number>;
}

/** Opens a raw TCP connection to 127.0.0.1:`port`; resolves once it is connected. */
export function openRaw(port: number, limitMs?: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((done) => {
      const timer = limitMs === undefined ? undefined : setTimeout(() => done(-1), limitMs);
      socket.once('close', () => {
        clearTimeout(timer);
        done(Date.now() - started);
      });
    });
    const connection: RawConnection = { socket, received: '', closed };
    socket.on('data', (chunk) => (connection.received += String(chunk)));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(connection));
    socket.once('error', reject);
  });
}
