/**
 * The `net` and `tls` built-ins' host half: real outbound TCP (and TLS) sockets, owned by the gateway for
 * one instance. The isolate names each socket by an id it picks; the host sends the socket's life into the
 * isolate as events (lookup, connect, secure, data, end, written, finished, error, close). Listening is not
 * offered at all: a function may not accept connections.
 *
 * Limits: at most MAX_SOCKETS open at once (the next connect fails with EMFILE, as Node does when out of
 * descriptors); buffered bytes both ways are reserved in the instance's HostMemory (flow.ts); everything
 * still open is destroyed when the instance ends.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import ivm from 'isolated-vm';
import type { HostService, ServiceContext } from '../service.ts';
import { batched, describeError, InboundFlow, memoryError, writeOutbound } from './flow.ts';

/** Open sockets one instance may hold. */
export const MAX_SOCKETS = 1000;
/** Connects and destroys run per turn of the gateway's event loop: a function opening 1,000 sockets at once must
 * not hold the loop (and every other function) for the whole burst. */
const OPERATIONS_PER_TURN = 32;

/** What the isolate's connect() passes (net.connect options, plus `tls` for tls.connect). */
interface ConnectOptions {
  host: string;
  port: number;
  family?: number;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  autoSelectFamily?: boolean;
  tls?: TlsOptions;
}

/** tls.connect options that can cross into the host (no functions: checkServerIdentity is not offered). */
type TlsOptions = Pick<
  tls.ConnectionOptions,
  | 'servername'
  | 'ca'
  | 'cert'
  | 'key'
  | 'passphrase'
  | 'pfx'
  | 'rejectUnauthorized'
  | 'ALPNProtocols'
  | 'minVersion'
  | 'maxVersion'
  | 'ciphers'
  | 'ecdhCurve'
  | 'session'
>;

const TLS_OPTION_NAMES = ['servername', 'ca', 'cert', 'key', 'passphrase', 'pfx', 'rejectUnauthorized', 'ALPNProtocols', 'minVersion', 'maxVersion', 'ciphers', 'ecdhCurve', 'session'] as const;

interface HostSocket {
  socket: net.Socket;
  flow: InboundFlow;
}

/** Node's message and fields for an error raised before any socket exists (EMFILE). */
function connectError(code: string, errno: number, host: string, port: number): Error {
  return Object.assign(new Error(`connect ${code} ${host}:${port} - Local (undefined:undefined)`), { errno, code, syscall: 'connect', address: host, port });
}

function tlsOptions(options: TlsOptions | undefined): tls.ConnectionOptions {
  const picked: Record<string, unknown> = {};
  if (options === undefined) return picked;
  for (const name of TLS_OPTION_NAMES) if (options[name] !== undefined && options[name] !== null) picked[name] = options[name];
  return picked;
}

/** What the isolate learns once connected: the four addresses. */
function addresses(socket: net.Socket): Record<string, unknown> {
  return {
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    localFamily: socket.localFamily,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
  };
}

function secureFacts(socket: tls.TLSSocket): Record<string, unknown> {
  return {
    authorized: socket.authorized,
    authorizationError: socket.authorizationError === undefined || socket.authorizationError === null ? null : String(socket.authorizationError),
    alpnProtocol: socket.alpnProtocol,
    protocol: socket.getProtocol(),
    cipher: socket.getCipher(),
    servername: (socket as tls.TLSSocket & { servername?: string | false }).servername ?? false,
  };
}

/** A peer certificate as plain data (no circular issuer chain, Buffers as bytes). */
function certificateData(cert: tls.PeerCertificate | tls.DetailedPeerCertificate | null | undefined, depth = 0): Record<string, unknown> | null {
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) return null;
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cert)) {
    if (key === 'issuerCertificate') continue;
    data[key] = Buffer.isBuffer(value) ? new Uint8Array(value) : value;
  }
  const issuer = (cert as tls.DetailedPeerCertificate).issuerCertificate;
  if (issuer !== undefined && depth < 8) data.issuerCertificate = issuer === cert ? 'self' : certificateData(issuer, depth + 1);
  return data;
}

