// Runs inside the isolate, on demand. The `http` and `https` built-ins' client side: a ClientRequest here is
// a Writable whose head and body go to a request of the gateway's own Node (host.ts); the response comes
// back as an IncomingMessage (a Readable fed in flow-controlled chunks). Until its 'close' a request counts
// as pending work, as its socket does in Node. Agents are descriptions of the host's agents (keepAlive,
// maxSockets …): connections live on the host, per instance. The server side (ServerResponse, Server) is
// Node's, but a server listens only inside the isolate: see "servers: virtual" below.
/* global internal, config */
const { Writable, Readable } = internal.builtin('stream');
const EventEmitter = internal.builtin('events');
const { Buffer } = internal.builtin('buffer');
const { setImmediate } = internal.timers;

/** Body bytes written and not yet flushed by the host before write callbacks wait for it. */
const WRITE_AHEAD_BYTES = 256 * 1024;
/** Requests in flight per instance; must match MAX_REQUESTS in host.ts, which enforces it. Checked here
 * first so a flood fails without a host round trip each. */
const MAX_REQUESTS = 1000;
const requests = new Map();
let nextRequestId = 1;
let nextAgentId = 1;

// Host events for requests arrive in batches (../../shim/services.js batchedService, ../net/flow.ts).
const service = internal.batchedService('http', requests);

const { codedError } = internal;

function nodeError(data) {
  const error = data.name === 'AggregateError' ? new AggregateError((data.errors || []).map(nodeError), data.message) : new Error(data.message);
  for (const key of Object.keys(data)) if (key !== 'message' && key !== 'errors' && key !== 'name') error[key] = data[key];
  return error;
}

// ---- constants and validation (Node's lib/_http_common.js) ----
const STATUS_CODES = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates', 507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended', 511: 'Network Authentication Required',
};
const METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
];
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

function validateHeaderName(name, label = 'Header name') {
  if (typeof name !== 'string' || !name || !TOKEN.test(name)) {
    throw codedError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${label} must be a valid HTTP token ["${name}"]`);
  }
}

function validateHeaderValue(name, value) {
  if (value === undefined) throw codedError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${value}" for header "${name}"`);
  if (INVALID_HEADER_CHAR.test(String(value))) throw codedError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
}

// ---- Agent ----
class Agent extends EventEmitter {
  constructor(options = {}) {
    super();
    this.defaultPort = 80;
    this.protocol = 'http:';
    this.options = { __proto__: null, ...options, path: null };
    this.keepAliveMsecs = options.keepAliveMsecs || 1000;
    this.keepAlive = Boolean(options.keepAlive);
    this.maxSockets = options.maxSockets || Agent.defaultMaxSockets;
    this.maxFreeSockets = options.maxFreeSockets || 256;
    this.maxTotalSockets = options.maxTotalSockets || Infinity;
    this.scheduling = options.scheduling || 'lifo';
    this.totalSocketCount = 0;
    this.requests = Object.create(null);
    this.sockets = Object.create(null);
    this.freeSockets = Object.create(null);
    this._hostId = 0;
  }

  // The host's Agent for this one, made when its first request starts.
  _host() {
    if (this._hostId === 0) {
      this._hostId = nextAgentId++;
      const options = {
        keepAlive: this.keepAlive,
        keepAliveMsecs: this.keepAliveMsecs,
        maxSockets: this.maxSockets,
        maxFreeSockets: this.maxFreeSockets,
        maxTotalSockets: this.maxTotalSockets,
        scheduling: this.scheduling,
      };
      if (this.options.timeout !== undefined) options.timeout = this.options.timeout;
      service.agent(this._hostId, this.protocol, options);
    }
    return this._hostId;
  }

  getName(options = {}) {
    let name = options.host || 'localhost';
    name += ':';
    if (options.port) name += options.port;
    name += ':';
    if (options.localAddress) name += options.localAddress;
    if (options.family === 4 || options.family === 6) name += `:${options.family}`;
    return name;
  }

  destroy() {
    if (this._hostId !== 0) service.agentDestroy(this._hostId);
    this._hostId = 0;
  }

  keepSocketAlive() {
    return true;
  }
  reuseSocket() {}
}
Agent.defaultMaxSockets = Infinity;

const nodeMajor = Number(/^v?(\d+)/.exec(config.nodeVersion)[1]);
// Node 19 made the global agents keep connections alive (5 s idle timeout).
const globalAgentOptions = nodeMajor >= 19 ? { keepAlive: true, scheduling: 'lifo', timeout: 5000 } : {};
const globalAgent = new Agent(globalAgentOptions);

class HttpsAgent extends Agent {
  constructor(options = {}) {
    super(options);
    this.defaultPort = 443;
    this.protocol = 'https:';
    this.maxCachedSessions = options.maxCachedSessions === undefined ? 100 : options.maxCachedSessions;
  }
  getName(options = {}) {
    let name = super.getName(options);
    for (const field of ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized']) {
      name += ':';
      if (options[field] !== undefined) name += typeof options[field] === 'string' ? options[field] : String(options[field]);
    }
    return name;
  }
}
const httpsGlobalAgent = new HttpsAgent(globalAgentOptions);

