// Runs inside the isolate, on demand. The `net` and `tls` built-ins: client sockets whose real socket is the
// gateway's (host.ts), each a stream.Duplex here. The host sends the socket's life as events; writes go out
// with fire-and-forget calls, at most WRITE_AHEAD_BYTES unflushed before the Writable waits for the host
// (backpressure outward); each received chunk is acknowledged with whether the Readable wants more, and the
// host stops reading from the peer when it does not (backpressure inward). Listening is refused.
/* global internal */
const { Duplex } = internal.builtin('stream');
const EventEmitter = internal.builtin('events');
const { Buffer } = internal.builtin('buffer');
const { setTimeout, clearTimeout, setImmediate } = internal.timers;

/** Bytes written and not yet flushed by the host before write callbacks wait for it. */
const WRITE_AHEAD_BYTES = 256 * 1024;
/** Open sockets per instance; must match MAX_SOCKETS in host.ts, which enforces it. Checked here first so
 * a flood of connects fails without a host round trip each. */
const MAX_SOCKETS = 1000;
const sockets = new Map();
let nextId = 1;

function nodeError(data) {
  const error = data.name === 'AggregateError' ? new AggregateError((data.errors || []).map(nodeError), data.message) : new Error(data.message);
  for (const key of Object.keys(data)) if (key !== 'message' && key !== 'errors' && key !== 'name') error[key] = data[key];
  if (data.name !== 'Error' && data.name !== 'AggregateError') error.name = data.name;
  return error;
}

const { codedError } = internal;

// Host events for sockets arrive in batches (../../shim/services.js batchedService, ../net/flow.ts).
const service = internal.batchedService('net', sockets);

// ---- addresses (Node's own patterns, lib/internal/net.js) ----
const v4Seg = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const v4Str = `(?:${v4Seg}\\.){3}${v4Seg}`;
const IPv4Reg = new RegExp(`^${v4Str}$`);
const v6Seg = '(?:[0-9a-fA-F]{1,4})';
const IPv6Reg = new RegExp(
  '^(?:' +
    `(?:${v6Seg}:){7}(?:${v6Seg}|:)|` +
    `(?:${v6Seg}:){6}(?:${v4Str}|:${v6Seg}|:)|` +
    `(?:${v6Seg}:){5}(?::${v4Str}|(?::${v6Seg}){1,2}|:)|` +
    `(?:${v6Seg}:){4}(?:(?::${v6Seg}){0,1}:${v4Str}|(?::${v6Seg}){1,3}|:)|` +
    `(?:${v6Seg}:){3}(?:(?::${v6Seg}){0,2}:${v4Str}|(?::${v6Seg}){1,4}|:)|` +
    `(?:${v6Seg}:){2}(?:(?::${v6Seg}){0,3}:${v4Str}|(?::${v6Seg}){1,5}|:)|` +
    `(?:${v6Seg}:){1}(?:(?::${v6Seg}){0,4}:${v4Str}|(?::${v6Seg}){1,6}|:)|` +
    `(?::(?:(?::${v6Seg}){0,5}:${v4Str}|(?::${v6Seg}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);
const isIPv4 = (input) => IPv4Reg.test(String(input));
const isIPv6 = (input) => IPv6Reg.test(String(input));
const isIP = (input) => (isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0);

function validatePort(port) {
  const number = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 65535) {
    const shown = typeof port === 'string' ? `type string ('${port}')` : `type ${typeof port} (${internal.inspect(port)})`;
    throw codedError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${shown}.`);
  }
  return number;
}

// net.connect(options[, cb]) | (port[, host][, cb]) | (path[, cb]) → [options, cb]
function normalizeArgs(args) {
  if (args.length === 0) return [{}, undefined];
  const [first, second] = args;
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? last : undefined;
  if (first !== null && typeof first === 'object') return [{ ...first }, cb];
  if (typeof first === 'string' && !/^\d+$/.test(first)) return [{ path: first }, cb];
  const options = { port: first };
  if (typeof second === 'string') options.host = second;
  return [options, cb];
}

function listenRefused() {
  return codedError(Error, 'EACCES', 'listen EACCES: a function may not listen for connections (fngate functions are clients only)');
}

