// Runs inside the isolate, on demand. The `http` and `https` built-ins' client side: a ClientRequest here is
// a Writable whose head and body go to a request of the gateway's own Node (host.ts); the response comes
// back as an IncomingMessage (a Readable fed in flow-controlled chunks). Until its 'close' a request counts
// as pending work, as its socket does in Node. Agents are descriptions of the host's agents (keepAlive,
// maxSockets …): connections live on the host, per instance. Servers are refused: a function may not listen.
/* global internal, config, data */
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

function codedError(Type, code, message) {
  const error = new Type(message);
  error.code = code;
  return error;
}

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
      service.resume(this.req._id);
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
      service.destroy(request._id);
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
    const refusal = this._refusal();
    if (refusal !== null) {
      this._hostClosed = true;
      setImmediate(() => {
        this.destroy(refusal);
        this._closeSoon();
      });
      return true;
    }
    service.request(this._id, this._head(), body, end);
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
    if (!this._started) this.once('socket', () => service[method](this._id, ...args));
    else service[method](this._id, ...args);
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
    if (!this._start(bytes, false)) service.write(this._id, bytes);
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
    if (!this._start(body === null ? null : new Uint8Array(body), true)) service.end(this._id);
  }

  _destroy(error, callback) {
    if (!this._hostClosed) {
      if (this._started) service.destroy(this._id);
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
          service.ack(this._id, chunk.length, true);
          break;
        }
        if (this.socket !== null) this.socket.bytesRead += chunk.length;
        const more = response.push(chunk);
        response._hostPaused = !more;
        service.ack(this._id, chunk.length, more);
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

// ---- servers: refused ----
function listenRefused() {
  return codedError(Error, 'EACCES', 'listen EACCES: a function may not listen for connections (fngate functions are clients only; use a web function for an HTTP server)');
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
  setTimeout() {
    return this;
  }
  closeAllConnections() {}
  closeIdleConnections() {}
  ref() {
    return this;
  }
  unref() {
    return this;
  }
}

class OutgoingMessage extends Writable {}
class ServerResponse extends OutgoingMessage {}

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

// http2: its constants (libraries such as axios read them at load) and a clear error for any use.
function http2Refused() {
  return codedError(Error, 'ERR_FNGATE_HTTP2', 'HTTP/2 is not available in the isolate; set `nodeRuntime: process` for this function (fngate.yml) to use http2');
}
const http2 = {
  constants: data.http2Constants,
  sensitiveHeaders: Symbol('nodejs.http2.sensitiveHeaders'),
  connect() {
    throw http2Refused();
  },
  createServer() {
    throw http2Refused();
  },
  createSecureServer() {
    throw http2Refused();
  },
  getDefaultSettings: () => ({ headerTableSize: 4096, enablePush: true, initialWindowSize: 65535, maxFrameSize: 16384, maxConcurrentStreams: 4294967295, maxHeaderListSize: 65535, maxHeaderSize: 65535, enableConnectProtocol: false }),
  getPackedSettings() {
    throw http2Refused();
  },
  getUnpackedSettings() {
    throw http2Refused();
  },
};

internal.modules.http = http;
internal.modules.http2 = http2;
internal.modules.https = https;
internal.modules._http_agent = { Agent, globalAgent };