// ---- the socket a request shows (its 'socket' event, req.socket, res.socket) ----
class RequestSocket extends EventEmitter {
  constructor(request) {
    super();
    this._request = request;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.encrypted = request._secure ? true : undefined;
    this.authorized = request._secure ? false : undefined;
    this.connecting = true;
    this.destroyed = false;
    this.readable = true;
    this.writable = true;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.timeout = 0;
  }
  _facts(data) {
    for (const key of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort']) if (data[key] !== undefined) this[key] = data[key];
    if (data.authorized !== undefined && this.encrypted) this.authorized = data.authorized;
    if (data.remoteAddress !== undefined) this.connecting = false;
  }
  setTimeout(ms, callback) {
    this.timeout = Number(ms) || 0;
    if (callback !== undefined) this.once('timeout', callback);
    this._request._hostCall('setTimeout', this.timeout);
    return this;
  }
  setNoDelay(noDelay = true) {
    this._request._hostCall('setNoDelay', Boolean(noDelay));
    return this;
  }
  setKeepAlive(enable = false, delay = 0) {
    this._request._hostCall('setSocketKeepAlive', Boolean(enable), Number(delay) || 0);
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  address() {
    return this.localAddress === undefined ? {} : { address: this.localAddress, port: this.localPort, family: this.remoteFamily };
  }
  destroy(error) {
    this._request.destroy(error);
    return this;
  }
  end() {
    return this;
  }
  write() {
    return true;
  }
  pause() {
    return this;
  }
  resume() {
    return this;
  }
  getPeerCertificate() {
    return {};
  }
}

// ---- IncomingMessage ----
class IncomingMessage extends Readable {
  constructor(socket) {
    // 'close' comes from destroy(): when the host's response closed (after 'end'), or when the user destroys it.
    super({ autoDestroy: false, emitClose: true });
    this.socket = socket;
    this.httpVersionMajor = null;
    this.httpVersionMinor = null;
    this.httpVersion = null;
    this.complete = false;
    this.rawHeaders = [];
    this.rawTrailers = [];
    this.headers = {};
    this.trailers = {};
    this.aborted = false;
    this.upgrade = false;
    this.url = '';
    this.method = null;
    this.statusCode = null;
    this.statusMessage = null;
    this.req = null;
    this._hostPaused = false;
    this._dumped = false;
  }
  get connection() {
    return this.socket;
  }
  get headersDistinct() {
    return distinct(this.rawHeaders);
  }
  get trailersDistinct() {
    return distinct(this.rawTrailers);
  }
  setTimeout(ms, callback) {
    if (this.req !== null) this.req.setTimeout(ms, callback);
    return this;
  }
  _read() {
    if (this._hostPaused && this.req !== null && !this.req._hostClosed) {
      this._hostPaused = false;
      this.req._transport.resume(this.req._id);
    }
  }
  _destroy(error, callback) {
    const request = this.req;
    if ((!this.readableEnded || !this.complete) && !this.aborted) {
      this.aborted = true;
      this.emit('aborted');
    }
    if (request !== null && !this.readableEnded && !request._hostClosed) {
      request._responseDestroyed = true;
      request._transport.destroy(request._id);
    }
    // As in Node: the error is emitted only when someone listens for it.
    callback(this.listenerCount('error') === 0 ? null : error);
  }
  _dump() {
    if (!this._dumped) {
      this._dumped = true;
      this.removeAllListeners('data');
      this.resume();
    }
  }
}

function distinct(raw) {
  const result = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    (result[name] ??= []).push(raw[i + 1]);
  }
  return result;
}

// ---- ClientRequest ----
function urlToOptions(url) {
  const options = {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ''}${url.search || ''}`,
    href: url.href,
  };
  if (url.port !== '') options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

const INVALID_PATH = /[\u0000-\u0020]/;

class ClientRequest extends Writable {
  constructor(input, options, cb, defaults = httpState) {
    super({ autoDestroy: false, emitClose: false, decodeStrings: true });
    if (typeof input === 'string') input = urlToOptions(new URL(input));
    else if (input instanceof URL) input = urlToOptions(input);
    else {
      cb = options;
      options = input;
      input = null;
    }
    if (typeof options === 'function') {
      cb = options;
      options = input || {};
    } else {
      options = Object.assign(input || {}, options);
    }
    let agent = options.agent;
    const defaultAgent = options._defaultAgent || defaults.agent;
    if (agent === false) agent = null;
    else if (agent === undefined || agent === null) agent = typeof options.createConnection === 'function' ? null : defaultAgent;
    this.agent = agent;
    const protocol = options.protocol || defaultAgent.protocol;
    const expected = (agent && agent.protocol) || defaultAgent.protocol;
    if (protocol !== expected) {
      throw codedError(TypeError, 'ERR_INVALID_PROTOCOL', `Protocol "${protocol}" not supported. Expected "${expected}"`);
    }
    const defaultPort = options.defaultPort || (agent && agent.defaultPort) || defaultAgent.defaultPort;
    const port = Number(options.port || defaultPort || 80);
    const host = String(options.hostname || options.host || 'localhost');
    const path = options.path === undefined || options.path === null ? '/' : String(options.path);
    if (INVALID_PATH.test(path)) throw codedError(TypeError, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters');
    const method = options.method === undefined || options.method === null ? 'GET' : String(options.method).toUpperCase();
    if (!TOKEN.test(method)) throw codedError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Method must be a valid HTTP token ["${options.method}"]`);
    this.method = method;
    this.path = path;
    this.host = host;
    this.protocol = protocol;
    this.port = port;
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.timeoutCb = null;
    this.res = null;
    this.socket = null;
    this.finished = false;
    this._secure = protocol === 'https:';
    this._headers = new Map();
    this._headersSent = false;
    this._id = 0;
    this._started = false;
    this._endBody = null;
    this._unflushed = 0;
    this._waitingWrite = null;
    this._finalCallback = null;
    this._hostClosed = false;
    this._responseDestroyed = false;
    this._resClosed = false;
    this._counted = false;
    this._options = options;
    // The host's Node, or a server this isolate listens on (socketPath, or a loopback host and port).
    this._transport = (this._secure ? null : loopbackTransport(options, host, port)) ?? service;
    if (options.timeout !== undefined) this.timeout = options.timeout;
    if (options.headers) {
      if (Array.isArray(options.headers)) {
        for (let i = 0; i < options.headers.length; i += 2) this.appendHeader(options.headers[i], options.headers[i + 1]);
      } else {
        for (const name of Object.keys(options.headers)) this.setHeader(name, options.headers[name]);
      }
    }
    if (options.setHost !== false && !this.hasHeader('host')) {
      let hostHeader = host;
      if (hostHeader.includes(':') && !hostHeader.startsWith('[')) hostHeader = `[${hostHeader}]`;
      if (port && port !== defaultPort) hostHeader += `:${port}`;
      this.setHeader('Host', hostHeader);
    }
    if (options.auth && !this.hasHeader('authorization')) this.setHeader('Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`);
    if (typeof cb === 'function') this.once('response', cb);
    this._id = nextRequestId++;
    requests.set(this._id, this);
    this._count(true);
    // Like Node, the head goes out once the body starts or ends; a request never ended is never sent.
  }

  get connection() {
    return this.socket;
  }
  get headersSent() {
    return this._headersSent;
  }

  _count(on) {
    if (on && !this._counted) {
      this._counted = true;
      internal.loopRef();
    } else if (!on && this._counted) {
      this._counted = false;
      internal.loopUnref();
    }
  }