class Socket extends Duplex {
  constructor(options = {}) {
    super({
      allowHalfOpen: Boolean(options.allowHalfOpen),
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
    });
    this._id = 0;
    this.connecting = false;
    this._peer = null;
    this._local = null;
    this.bytesRead = 0;
    this._written = 0;
    this._unflushed = 0;
    this._waitingWrite = null;
    this._finalCallback = null;
    this._hostPaused = false;
    this._counted = false;
    this._refed = true;
    this._hostClosed = false;
    this._noDelay = Boolean(options.noDelay);
    this._keepAlive = Boolean(options.keepAlive);
    this._keepAliveDelay = options.keepAliveInitialDelay || 0;
    this.timeout = 0;
    this._timer = null;
    this._upgradedFrom = null;
    this._peerRead = false;
    this._localRead = false;
    this.server = null;
    this._server = null;
    if (options.signal) {
      if (options.signal.aborted) setImmediate(() => this.destroy(abortError()));
      else options.signal.addEventListener('abort', () => this.destroy(abortError()), { once: true });
    }
  }

  connect(...args) {
    const [options, cb] = Array.isArray(args[0]) ? args[0] : normalizeArgs(args);
    if (this.destroyed) {
      this._undestroy();
      this._hostClosed = false;
    }
    if (cb !== undefined) this.once(this instanceof TLSSocket ? 'secureConnect' : 'connect', cb);
    if (options.timeout) this.setTimeout(options.timeout);
    if (options.path !== undefined) {
      const error = codedError(Error, 'EACCES', `connect EACCES ${options.path} - a function may only connect over TCP, not to a Unix socket`);
      Object.assign(error, { errno: -13, syscall: 'connect', address: String(options.path) });
      this.connecting = true;
      setImmediate(() => this.destroy(error));
      return this;
    }
    const port = validatePort(options.port);
    const host = options.host || 'localhost';
    if (sockets.size >= MAX_SOCKETS) {
      const error = codedError(Error, 'EMFILE', `connect EMFILE ${host}:${port} - Local (undefined:undefined)`);
      Object.assign(error, { errno: -24, syscall: 'connect', address: host, port });
      this.connecting = true;
      setImmediate(() => this.destroy(error));
      return this;
    }
    this._open({
      host,
      port,
      family: options.family || undefined,
      localAddress: options.localAddress,
      localPort: options.localPort,
      noDelay: this._noDelay || Boolean(options.noDelay),
      keepAlive: this._keepAlive || Boolean(options.keepAlive),
      keepAliveInitialDelay: options.keepAliveInitialDelay || this._keepAliveDelay,
      autoSelectFamily: options.autoSelectFamily,
    });
    return this;
  }

  // Registers this socket under a fresh id and asks the host to open it (`call` does the asking).
  _open(hostOptions, call = (id) => service.connect(id, hostOptions)) {
    this._id = nextId++;
    sockets.set(this._id, this);
    this.connecting = true;
    this._count(true);
    call(this._id);
  }

  _count(on) {
    if (on && !this._counted) {
      this._counted = true;
      if (this._refed) internal.loopRef();
    } else if (!on && this._counted) {
      this._counted = false;
      if (this._refed) internal.loopUnref();
    }
  }

  _onHost(event, data) {
    switch (event) {
      case 'lookup':
        this.emit('lookup', data.error === null ? null : nodeError(data.error), data.address, data.family, data.host);
        break;
      case 'connect':
        this.connecting = false;
        this._setAddresses(data);
        this._touch();
        this.emit('connect');
        this.emit('ready');
        break;
      case 'secure':
        this._setAddresses(data);
        this._secure(data);
        break;
      case 'data': {
        const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        this.bytesRead += chunk.length;
        this._touch();
        const more = this.push(chunk);
        this._hostPaused = !more;
        service.ack(this._id, chunk.length, more);
        break;
      }
      case 'end':
        this.push(null);
        break;
      case 'written':
        this._unflushed -= data;
        this._touch();
        if (this._waitingWrite !== null && this._unflushed < WRITE_AHEAD_BYTES) {
          const callback = this._waitingWrite;
          this._waitingWrite = null;
          callback();
        }
        break;
      case 'finished':
        if (this._finalCallback !== null) {
          const callback = this._finalCallback;
          this._finalCallback = null;
          callback();
        }
        break;
      case 'error':
        this.connecting = false;
        this.destroy(nodeError(data));
        break;
      case 'close':
        this._hostClosed = true;
        sockets.delete(this._id);
        if (this._finalCallback !== null) this._onHost('finished');
        if (this.destroyed) break;
        // 'end' and 'finish' under way come first; Node closes the socket after them.
        if (this.readableEnded || this.readableLength === 0) setImmediate(() => this.destroy());
        else this.once('end', () => setImmediate(() => this.destroy()));
        break;
      case 'tlsState':
        this.authorized = data.authorized;
        this.authorizationError = data.authorizationError;
        break;
    }
  }

