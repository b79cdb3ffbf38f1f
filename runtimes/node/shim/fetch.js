// Runs inside the isolate. `fetch` performed by the host (its timeout is the invocation's remaining time);
// the isolate sends the request with one ignored call and gets the whole response back through
// dispatch(FETCH_*, id, data). An in-flight fetch keeps the event loop non-empty, like a socket in Node.
/* global internal, host */
const { utf8Encode, utf8Decode } = internal.need('encoding');
const inflight = new Map();
let nextId = 1;

class Headers {
  #map = new Map();
  constructor(init) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) init.forEach((value, name) => this.append(name, value));
    else if (typeof init[Symbol.iterator] === 'function') for (const [name, value] of init) this.append(name, value);
    else for (const name of Object.keys(init)) this.append(name, init[name]);
  }
  append(name, value) {
    const key = String(name).toLowerCase();
    const existing = this.#map.get(key);
    this.#map.set(key, existing === undefined ? String(value) : `${existing}, ${value}`);
  }
  set(name, value) {
    this.#map.set(String(name).toLowerCase(), String(value));
  }
  get(name) {
    const value = this.#map.get(String(name).toLowerCase());
    return value === undefined ? null : value;
  }
  has(name) {
    return this.#map.has(String(name).toLowerCase());
  }
  delete(name) {
    this.#map.delete(String(name).toLowerCase());
  }
  getSetCookie() {
    const value = this.#map.get('set-cookie');
    return value === undefined ? [] : value.split(/, (?=[^;]+=)/);
  }
  forEach(callback, thisArg) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }
  *entries() {
    yield* [...this.#map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  *keys() {
    for (const [name] of this.entries()) yield name;
  }
  *values() {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator]() {
    return this.entries();
  }
}

function bodyBytes(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return utf8Encode(body);
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) return utf8Encode(body.toString());
  throw new TypeError('fetch in the isolate supports string, ArrayBuffer, TypedArray, Buffer and URLSearchParams bodies');
}

class Response {
  #body;
  #used = false;
  constructor(body = null, init = {}) {
    this.#body = bodyBytes(body) || new Uint8Array(0);
    this.status = init.status === undefined ? 200 : init.status;
    this.statusText = init.statusText === undefined ? '' : init.statusText;
    this.headers = new Headers(init.headers);
    this.ok = this.status >= 200 && this.status < 300;
    this.url = init.url || '';
    this.redirected = Boolean(init.redirected);
    this.type = 'basic';
  }
  get bodyUsed() {
    return this.#used;
  }
  #consume() {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return Promise.resolve(this.#body);
  }
  arrayBuffer() {
    return this.#consume().then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  bytes() {
    return this.#consume().then((b) => b.slice());
  }
  text() {
    return this.#consume().then((b) => utf8Decode(b));
  }
  json() {
    return this.text().then((text) => JSON.parse(text));
  }
  clone() {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new Response(this.#body.slice(), this);
  }
}

function abortError(signal) {
  if (signal.reason !== undefined) return signal.reason;
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}

function fetch(input, init = {}) {
  return new Promise((resolve, reject) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url ? String(input.url) : String(input);
    const method = String(init.method || (input && input.method) || 'GET').toUpperCase();
    const headers = new Headers(init.headers || (input && typeof input === 'object' && input.headers) || undefined);
    if (init.body instanceof URLSearchParams && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    const body = bodyBytes(init.body);
    const signal = init.signal;
    if (signal && signal.aborted) return reject(abortError(signal));
    const id = nextId++;
    const request = { resolve, reject, signal, onAbort: undefined };
    if (signal && typeof signal.addEventListener === 'function') {
      request.onAbort = () => {
        if (!inflight.has(id)) return;
        host.fetchAbort(id);
        settle(id, false, abortError(signal));
      };
      signal.addEventListener('abort', request.onAbort);
    }
    inflight.set(id, request);
    internal.loopRef();
    host.fetchStart(id, url, method, [...headers], body, init.redirect || 'follow');
  });
}

function settle(id, ok, value) {
  const request = inflight.get(id);
  if (request === undefined) return;
  inflight.delete(id);
  if (request.onAbort) request.signal.removeEventListener('abort', request.onAbort);
  if (ok) request.resolve(value);
  else request.reject(value);
  internal.loopUnref();
}

internal.fetchDone = (id, data) => settle(id, true, new Response(data.body, data));
internal.fetchFailed = (id, data) => {
  const error = data.name === 'TimeoutError' || data.name === 'AbortError' ? new Error(data.message) : new TypeError('fetch failed');
  if (data.name === 'TimeoutError' || data.name === 'AbortError') error.name = data.name;
  else error.cause = Object.assign(new Error(data.message), { code: data.code });
  settle(id, false, error);
};

for (const [name, value] of Object.entries({ fetch, Headers, Response })) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