  setHeader(name, value) {
    if (this._headersSent) throw codedError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this._headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value : String(value)]);
    return this;
  }
  appendHeader(name, value) {
    const existing = this._headers.get(String(name).toLowerCase());
    if (existing === undefined) return this.setHeader(name, value);
    validateHeaderValue(name, value);
    existing[1] = [...(Array.isArray(existing[1]) ? existing[1] : [existing[1]]), ...(Array.isArray(value) ? value : [value]).map(String)];
    return this;
  }
  getHeader(name) {
    const entry = this._headers.get(String(name).toLowerCase());
    return entry === undefined ? undefined : entry[1];
  }
  getHeaders() {
    const headers = Object.create(null);
    for (const [key, [, value]] of this._headers) headers[key] = value;
    return headers;
  }
  getHeaderNames() {
    return [...this._headers.keys()];
  }
  getRawHeaderNames() {
    return [...this._headers.values()].map(([name]) => name);
  }
  hasHeader(name) {
    return this._headers.has(String(name).toLowerCase());
  }
  removeHeader(name) {
    if (this._headersSent) throw codedError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client');
    this._headers.delete(String(name).toLowerCase());
  }
  flushHeaders() {
    this._start(null, false);
  }

  _head() {
    const options = this._options;
    const agent = this.agent;
    const head = {
      protocol: this.protocol,
      method: this.method,
      host: this.host,
      port: this.port,
      path: this.path,
      headers: [...this._headers.values()],
      agent: agent === null ? 0 : agent._host(),
    };
    if (this.timeout !== undefined) head.timeout = this.timeout;
    if (options.family !== undefined) head.family = options.family;
    if (options.localAddress !== undefined) head.localAddress = options.localAddress;
    if (options.insecureHTTPParser !== undefined) head.insecureHTTPParser = options.insecureHTTPParser;
    if (options.maxHeaderSize !== undefined) head.maxHeaderSize = options.maxHeaderSize;
    if (this._secure) {
      const tlsDefaults = (agent && agent.options) || {};
      for (const field of ['servername', 'ca', 'cert', 'key', 'passphrase', 'pfx', 'rejectUnauthorized', 'minVersion', 'maxVersion', 'ciphers']) {
        const value = options[field] !== undefined ? options[field] : tlsDefaults[field];
        if (value !== undefined) head[field] = bytesOrText(value);
      }
    }
    return head;
  }

  // Sends the head (once), with the first body chunk and whether that is the whole body.
  _start(body, end) {
    if (this._started) return false;
    this._started = true;
    this._headersSent = true;
    const refusal = this._transport === service ? this._refusal() : null;
    if (refusal !== null) {
      this._hostClosed = true;
      setImmediate(() => {
        this.destroy(refusal);
        this._closeSoon();
      });
      return true;
    }
    this._transport.request(this._id, this._head(), body, end);
    return true;
  }

  // Why the request cannot start at all: too many in flight, or a Unix socket (as net refuses them).
  _refusal() {
    if (this._options.socketPath !== undefined) {
      return Object.assign(codedError(Error, 'EACCES', `connect EACCES ${this._options.socketPath} - a function may only connect over TCP, not to a Unix socket`), { errno: -13, syscall: 'connect', address: String(this._options.socketPath) });
    }
    if (requests.size > MAX_REQUESTS) {
      return Object.assign(codedError(Error, 'EMFILE', `connect EMFILE ${this.host}:${this.port} - Local (undefined:undefined)`), { errno: -24, syscall: 'connect', address: this.host, port: this.port });
    }
    return null;
  }

  _hostCall(method, ...args) {
    if (this._hostClosed) return;
    if (!this._started) this.once('socket', () => this._transport[method](this._id, ...args));
    else this._transport[method](this._id, ...args);
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = null;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    // end(body) on a request whose head is not out yet: one piece with a Content-Length, as Node sends it.
    if (!this._started && chunk !== null && chunk !== undefined && this.writableLength === 0) {
      this._endBody = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      chunk = null;
    }
    this.finished = true;
    return super.end(chunk, encoding, callback);
  }

  _write(chunk, encoding, callback) {
    if (this._hostClosed) {
      callback(codedError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
      return;
    }
    const bytes = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : new Uint8Array(chunk);
    this._unflushed += chunk.length;
    if (!this._start(bytes, false)) this._transport.write(this._id, bytes);
    if (this._unflushed < WRITE_AHEAD_BYTES) callback();
    else this._waitingWrite = callback;
  }

  _final(callback) {
    if (this._hostClosed) {
      callback();
      return;
    }
    this._finalCallback = callback;
    const body = this._endBody;
    this._endBody = null;
    if (!this._start(body === null ? null : new Uint8Array(body), true)) this._transport.end(this._id);
  }

  _destroy(error, callback) {
    if (!this._hostClosed) {
      if (this._started) this._transport.destroy(this._id);
      else this._closeSoon();
    }
    // We do not care about more of the response (Node dumps it); an incomplete one ends as 'aborted'.
    const response = this.res;
    if (response !== null && !response.destroyed) {
      response._dump();
      if (!response.complete) response.destroy(connResetError('aborted'));
    }
    callback(error);
  }

  // A request destroyed before its head went out never reached the host; it closes on its own.
  _closeSoon() {
    this._hostClosed = true;
    requests.delete(this._id);
    setImmediate(() => {
      this._count(false);
      this.emit('close');
    });
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    queueMicrotask(() => this.emit('abort'));
    this.destroy();
  }

  setTimeout(ms, callback) {
    if (callback !== undefined) this.once('timeout', callback);
    this.timeout = Number(ms) || 0;
    this._hostCall('setTimeout', this.timeout);
    return this;
  }
  setNoDelay(noDelay = true) {
    this._hostCall('setNoDelay', Boolean(noDelay));
  }
  setSocketKeepAlive(enable = false, delay = 0) {
    this._hostCall('setSocketKeepAlive', Boolean(enable), Number(delay) || 0);
  }

  _onHost(event, data) {
    switch (event) {
      case 'socket': {
        const socket = new RequestSocket(this);
        socket._facts(data);
        this.socket = socket;
        this.reusedSocket = Boolean(data.reused);
        this.emit('socket', socket);
        if (data.remoteAddress !== undefined) socket.emit('connect');
        break;
      }
      case 'connect':
        if (this.socket !== null) {
          this.socket._facts(data);
          this.socket.emit('connect');
          if (this._secure) this.socket.emit('secureConnect');
        }
        break;
      case 'information':
        this.emit('information', { ...data, httpVersionMajor: Number(data.httpVersion[0]), httpVersionMinor: Number(data.httpVersion[2]) });
        break;
      case 'response': {
        const response = new IncomingMessage(this.socket);
        Object.assign(response, data);
        response.httpVersionMajor = Number(data.httpVersion.split('.')[0]);
        response.httpVersionMinor = Number(data.httpVersion.split('.')[1]);
        response.req = this;
        this.res = response;
        if (!this.emit('response', response)) response._dump();
        break;
      }
      case 'data': {
        const response = this.res;
        const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        if (response === null || response.destroyed) {
          this._transport.ack(this._id, chunk.length, true);
          break;
        }
        if (this.socket !== null) this.socket.bytesRead += chunk.length;
        const more = response.push(chunk);
        response._hostPaused = !more;
        this._transport.ack(this._id, chunk.length, more);
        break;
      }
      case 'end':
        if (this.res !== null && !this.res.destroyed) {
          this.res.complete = true;
          this.res.rawTrailers = data.rawTrailers;
          this.res.trailers = data.trailers;
          this.res.push(null);
        }
        break;
      case 'aborted':
        if (this.res !== null && !this.res.aborted) {
          this.res.aborted = true;
          this.res.emit('aborted');
        }
        break;
      case 'responseError':
        if (this.res !== null && !this.res.destroyed) this.res.destroy(nodeError(data));
        break;
      case 'timeout':
        if (this.socket !== null) this.socket.emit('timeout');
        this.emit('timeout');
        break;
      case 'written':
        this._unflushed -= data;
        if (this.socket !== null) this.socket.bytesWritten += data;
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
      case 'error': {
        const error = nodeError(data);
        if (this.destroyed) this.emit('error', error);
        else this.destroy(error);
        break;
      }
      case 'close':
        this._onClose();
        break;
      case 'resClose': {
        const response = this.res;
        this._resClosed = true;
        if (this._hostClosed) requests.delete(this._id);
        if (response !== null) afterEnd(response, () => response.destroyed || response.destroy());
        break;
      }
    }
  }

  // The host's request closed. Its 'close' follows the response's 'end' when the body is still being read,
  // as in Node; the request stops counting as pending work then.
  _onClose() {
    this._hostClosed = true;
    // With a response, the host also reports the response's 'close' (before or after this one).
    if (this.res === null || this._resClosed) requests.delete(this._id);
    if (this.socket !== null) {
      this.socket.destroyed = true;
      this.socket.connecting = false;
    }
    afterEnd(this.res, () => {
      if (!this.destroyed) this.destroy();
      this._count(false);
      this.emit('close');
      if (this.socket !== null) this.socket.emit('close', false);
      const response = this.res;
      if (response !== null && !response.destroyed && !response.complete) response.destroy();
    });
  }
}