  _setAddresses(data) {
    this._local = { address: data.localAddress, port: data.localPort, family: data.localFamily };
    this._peer = { address: data.remoteAddress, port: data.remotePort, family: data.remoteFamily };
  }

  _secure() {}

  _read() {
    if (this._hostPaused && this._id !== 0 && !this._hostClosed) {
      this._hostPaused = false;
      service.resume(this._id);
    }
  }

  _write(chunk, encoding, callback) {
    if (this.connecting) {
      this.once('connect', () => this._write(chunk, encoding, callback));
      return;
    }
    if (this._id === 0 || this._hostClosed) {
      callback(codedError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
      return;
    }
    const bytes = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : new Uint8Array(chunk);
    this._written += chunk.length;
    this._unflushed += chunk.length;
    this._touch();
    service.write(this._id, bytes);
    if (this._unflushed < WRITE_AHEAD_BYTES) callback();
    else this._waitingWrite = callback;
  }

  _final(callback) {
    if (this.connecting) {
      this.once('connect', () => this._final(callback));
      return;
    }
    if (this._id === 0 || this._hostClosed) {
      callback();
      return;
    }
    this._finalCallback = callback;
    service.end(this._id);
  }

  _destroy(error, callback) {
    this.connecting = false;
    this._clearTimer();
    if (this._id !== 0 && !this._hostClosed) service.destroy(this._id);
    sockets.delete(this._id);
    this._hostClosed = true;
    this._waitingWrite = null;
    callback(error);
    // After 'error' (emitted on the next tick), as Node emits 'close' once the handle has closed.
    setImmediate(() => {
      this._count(false);
      const from = this._upgradedFrom;
      if (from !== null) from.emit('close', false);
      this.emit('close', Boolean(error));
    });
  }

  setTimeout(ms, callback) {
    this.timeout = Number(ms) || 0;
    this._clearTimer();
    if (callback !== undefined) {
      if (this.timeout === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this._touch();
    return this;
  }

  _clearTimer() {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
  }

  // Activity restarts the idle timer; like Node's socket timers it never keeps the loop alive.
  _touch() {
    if (this.timeout === 0 || this.destroyed) return;
    if (this._timer !== null) {
      this._timer.refresh();
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      this.emit('timeout');
    }, this.timeout);
    this._timer.unref();
  }

  setNoDelay(noDelay = true) {
    this._noDelay = Boolean(noDelay);
    if (this._id !== 0 && !this._hostClosed) service.setNoDelay(this._id, this._noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0) {
    this._keepAlive = Boolean(enable);
    this._keepAliveDelay = ~~(initialDelay / 1000) * 1000;
    if (this._id !== 0 && !this._hostClosed) service.setKeepAlive(this._id, this._keepAlive, initialDelay);
    return this;
  }

  ref() {
    if (!this._refed) {
      this._refed = true;
      if (this._counted) internal.loopRef();
    }
    return this;
  }

  unref() {
    if (this._refed) {
      this._refed = false;
      if (this._counted) internal.loopUnref();
    }
    return this;
  }

  address() {
    const { address, family, port } = this._sockName();
    return address === undefined ? {} : { address, family, port };
  }

  // Like Node's _getpeername/_getsockname: known while open, and after the close only if read before.
  _peerName() {
    if (this._peer === null || (this._hostClosed && !this._peerRead)) return {};
    this._peerRead = true;
    return this._peer;
  }
  _sockName() {
    if (this._local === null || (this._hostClosed && !this._localRead)) return {};
    this._localRead = true;
    return this._local;
  }
  get remoteAddress() {
    return this._peerName().address;
  }
  get remotePort() {
    return this._peerName().port;
  }
  get remoteFamily() {
    return this._peerName().family;
  }
  get localAddress() {
    return this._sockName().address;
  }
  get localPort() {
    return this._sockName().port;
  }
  get localFamily() {
    return this._sockName().family;
  }
  get bytesWritten() {
    return this._written;
  }
  get pending() {
    return this._id === 0 || this._hostClosed || this.connecting;
  }
  get readyState() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }
  get bufferSize() {
    return this.writableLength;
  }
  get _connecting() {
    return this.connecting;
  }
}

function abortError() {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

function connect(...args) {
  const [options, cb] = normalizeArgs(args);
  const socket = new Socket(options);
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(options, cb);
}

class Server extends EventEmitter {
  constructor(options, listener) {
    super();
    if (typeof options === 'function') listener = options;
    if (typeof listener === 'function') this.on('connection', listener);
    this.listening = false;
  }
  listen() {
    throw listenRefused();
  }
  address() {
    return null;
  }
  close(callback) {
    if (typeof callback === 'function') setImmediate(() => callback(codedError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
    return this;
  }
  getConnections(callback) {
    setImmediate(() => callback(null, 0));
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
}

class BlockList {
  constructor() {
    this._rules = [];
  }
  addAddress(address, type = 'ipv4') {
    this._rules.push({ address: String(address), type });
  }
  check(address, type = 'ipv4') {
    return this._rules.some((rule) => rule.address === String(address) && rule.type === type);
  }
  get rules() {
    return this._rules.map((rule) => `Address: ${rule.type === 'ipv6' ? 'IPv6' : 'IPv4'} ${rule.address}`);
  }
}

// ---- tls ----
class TLSSocket extends Socket {
  constructor(socket, options = {}) {
    super(options);
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    this.servername = false;
    this._protocol = null;
    this._cipher = null;
    this._tlsOptions = options;
    // new tls.TLSSocket(socket, options): an open socket taken over, as tls.connect({ socket }) does.
    if (socket instanceof Socket) this._takeOver(socket, hostTlsOptions(options, options.host || (socket._peer && socket._peer.address)));
  }

  // connect() opens a TLS connection on the host; _takeOver passes its own call (an upgrade).
  _open(hostOptions, call) {
    if (call !== undefined) return super._open(hostOptions, call);
    const tlsOptions = hostTlsOptions(this._tlsOptions, hostOptions.host);
    return super._open(hostOptions, (id) => service.connect(id, { ...hostOptions, tls: tlsOptions }));
  }

  _takeOver(socket, hostOptions) {
    const from = socket;
    this._upgradedFrom = from;
    this._peer = from._peer;
    this._local = from._local;
    const fromId = from._id;
    // The old object no longer talks to the host; the host socket lives on under the new id.
    sockets.delete(fromId);
    from._hostClosed = true;
    from._count(false);
    this._open(null, (id) => service.upgrade(id, fromId, hostOptions));
    this.connecting = false;
  }

  _secure(data) {
    this.authorized = data.authorized;
    this.authorizationError = data.authorizationError;
    this.alpnProtocol = data.alpnProtocol;
    this.servername = data.servername;
    this._protocol = data.protocol;
    this._cipher = data.cipher;
    // An unauthorized peer with rejectUnauthorized was already refused by the host's tls.connect.
    this.emit('secureConnect');
  }

  getPeerCertificate(detailed = false) {
    if (this._id === 0 || this._hostClosed) return {};
    const data = service.peerCertificate(this._id, Boolean(detailed));
    return data === null ? {} : certificate(data);
  }
  getProtocol() {
    return this._protocol;
  }
  getCipher() {
    return this._cipher;
  }
  getSession() {
    return undefined;
  }
  isSessionReused() {
    return false;
  }
  getEphemeralKeyInfo() {
    return {};
  }
  setServername(name) {
    this.servername = name;
  }
  setMaxSendFragment() {
    return true;
  }
  renegotiate(_options, callback) {
    if (typeof callback === 'function') setImmediate(() => callback(null));
    return true;
  }
  exportKeyingMaterial() {
    throw codedError(Error, 'ERR_FNGATE_UNSUPPORTED', 'exportKeyingMaterial is not available in the isolate');
  }
}

function certificate(data) {
  const cert = {};
  for (const key of Object.keys(data)) {
    const value = data[key];
    cert[key] = value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  if (cert.issuerCertificate === 'self') cert.issuerCertificate = cert;
  else if (cert.issuerCertificate) cert.issuerCertificate = certificate(cert.issuerCertificate);
  return cert;
}

// Keys, certificates and CAs cross to the host as strings or bytes.
function pem(value) {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(pem);
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'object' && value.pem !== undefined) return { pem: pem(value.pem), passphrase: value.passphrase };
  return value;
}

function hostTlsOptions(options, host) {
  let servername = options.servername;
  if (servername === undefined && host !== undefined && isIP(host) === 0) servername = host;
  let alpn = options.ALPNProtocols;
  if (alpn !== undefined && !Array.isArray(alpn)) alpn = pem(alpn);
  return {
    servername,
    ca: pem(options.ca),
    cert: pem(options.cert),
    key: pem(options.key),
    pfx: pem(options.pfx),
    passphrase: options.passphrase,
    rejectUnauthorized: options.rejectUnauthorized !== false,
    ALPNProtocols: alpn,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    ciphers: options.ciphers,
    ecdhCurve: options.ecdhCurve,
    host,
  };
}

function tlsConnect(...args) {
  let [options, cb] = normalizeArgs(args);
  if (args.length >= 2 && typeof args[0] !== 'object' && args[2] !== null && typeof args[2] === 'object') options = { ...args[2], ...options };
  else if (typeof args[0] !== 'object' && args[1] !== null && typeof args[1] === 'object') options = { ...args[1], ...options };
  const host = options.host || 'localhost';
  if (options.socket instanceof Socket) {
    const socket = new TLSSocket(null, options);
    if (cb !== undefined) socket.once('secureConnect', cb);
    const from = options.socket;
    const start = () => socket._takeOver(from, hostTlsOptions(options, options.host || (from._peer && from._peer.address)));
    if (from.connecting) from.once('connect', start);
    else start();
    return socket;
  }
  if (options.socket !== undefined && options.socket !== null) {
    throw codedError(TypeError, 'ERR_FNGATE_UNSUPPORTED', 'tls.connect({ socket }) in a function needs a net.Socket from the net built-in');
  }
  const socket = new TLSSocket(null, options);
  if (options.timeout) socket.setTimeout(options.timeout);
  socket.connect([{ ...options, host }, cb]);
  return socket;
}

const tls = {
  connect: tlsConnect,
  TLSSocket,
  createServer() {
    throw listenRefused();
  },
  Server,
  createSecureContext: (options = {}) => ({ context: {}, options }),
  SecureContext: class SecureContext {},
  checkServerIdentity: () => undefined,
  getCiphers: () => ['aes128-gcm-sha256', 'aes256-gcm-sha384', 'chacha20-poly1305'],
  rootCertificates: Object.freeze([]),
  DEFAULT_ECDH_CURVE: 'auto',
  DEFAULT_MIN_VERSION: 'TLSv1.2',
  DEFAULT_MAX_VERSION: 'TLSv1.3',
  DEFAULT_CIPHERS: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
  CLIENT_RENEG_LIMIT: 3,
  CLIENT_RENEG_WINDOW: 600,
};

const net = {
  Socket,
  Stream: Socket,
  Server,
  BlockList,
  SocketAddress: class SocketAddress {
    constructor(options = {}) {
      this.address = options.address || '127.0.0.1';
      this.port = options.port || 0;
      this.family = options.family || 'ipv4';
      this.flowlabel = options.flowlabel || 0;
    }
  },
  connect,
  createConnection: connect,
  createServer(options, listener) {
    return new Server(options, listener);
  },
  isIP,
  isIPv4,
  isIPv6,
  getDefaultAutoSelectFamily: () => true,
  setDefaultAutoSelectFamily: () => {},
  getDefaultAutoSelectFamilyAttemptTimeout: () => 250,
  setDefaultAutoSelectFamilyAttemptTimeout: () => {},
};

internal.modules.net = net;
internal.modules.tls = tls;