export function netService(serviceContext: ServiceContext): HostService {
  const context = batched(serviceContext);
  const sockets = new Map<number, HostSocket>();
  let closed = false;

  const fail = (id: number, error: unknown) => context.send(id, 'error', describeError(error));

  function attach(id: number, socket: net.Socket): void {
    const flow = new InboundFlow(context, id, socket);
    sockets.set(id, { socket, flow });
    socket.on('lookup', (error: Error | null, address: string, family: number | string, host: string) =>
      context.send(id, 'lookup', { error: error === null ? null : describeError(error), address, family, host }),
    );
    socket.on('connect', () => context.send(id, 'connect', addresses(socket)));
    if (socket instanceof tls.TLSSocket) socket.on('secureConnect', () => context.send(id, 'secure', { ...secureFacts(socket), ...addresses(socket) }));
    socket.on('data', (chunk: Buffer) => {
      if (!flow.deliver(chunk)) socket.destroy(memoryError('read'));
    });
    socket.on('end', () => context.send(id, 'end'));
    socket.on('error', (error) => {
      if (socket instanceof tls.TLSSocket) context.send(id, 'tlsState', { authorized: socket.authorized, authorizationError: socket.authorizationError === undefined || socket.authorizationError === null ? null : String(socket.authorizationError) });
      fail(id, error);
    });
    socket.on('close', (hadError: boolean) => {
      flow.close();
      // A socket handed to tls.connect({ socket }) lives on under its new id; its old id says nothing more.
      if (sockets.get(id)?.socket === socket) {
        sockets.delete(id);
        context.send(id, 'close', hadError);
      }
    });
  }

  // Connects and destroys wait here and run OPERATIONS_PER_TURN per turn of the event loop.
  const queued: Array<[number, () => void]> = [];
  let draining = false;
  function drain(): void {
    for (const [, run] of queued.splice(0, OPERATIONS_PER_TURN)) run();
    draining = queued.length > 0;
    if (draining) setImmediate(drain);
  }
  function pace(id: number, run: () => void): void {
    queued.push([id, run]);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  }

  function connect(id: number, options: ConnectOptions): void {
    if (closed) return;
    const host = options.host;
    const port = options.port;
    if (sockets.size >= MAX_SOCKETS) {
      fail(id, connectError('EMFILE', -24, host, port));
      context.send(id, 'close', true);
      return;
    }
    const base: net.TcpNetConnectOpts = {
      host,
      port,
      noDelay: options.noDelay === true,
      keepAlive: options.keepAlive === true,
      keepAliveInitialDelay: options.keepAliveInitialDelay ?? 0,
    };
    if (options.family !== undefined) base.family = options.family;
    if (options.localAddress !== undefined) base.localAddress = options.localAddress;
    if (options.localPort !== undefined) base.localPort = options.localPort;
    if (options.autoSelectFamily !== undefined) base.autoSelectFamily = options.autoSelectFamily;
    let socket: net.Socket;
    try {
      socket = options.tls === undefined ? net.connect(base) : tls.connect({ ...base, ...tlsOptions(options.tls) });
    } catch (error) {
      fail(id, error);
      context.send(id, 'close', true);
      return;
    }
    attach(id, socket);
  }

  /** tls.connect({ socket }): the host socket of `fromId` is wrapped in TLS and goes on as `id`. */
  function upgrade(id: number, fromId: number, options: TlsOptions & { host?: string }): void {
    const from = sockets.get(fromId);
    if (closed) return;
    if (from === undefined) {
      fail(id, Object.assign(new Error('the socket to upgrade to TLS is not open'), { code: 'ERR_SOCKET_CLOSED' }));
      context.send(id, 'close', true);
      return;
    }
    sockets.delete(fromId);
    from.flow.close();
    from.socket.removeAllListeners('data');
    from.socket.removeAllListeners('end');
    from.socket.removeAllListeners('error');
    from.socket.removeAllListeners('connect');
    from.socket.removeAllListeners('lookup');
    from.socket.resume();
    const settings: tls.ConnectionOptions = { ...tlsOptions(options), socket: from.socket };
    if (settings.servername === undefined && options.host !== undefined && !net.isIP(options.host)) settings.servername = options.host;
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect(settings);
    } catch (error) {
      from.socket.destroy();
      fail(id, error);
      context.send(id, 'close', true);
      return;
    }
    attach(id, socket);
  }

  const withSocket =
    <A extends unknown[]>(action: (entry: HostSocket, id: number, ...args: A) => void) =>
    (id: number, ...args: A): void => {
      const entry = sockets.get(id);
      if (entry !== undefined) action(entry, id, ...args);
    };

  return {
    callbacks: {
      connect: new ivm.Callback((id: number, options: ConnectOptions) => pace(id, () => connect(id, options)), { ignored: true }),
      upgrade: new ivm.Callback(upgrade, { ignored: true }),
      write: new ivm.Callback(
        withSocket(({ socket }, id, bytes: Uint8Array) => {
          if (!writeOutbound(context, id, socket, bytes)) socket.destroy(memoryError('write'));
        }),
        { ignored: true },
      ),
      end: new ivm.Callback(
        withSocket(({ socket }, id) => socket.end(() => context.send(id, 'finished'))),
        { ignored: true },
      ),
      destroy: new ivm.Callback(
        (id: number) => {
          const at = queued.findIndex(([queuedId]) => queuedId === id);
          if (at >= 0) queued.splice(at, 1);
          else pace(id, () => sockets.get(id)?.socket.destroy());
        },
        { ignored: true },
      ),
      ack: new ivm.Callback(
        withSocket(({ flow }, _id, bytes: number, wantsMore: boolean) => flow.ack(bytes, wantsMore)),
        { ignored: true },
      ),
      resume: new ivm.Callback(
        withSocket(({ flow }) => flow.resume()),
        { ignored: true },
      ),
      setNoDelay: new ivm.Callback(
        withSocket(({ socket }, _id, noDelay: boolean) => socket.setNoDelay(noDelay)),
        { ignored: true },
      ),
      setKeepAlive: new ivm.Callback(
        withSocket(({ socket }, _id, enable: boolean, delay: number) => socket.setKeepAlive(enable, delay)),
        { ignored: true },
      ),
      peerCertificate: new ivm.Callback((id: number, detailed: boolean) => {
        const socket = sockets.get(id)?.socket;
        return socket instanceof tls.TLSSocket ? certificateData(socket.getPeerCertificate(detailed)) : null;
      }),
    },
    close: () => {
      closed = true;
      queued.length = 0;
      for (const { socket, flow } of sockets.values()) {
        flow.close();
        socket.destroy();
      }
      sockets.clear();
    },
  };
}