// Runs `then` once `response` has emitted 'end' (if its body is complete and being read), else now.
function afterEnd(response, then) {
  if (response === null || response.destroyed || !response.complete || response.readableEnded) then();
  else response.once('end', () => queueMicrotask(then));
}

function bytesOrText(value) {
  if (Array.isArray(value)) return value.map(bytesOrText);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

function connResetError(message) {
  const error = new Error(message);
  error.code = 'ECONNRESET';
  return error;
}

// ---- the server side: OutgoingMessage and ServerResponse (Node's lib/_http_outgoing.js, _http_server.js) ----
// A response writes its head as HTTP/1.1 text and its body (chunked when Node would) to `socket.write`,
// exactly as Node's does, so libraries that hand it a socket of their own (serverless-http) read what they
// expect. Headers are kept as Node keeps them: lower-cased name → [name as set, value].
const kOutHeaders = Symbol('kOutHeaders');
const CRLF = '\r\n';
const CRLF_BYTES = Buffer.from(CRLF);
const HIGH_WATER_MARK = 16 * 1024;
const { Stream } = internal.builtin('stream');

function headersSentError(action) {
  return codedError(Error, 'ERR_HTTP_HEADERS_SENT', `Cannot ${action} headers after they are sent to the client`);
}

function utcDate() {
  return new Date().toUTCString();
}

class OutgoingMessage extends Stream {
  constructor(options) {
    super();
    this.outputData = [];
    this.outputSize = 0;
    this.writable = true;
    this.destroyed = false;
    this._last = false;
    this.chunkedEncoding = false;
    this.shouldKeepAlive = true;
    this.maxRequestsOnConnectionReached = false;
    this._defaultKeepAlive = true;
    this.useChunkedEncodingByDefault = true;
    this.sendDate = false;
    this._removedConnection = false;
    this._removedContLen = false;
    this._removedTE = false;
    this.strictContentLength = false;
    this._contentLength = null;
    this._hasBody = true;
    this._trailer = '';
    this.finished = false;
    this._headerSent = false;
    this._closed = false;
    this.socket = null;
    this._header = null;
    this[kOutHeaders] = null;
    this._keepAliveTimeout = 0;
    this._onPendingData = () => {};
    this._highWaterMark = options?.highWaterMark ?? HIGH_WATER_MARK;
  }

  get connection() {
    return this.socket;
  }
  set connection(socket) {
    this.socket = socket;
  }
  get headersSent() {
    return Boolean(this._header);
  }
  get writableEnded() {
    return this.finished;
  }
  get writableFinished() {
    return this.finished && this.outputSize === 0 && (!this.socket || this.socket.writableLength === 0);
  }
  get writableLength() {
    return this.outputSize + (this.socket ? this.socket.writableLength || 0 : 0);
  }
  get writableHighWaterMark() {
    return this._highWaterMark;
  }
  get writableCorked() {
    return 0;
  }
  get writableObjectMode() {
    return false;
  }
  get writableNeedDrain() {
    return false;
  }
  cork() {
    this.socket?.cork?.();
  }
  uncork() {
    this.socket?.uncork?.();
  }

  setHeader(name, value) {
    if (this._header) throw headersSentError('set');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    (this[kOutHeaders] ??= Object.create(null))[String(name).toLowerCase()] = [name, value];
    return this;
  }
  appendHeader(name, value) {
    if (this._header) throw headersSentError('append');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    const key = String(name).toLowerCase();
    const headers = (this[kOutHeaders] ??= Object.create(null));
    const existing = headers[key];
    if (existing === undefined) headers[key] = [name, value];
    else existing[1] = [...(Array.isArray(existing[1]) ? existing[1] : [existing[1]]), ...(Array.isArray(value) ? value : [value])];
    return this;
  }
  getHeader(name) {
    const entry = this[kOutHeaders]?.[String(name).toLowerCase()];
    return entry === undefined ? undefined : entry[1];
  }
  getHeaders() {
    const result = Object.create(null);
    for (const key of Object.keys(this[kOutHeaders] ?? {})) result[key] = this[kOutHeaders][key][1];
    return result;
  }
  getHeaderNames() {
    return Object.keys(this[kOutHeaders] ?? {});
  }
  getRawHeaderNames() {
    return Object.values(this[kOutHeaders] ?? {}).map(([name]) => name);
  }
  hasHeader(name) {
    return this[kOutHeaders]?.[String(name).toLowerCase()] !== undefined;
  }
  removeHeader(name) {
    if (this._header) throw headersSentError('remove');
    const key = String(name).toLowerCase();
    if (key === 'connection') this._removedConnection = true;
    else if (key === 'content-length') this._removedContLen = true;
    else if (key === 'transfer-encoding') this._removedTE = true;
    else if (key === 'date') this.sendDate = false;
    if (this[kOutHeaders] !== null) delete this[kOutHeaders][key];
  }

  _implicitHeader() {
    throw codedError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The _implicitHeader() method is not implemented');
  }

  // The head as text; which framing header it adds decides chunkedEncoding, as in Node.
  _storeHeader(firstLine, headers) {
    const state = { connection: false, contLen: false, te: false, date: false, trailer: false, header: firstLine };
    const add = (name, value) => {
      for (const one of Array.isArray(value) ? value : [value]) {
        state.header += `${name}: ${one}${CRLF}`;
        const key = String(name).toLowerCase();
        if (key === 'connection') {
          state.connection = true;
          if (/(^|\W)close($|\W)/i.test(one)) this._last = true;
          else this.shouldKeepAlive = true;
        } else if (key === 'transfer-encoding') {
          state.te = true;
          if (/(?:^|\W)chunked(?:$|\W)/i.test(one)) this.chunkedEncoding = true;
        } else if (key === 'content-length') state.contLen = true;
        else if (key === 'date') state.date = true;
        else if (key === 'trailer') state.trailer = true;
      }
    };
    if (headers === this[kOutHeaders] && headers !== null) {
      for (const key of Object.keys(headers)) add(headers[key][0], headers[key][1]);
    } else if (Array.isArray(headers)) {
      const pairs = headers.length > 0 && Array.isArray(headers[0]);
      if (pairs) for (const [name, value] of headers) add(name, value);
      else for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    } else if (headers) {
      for (const name of Object.keys(headers)) add(name, headers[name]);
    }
    if (this.sendDate && !state.date) state.header += `Date: ${utcDate()}${CRLF}`;
    if (!state.connection) {
      const keepAlive = this.shouldKeepAlive && (state.contLen || this.useChunkedEncodingByDefault);
      if (keepAlive && this.maxRequestsOnConnectionReached) state.header += `Connection: close${CRLF}`;
      else if (keepAlive) {
        state.header += `Connection: keep-alive${CRLF}`;
        if (this._keepAliveTimeout && this._defaultKeepAlive) state.header += `Keep-Alive: timeout=${Math.floor(this._keepAliveTimeout / 1000)}${CRLF}`;
      } else if (!this._removedConnection) {
        this._last = true;
        state.header += `Connection: close${CRLF}`;
      }
    }
    if (!state.contLen && !state.te) {
      if (!this._hasBody) this.chunkedEncoding = false;
      else if (!this.useChunkedEncodingByDefault) this._last = true;
      else if (!state.trailer && !this._removedContLen && typeof this._contentLength === 'number') state.header += `Content-Length: ${this._contentLength}${CRLF}`;
      else if (!this._removedTE) {
        state.header += `Transfer-Encoding: chunked${CRLF}`;
        this.chunkedEncoding = true;
      } else this._last = true;
    }
    this._header = state.header + CRLF;
    this._headerSent = false;
  }

  write(chunk, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = null;
    }
    return this._writeChunk(chunk, encoding, callback, false);
  }

  _writeChunk(chunk, encoding, callback, fromEnd) {
    if (this.finished || this.destroyed) {
      const error = this.destroyed
        ? codedError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
        : codedError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
      process.nextTick(() => {
        if (typeof callback === 'function') callback(error);
        if (!this.destroyed) this.emit('error', error);
      });
      return false;
    }
    if (chunk === null) throw codedError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array');
    }
    if (!this._header) {
      if (fromEnd) this._contentLength = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding || 'utf8') : chunk.byteLength;
      this._implicitHeader();
    }
    if (!this._hasBody) {
      if (typeof callback === 'function') process.nextTick(callback);
      return true;
    }
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding || 'utf8') : chunk.byteLength;
    if (this.chunkedEncoding && length !== 0) {
      this._send(length.toString(16), 'latin1', null);
      this._send(CRLF_BYTES, null, null);
      this._send(chunk, encoding, null);
      return this._send(CRLF_BYTES, null, callback);
    }
    return this._send(chunk, encoding, callback);
  }

  // The head goes out with the first piece of body (in one write when both are text, as in Node).
  _send(data, encoding, callback) {
    if (!this._headerSent && this._header !== null) {
      if (typeof data === 'string' && (encoding === 'utf8' || encoding === 'latin1' || !encoding)) {
        data = this._header + data;
      } else {
        this.outputData.unshift({ data: this._header, encoding: 'latin1', callback: null });
        this.outputSize += this._header.length;
        this._onPendingData(this._header.length);
      }
      this._headerSent = true;
    }
    return this._writeRaw(data, encoding, callback);
  }

  _writeRaw(data, encoding, callback) {
    const socket = this.socket;
    if (socket?.destroyed) return false;
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = null;
    }
    if (socket && socket._httpMessage === this && socket.writable) {
      if (this.outputData.length > 0) this._flushOutput(socket);
      return socket.write(data, encoding, callback);
    }
    this.outputData.push({ data, encoding, callback });
    this.outputSize += data.length;
    this._onPendingData(data.length);
    return this.outputSize < this._highWaterMark;
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = null;
      encoding = null;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = null;
    }
    if (chunk) {
      if (this.finished) {
        const error = codedError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
        process.nextTick(() => {
          if (typeof callback === 'function') callback(error);
          this.emit('error', error);
        });
        return this;
      }
      this._writeChunk(chunk, encoding, null, true);
    } else if (this.finished) {
      if (typeof callback === 'function') {
        if (!this.writableFinished) this.on('finish', callback);
        else callback(codedError(Error, 'ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished'));
      }
      return this;
    } else if (!this._header) {
      this._contentLength = 0;
      this._implicitHeader();
    }
    if (typeof callback === 'function') this.once('finish', callback);
    const finish = () => {
      if (this.socket?._hadError) return;
      this.emit('finish');
    };
    if (this._hasBody && this.chunkedEncoding) this._send(`0${CRLF}${this._trailer}${CRLF}`, 'latin1', finish);
    else if (!this._headerSent || this.writableLength || chunk) this._send('', 'latin1', finish);
    else process.nextTick(finish);
    this.finished = true;
    if (this.outputData.length === 0 && this.socket && this.socket._httpMessage === this) this._finish();
    return this;
  }

  _finish() {
    this.emit('prefinish');
  }

  _flush() {
    const socket = this.socket;
    if (socket && socket.writable) {
      const ret = this._flushOutput(socket);
      if (this.finished) this._finish();
      else if (ret) this.emit('drain');
    }
  }

  _flushOutput(socket) {
    const data = this.outputData;
    let ret = true;
    for (const { data: piece, encoding, callback } of data) ret = socket.write(piece, encoding, callback);
    this.outputData = [];
    this._onPendingData(-this.outputSize);
    this.outputSize = 0;
    return ret;
  }

  flushHeaders() {
    if (!this._header) this._implicitHeader();
    this._send('');
  }

  addTrailers(headers) {
    this._trailer = '';
    for (const name of Object.keys(headers)) this._trailer += `${name}: ${headers[name]}${CRLF}`;
  }

  setTimeout(ms, callback) {
    if (callback) this.on('timeout', callback);
    if (this.socket) this.socket.setTimeout?.(ms);
    else this.once('socket', (socket) => socket.setTimeout?.(ms));
    return this;
  }

  destroy(error) {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (this.socket) this.socket.destroy(error);
    else this.once('socket', (socket) => socket.destroy(error));
    return this;
  }
}

function onServerResponseClose() {
  if (this._httpMessage) {
    this._httpMessage.destroyed = true;
    this._httpMessage._closed = true;
    this._httpMessage.emit('close');
  }
}

class ServerResponse extends OutgoingMessage {
  constructor(req, options) {
    super(options);
    if (req.method === 'HEAD') this._hasBody = false;
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this._sent100 = false;
    this._expect_continue = false;
    if (req.httpVersionMajor < 1 || req.httpVersionMinor < 1) {
      this.useChunkedEncodingByDefault = /(?:^|\W)chunked(?:$|\W)/i.test(req.headers?.te ?? '');
      this.shouldKeepAlive = false;
    }
  }

  assignSocket(socket) {
    if (socket._httpMessage) throw codedError(Error, 'ERR_HTTP_SOCKET_ASSIGNED', 'ServerResponse has an already assigned socket');
    socket._httpMessage = this;
    socket.on('close', onServerResponseClose);
    this.socket = socket;
    this.emit('socket', socket);
    this._flush();
  }

  detachSocket(socket) {
    socket.removeListener('close', onServerResponseClose);
    socket._httpMessage = null;
    this.socket = null;
  }

  writeContinue(callback) {
    this._writeRaw(`HTTP/1.1 100 Continue${CRLF}${CRLF}`, 'ascii', callback);
    this._sent100 = true;
  }

  writeProcessing(callback) {
    this._writeRaw(`HTTP/1.1 102 Processing${CRLF}${CRLF}`, 'ascii', callback);
  }

  _implicitHeader() {
    this.writeHead(this.statusCode);
  }

  writeHead(statusCode, reason, obj) {
    if (this._header) throw headersSentError('write');
    const original = statusCode;
    statusCode |= 0;
    if (statusCode < 100 || statusCode > 999) throw codedError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${original}`);
    if (typeof reason === 'string') this.statusMessage = reason;
    else {
      this.statusMessage ||= STATUS_CODES[statusCode] || 'unknown';
      obj ??= reason;
    }
    this.statusCode = statusCode;
    let headers;
    if (this[kOutHeaders]) {
      if (Array.isArray(obj)) {
        if (obj.length > 0 && Array.isArray(obj[0])) for (const [name, value] of obj) this.appendHeader(name, value);
        else for (let i = 0; i < obj.length; i += 2) this.appendHeader(obj[i], obj[i + 1]);
      } else if (obj) {
        for (const name of Object.keys(obj)) if (name) this.setHeader(name, obj[name]);
      }
      headers = this[kOutHeaders];
    } else {
      headers = obj;
    }
    if (INVALID_HEADER_CHAR.test(this.statusMessage)) throw codedError(TypeError, 'ERR_INVALID_CHAR', 'Invalid character in statusMessage');
    const statusLine = `HTTP/1.1 ${statusCode} ${this.statusMessage}${CRLF}`;
    if (statusCode === 204 || statusCode === 304 || (statusCode >= 100 && statusCode <= 199)) this._hasBody = false;
    if (this._expect_continue && !this._sent100) this.shouldKeepAlive = false;
    this._storeHeader(statusLine, headers);
    return this;
  }

  writeHeader(...args) {
    return this.writeHead(...args);
  }
}

// ---- servers: virtual, reachable only from this isolate ----
// listen() registers the server under its path or port in this isolate; http.request({ socketPath }) or a
// loopback host and that port reaches it here, through the same ServerResponse writing real HTTP/1.1 that
// is parsed back into the client's IncomingMessage. No host socket is ever opened: nothing outside the
// function can connect (a function is reached through its triggers). Frameworks' serverless adapters
// (tencent-serverless-http) proxy each event to such a server.
const servers = new Map();
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '::']);
const FIRST_EPHEMERAL_PORT = 40000;
let nextEphemeralPort = FIRST_EPHEMERAL_PORT;

function serverKey(address) {
  return typeof address === 'string' ? `pipe:${address}` : `port:${address.port}`;
}

function describe(address) {
  return typeof address === 'string' ? address : `${address.address}:${address.port}`;
}

function systemError(code, errno, syscall, address, message) {
  const error = codedError(Error, code, message);
  error.errno = errno;
  error.syscall = syscall;
  if (typeof address === 'string') error.address = address;
  else if (address !== undefined) Object.assign(error, { address: address.address, port: address.port });
  return error;
}

class Server extends EventEmitter {
  constructor(options, listener) {
    super();
    if (typeof options === 'function') listener = options;
    if (typeof listener === 'function') this.on('request', listener);
    this.listening = false;
    this.timeout = 0;
    this.keepAliveTimeout = 5000;
    this.headersTimeout = 60000;
    this.requestTimeout = 300000;
    this.maxHeadersCount = null;
    this.maxRequestsPerSocket = 0;
    this._address = null;
    this._refed = true;
  }
  listen(...args) {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    let [first, host] = args;
    let address;
    if (first !== null && typeof first === 'object') {
      if (first.path !== undefined) address = String(first.path);
      else {
        host = first.host;
        first = first.port;
      }
    } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
      address = first;
    }
    if (address === undefined) {
      let port = first === undefined || first === null ? 0 : Number(first);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw codedError(RangeError, 'ERR_SOCKET_BAD_PORT', `options.port should be >= 0 and < 65536. Received ${first}.`);
      }
      if (port === 0) {
        do port = nextEphemeralPort++;
        while (servers.has(`port:${port}`));
      }
      const bound = typeof host === 'string' && host !== '' ? (host === 'localhost' ? '127.0.0.1' : host) : '::';
      address = { address: bound, family: bound.includes(':') ? 'IPv6' : 'IPv4', port };
    }
    if (this.listening) throw codedError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (callback !== undefined) this.once('listening', callback);
    const key = serverKey(address);
    if (servers.has(key)) {
      const error = systemError('EADDRINUSE', -98, 'listen', address, `listen EADDRINUSE: address already in use ${describe(address)}`);
      process.nextTick(() => this.emit('error', error));
      return this;
    }
    servers.set(key, this);
    this._address = address;
    this.listening = true;
    // A listening server keeps Node's event loop busy, so it counts as pending work until closed or unref'd.
    if (this._refed) internal.loopRef();
    process.nextTick(() => this.emit('listening'));
    return this;
  }
  address() {
    if (!this.listening) return null;
    return typeof this._address === 'string' ? this._address : { ...this._address };
  }
  close(callback) {
    if (!this.listening) {
      if (typeof callback === 'function') process.nextTick(() => callback(codedError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      return this;
    }
    servers.delete(serverKey(this._address));
    this.listening = false;
    if (this._refed) internal.loopUnref();
    if (typeof callback === 'function') this.once('close', () => callback());
    process.nextTick(() => this.emit('close'));
    return this;
  }
  setTimeout(ms, callback) {
    this.timeout = Number(ms) || 0;
    if (callback !== undefined) this.on('timeout', callback);
    return this;
  }
  getConnections(callback) {
    process.nextTick(() => callback(null, 0));
    return this;
  }
  closeAllConnections() {}
  closeIdleConnections() {}
  ref() {
    if (!this._refed && this.listening) internal.loopRef();
    this._refed = true;
    return this;
  }
  unref() {
    if (this._refed && this.listening) internal.loopUnref();
    this._refed = false;
    return this;
  }
}

// Node's IncomingMessage header object rules (lib/_http_incoming.js _addHeaderLine).
const SINGLE_HEADERS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

function headersObject(rawHeaders) {
  const headers = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    if (headers[name] === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') headers[name].push(value);
    else if (SINGLE_HEADERS.has(name)) continue;
    else headers[name] += `${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

const METHODS_WITHOUT_CHUNKED_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

// Parses the HTTP/1.1 a virtual server's response writes: the head, then the body by its framing.
class ResponseReader {
  constructor(method, onHead, onData, onEnd) {
    this._method = method;
    this._onHead = onHead;
    this._onData = onData;
    this._onEnd = onEnd;
    this._buffer = Buffer.alloc(0);
    this._state = 'head';
    this._remaining = 0;
  }
  feed(bytes) {
    this._buffer = this._buffer.length === 0 ? bytes : Buffer.concat([this._buffer, bytes]);
    for (;;) {
      if (this._state === 'head') {
        const end = this._buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = this._buffer.subarray(0, end).toString('latin1').split('\r\n');
        this._buffer = this._buffer.subarray(end + 4);
        const [, version, code, message = ''] = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]) ?? [];
        const statusCode = Number(code);
        const rawHeaders = [];
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
        }
        if (statusCode >= 100 && statusCode < 200 && statusCode !== 101) continue;
        const headers = headersObject(rawHeaders);
        this._onHead({ statusCode, statusMessage: message, httpVersion: version, headers, rawHeaders });
        if (this._method === 'HEAD' || statusCode === 204 || statusCode === 304) this._state = 'done';
        else if (/(?:^|\W)chunked(?:$|\W)/i.test(headers['transfer-encoding'] ?? '')) this._state = 'chunk-size';
        else if (headers['content-length'] !== undefined) {
          this._remaining = Number(headers['content-length']);
          this._state = this._remaining > 0 ? 'length' : 'done';
        } else this._state = 'until-close';
        if (this._state === 'done') this._finish();
      } else if (this._state === 'length' || this._state === 'until-close') {
        if (this._buffer.length === 0) return;
        const take = this._state === 'length' ? Math.min(this._remaining, this._buffer.length) : this._buffer.length;
        this._onData(this._buffer.subarray(0, take));
        this._buffer = this._buffer.subarray(take);
        if (this._state === 'length') {
          this._remaining -= take;
          if (this._remaining === 0) this._finish();
        }
      } else if (this._state === 'chunk-size') {
        const end = this._buffer.indexOf('\r\n');
        if (end === -1) return;
        this._remaining = parseInt(this._buffer.subarray(0, end).toString('latin1'), 16);
        this._buffer = this._buffer.subarray(end + 2);
        this._state = this._remaining === 0 ? 'trailers' : 'chunk';
      } else if (this._state === 'chunk') {
        if (this._remaining === 0) {
          if (this._buffer.length < 2) return;
          this._buffer = this._buffer.subarray(2);
          this._state = 'chunk-size';
          continue;
        }
        if (this._buffer.length === 0) return;
        const take = Math.min(this._remaining, this._buffer.length);
        this._onData(this._buffer.subarray(0, take));
        this._buffer = this._buffer.subarray(take);
        this._remaining -= take;
      } else if (this._state === 'trailers') {
        const end = this._buffer.indexOf('\r\n');
        if (end === -1) return;
        this._buffer = this._buffer.subarray(end + 2);
        if (end === 0) this._finish();
      } else {
        return;
      }
    }
  }
  // The server's side ended (a response without framing ends with its connection).
  close() {
    if (this._state === 'until-close') this._finish();
  }
  _finish() {
    if (this._state === 'ended') return;
    this._state = 'ended';
    this._onEnd();
  }
}

// The server's end of a virtual connection: what a ServerResponse writes goes to the client's reader.
class LoopbackSocket extends EventEmitter {
  constructor(address, onWrite, onClose) {
    super();
    const tcp = typeof address !== 'string';
    this.remoteAddress = tcp ? '127.0.0.1' : undefined;
    this.remotePort = tcp ? FIRST_EPHEMERAL_PORT - 1 : undefined;
    this.remoteFamily = tcp ? 'IPv4' : undefined;
    this.localAddress = tcp ? '127.0.0.1' : undefined;
    this.localPort = tcp ? address.port : undefined;
    this.readable = true;
    this.writable = true;
    this.destroyed = false;
    this.connecting = false;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.writableLength = 0;
    this._writableState = {};
    this._httpMessage = null;
    this._onWrite = onWrite;
    this._onClose = onClose;
  }
  write(data, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, encoding || 'utf8') : Buffer.from(data);
    this.bytesWritten += bytes.length;
    this._onWrite(bytes);
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  }
  end(data, encoding, callback) {
    if (data !== undefined && data !== null && typeof data !== 'function') this.write(data, encoding);
    this.destroy();
    if (typeof callback === 'function') process.nextTick(callback);
    else if (typeof data === 'function') process.nextTick(data);
    return this;
  }
  destroySoon() {
    this.destroy();
  }
  destroy(error) {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    this.readable = false;
    this._onClose(error);
    process.nextTick(() => {
      if (error) this.emit('error', error);
      this.emit('close', Boolean(error));
    });
    return this;
  }
  address() {
    return this.localPort === undefined ? {} : { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }
  setTimeout(_ms, callback) {
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  cork() {}
  uncork() {}
  pause() {
    return this;
  }
  resume() {
    return this;
  }
}

// The ClientRequest side of virtual connections: the same calls the host's service takes, answered with
// the same events (see ClientRequest#_onHost), each on its own turn of the loop as I/O would be.
const connections = new Map();

function toClient(id, event, data) {
  setImmediate(() => {
    const request = requests.get(id);
    if (request === undefined) return;
    try {
      request._onHost(event, data);
    } catch (error) {
      internal.uncaught(error);
    }
  });
}

function requestHead(client, head, body, end) {
  const rawHeaders = [];
  for (const [name, value] of head.headers) for (const one of Array.isArray(value) ? value : [value]) rawHeaders.push(name, String(one));
  const has = (name) => rawHeaders.some((header, i) => i % 2 === 0 && header.toLowerCase() === name);
  // The headers Node's ClientRequest adds on the wire (lib/_http_outgoing.js _storeHeader).
  if (!has('connection')) rawHeaders.push('Connection', client.agent?.keepAlive ? 'keep-alive' : 'close');
  if (!has('content-length') && !has('transfer-encoding') && !METHODS_WITHOUT_CHUNKED_BODY.has(head.method)) {
    if (end) rawHeaders.push('Content-Length', String(body === null ? 0 : body.byteLength));
    else rawHeaders.push('Transfer-Encoding', 'chunked');
  }
  return rawHeaders;
}

const loopback = {
  request(id, head, body, end) {
    const client = requests.get(id);
    const server = this._server;
    const address = server._address;
    const tcp = typeof address !== 'string';
    const connection = { server, req: null, res: null, reader: null, socket: null, closed: false };
    connections.set(id, connection);
    const reader = new ResponseReader(head.method, (data) => toClient(id, 'response', data), (bytes) => toClient(id, 'data', new Uint8Array(bytes)), () => {
      toClient(id, 'end', { rawTrailers: [], trailers: {} });
      loopback._close(id);
    });
    connection.reader = reader;
    const socket = new LoopbackSocket(address, (bytes) => reader.feed(bytes), () => {
      reader.close();
      loopback._close(id);
    });
    connection.socket = socket;
    toClient(id, 'socket', tcp ? { remoteAddress: '127.0.0.1', remotePort: address.port, remoteFamily: 'IPv4', localAddress: '127.0.0.1', localPort: FIRST_EPHEMERAL_PORT - 1 } : {});
    if (!tcp) toClient(id, 'connect', {});
    const rawHeaders = requestHead(client, head, body, end);
    setImmediate(() => {
      if (connection.closed) return;
      const req = new IncomingMessage(socket);
      Object.assign(req, { httpVersionMajor: 1, httpVersionMinor: 1, httpVersion: '1.1', method: head.method, url: head.path, rawHeaders, headers: headersObject(rawHeaders) });
      req.once('end', () => {
        req.complete = true;
      });
      const res = new ServerResponse(req);
      res.shouldKeepAlive = req.headers.connection !== 'close';
      res._keepAliveTimeout = server.keepAliveTimeout;
      connection.req = req;
      connection.res = res;
      for (const chunk of connection.pending ?? []) req.push(chunk);
      connection.pending = undefined;
      res.assignSocket(socket);
      res.on('finish', () => {
        if (!req.readableEnded) req.resume();
        res.detachSocket(socket);
        reader.close();
        process.nextTick(() => {
          res.emit('close');
          if (!req.destroyed) req.destroy();
        });
        loopback._close(id);
      });
      try {
        server.emit('connection', socket);
        server.emit('request', req, res);
      } catch (error) {
        internal.uncaught(error);
      }
    });
    if (body !== null && body.byteLength > 0) loopback._body(id, Buffer.from(body));
    if (end) loopback.end(id);
  },
  _body(id, chunk) {
    const connection = connections.get(id);
    if (connection === undefined) return;
    if (connection.req === null) (connection.pending ??= []).push(chunk);
    else connection.req.push(chunk);
  },
  write(id, bytes) {
    loopback._body(id, Buffer.from(bytes));
    toClient(id, 'written', bytes.byteLength);
  },
  end(id) {
    loopback._body(id, null);
    toClient(id, 'finished', null);
  },
  destroy(id) {
    const connection = connections.get(id);
    if (connection === undefined) return;
    if (connection.req !== null && !connection.req.complete) {
      connection.req.aborted = true;
      connection.req.emit('aborted');
      connection.req.destroy(connResetError('aborted'));
    }
    connection.socket.destroy();
    loopback._close(id);
  },
  // The connection closes once the response ended (each request gets its own virtual connection).
  _close(id) {
    const connection = connections.get(id);
    if (connection === undefined || connection.closed) return;
    connection.closed = true;
    connections.delete(id);
    toClient(id, 'close', null);
    toClient(id, 'resClose', null);
  },
  ack() {},
  resume() {},
  setTimeout() {},
  setNoDelay() {},
  setSocketKeepAlive() {},
};

// A request that goes to one of this isolate's servers instead of the host, or fails as Node would when
// its socketPath names no server (the function sees no host sockets).
function loopbackTransport(options, host, port) {
  if (options.socketPath !== undefined && options.socketPath !== null) {
    const server = servers.get(`pipe:${options.socketPath}`);
    return server === undefined ? refusedTransport(systemError('ENOENT', -2, 'connect', String(options.socketPath), `connect ENOENT ${options.socketPath}`)) : { ...loopback, _server: server };
  }
  const server = LOOPBACK_HOSTS.has(host) ? servers.get(`port:${port}`) : undefined;
  return server === undefined ? null : { ...loopback, _server: server };
}

function refusedTransport(error) {
  return {
    ...loopback,
    request(id) {
      toClient(id, 'socket', {});
      toClient(id, 'error', { ...error, message: error.message });
      toClient(id, 'close', null);
    },
    write() {},
    end() {},
    destroy() {},
  };
}

// `defaults.agent` is the module's globalAgent (assignable, as in Node).
function makeModule(defaults, AgentClass, extras) {
  const request = (input, options, cb) => new ClientRequest(input, options, cb, defaults);
  return {
    request,
    get(input, options, cb) {
      const req = request(input, options, cb);
      req.end();
      return req;
    },
    Agent: AgentClass,
    get globalAgent() {
      return defaults.agent;
    },
    set globalAgent(agent) {
      defaults.agent = agent;
    },
    Server,
    createServer: (options, listener) => new Server(options, listener),
    ...extras,
  };
}

const httpState = { agent: globalAgent };
const http = makeModule(httpState, Agent, {
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  ServerResponse,
  STATUS_CODES,
  METHODS,
  maxHeaderSize: 16384,
  validateHeaderName: (name) => validateHeaderName(name),
  validateHeaderValue,
  setMaxIdleHTTPParsers() {},
});
const https = makeModule({ agent: httpsGlobalAgent }, HttpsAgent, {});

internal.modules.http = http;
internal.modules.https = https;
internal.modules._http_agent = { Agent, globalAgent };
