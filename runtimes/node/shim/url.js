// Runs inside the isolate. WHATWG URL parsed by the host's own URL implementation (exact semantics, no
// polyfill to ship); URLSearchParams is plain JS. Plus the `url` and `querystring` built-in modules.
/* global internal, host */
const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
const SETTABLE = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

function invalidUrl(input) {
  const error = new TypeError('Invalid URL');
  error.code = 'ERR_INVALID_URL';
  error.input = input;
  return error;
}

class URL {
  #parts;
  #params = null;
  constructor(url, base) {
    const input = String(url);
    const parts = host.urlParse(input, base === undefined ? undefined : String(base));
    if (parts === null) throw invalidUrl(input);
    this.#parts = parts;
  }
  static canParse(url, base) {
    return host.urlParse(String(url), base === undefined ? undefined : String(base)) !== null;
  }
  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.#parts[9]);
      this.#params._url = this;
    }
    return this.#params;
  }
  toString() {
    return this.#parts[0];
  }
  toJSON() {
    return this.#parts[0];
  }
  _setSearchFromParams(query) {
    const parts = host.urlSet(this.#parts[0], 'search', query);
    if (parts !== null) this.#parts = parts;
  }
  static _set(url, name, value) {
    const parts = host.urlSet(url.#parts[0], name, String(value));
    if (parts === null) {
      if (name === 'href') throw invalidUrl(String(value));
      return;
    }
    url.#parts = parts;
    if (url.#params !== null && name !== 'hash') url.#params._reset(parts[9]);
  }
  static _get(url, index) {
    return url.#parts[index];
  }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `URL ${internal.inspect(Object.fromEntries(FIELDS.map((name, i) => [name, this.#parts[i]])))}`;
  }
}
FIELDS.forEach((name, index) => {
  const descriptor = {
    get() {
      return URL._get(this, index);
    },
    enumerable: true,
    configurable: true,
  };
  if (SETTABLE.has(name)) {
    descriptor.set = function (value) {
      URL._set(this, name, value);
    };
  }
  Object.defineProperty(URL.prototype, name, descriptor);
});

function decodeComponent(s) {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function encodeForm(s) {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function parsePairs(query) {
  const list = [];
  if (query.startsWith('?')) query = query.slice(1);
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    list.push(eq < 0 ? [decodeComponent(piece), ''] : [decodeComponent(piece.slice(0, eq)), decodeComponent(piece.slice(eq + 1))]);
  }
  return list;
}

class URLSearchParams {
  #list = [];
  constructor(init = '') {
    if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
    else if (typeof init === 'object' && init !== null && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const [k, v, extra] = Array.from(pair);
        if (extra !== undefined || v === undefined) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
        this.#list.push([String(k), String(v)]);
      }
    } else if (typeof init === 'object' && init !== null) {
      for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    } else this.#list = parsePairs(String(init));
  }
  _reset(search) {
    this.#list = parsePairs(search);
  }
  #update() {
    if (this._url) this._url._setSearchFromParams(this.toString());
  }
  get size() {
    return this.#list.length;
  }
  append(name, value) {
    this.#list.push([String(name), String(value)]);
    this.#update();
  }
  delete(name, value) {
    name = String(name);
    this.#list = this.#list.filter(([k, v]) => k !== name || (value !== undefined && v !== String(value)));
    this.#update();
  }
  get(name) {
    const found = this.#list.find(([k]) => k === String(name));
    return found ? found[1] : null;
  }
  getAll(name) {
    return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
  }
  has(name, value) {
    return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)));
  }
  set(name, value) {
    name = String(name);
    const index = this.#list.findIndex(([k]) => k === name);
    if (index < 0) this.#list.push([name, String(value)]);
    else {
      this.#list[index][1] = String(value);
      this.#list = this.#list.filter(([k], i) => k !== name || i === index);
    }
    this.#update();
  }
  sort() {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }
  forEach(callback, thisArg) {
    for (const [k, v] of this.#list) callback.call(thisArg, v, k, this);
  }
  *entries() {
    for (const [k, v] of this.#list) yield [k, v];
  }
  *keys() {
    for (const [k] of this.#list) yield k;
  }
  *values() {
    for (const [, v] of this.#list) yield v;
  }
  [Symbol.iterator]() {
    return this.entries();
  }
  toString() {
    return this.#list.map(([k, v]) => `${encodeForm(k)}=${encodeForm(v)}`).join('&');
  }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `URLSearchParams { ${this.#list.map(([k, v]) => `${internal.inspect(k)} => ${internal.inspect(v)}`).join(', ')} }`;
  }
}

const querystring = {
  unescape: decodeComponent,
  escape: (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
  parse(str, sep = '&', eq = '=', options = {}) {
    const out = Object.create(null);
    if (typeof str !== 'string' || str.length === 0) return out;
    const maxKeys = options.maxKeys === undefined ? 1000 : options.maxKeys;
    const decode = options.decodeURIComponent || decodeComponent;
    let pieces = str.split(sep);
    if (maxKeys > 0) pieces = pieces.slice(0, maxKeys);
    for (const piece of pieces) {
      if (piece === '') continue;
      const at = piece.indexOf(eq);
      const k = decode(at < 0 ? piece : piece.slice(0, at));
      const v = at < 0 ? '' : decode(piece.slice(at + eq.length));
      if (!(k in out)) out[k] = v;
      else if (Array.isArray(out[k])) out[k].push(v);
      else out[k] = [out[k], v];
    }
    return out;
  },
  stringify(obj, sep = '&', eq = '=', options = {}) {
    if (obj === null || typeof obj !== 'object') return '';
    const encode = options.encodeURIComponent || querystring.escape;
    const scalar = (v) => (typeof v === 'string' ? v : typeof v === 'number' && isFinite(v) ? String(v) : typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : '');
    return Object.keys(obj)
      .map((k) => {
        const v = obj[k];
        const key = encode(scalar(k)) + eq;
        return Array.isArray(v) ? v.map((item) => key + encode(scalar(item))).join(sep) : key + encode(scalar(v));
      })
      .filter(Boolean)
      .join(sep);
  },
};
querystring.decode = querystring.parse;
querystring.encode = querystring.stringify;
internal.querystring = querystring;

internal.url = {
  URL,
  URLSearchParams,
  // Legacy url.parse(): the host's own implementation, copied back as a plain object.
  parse(input, parseQueryString = false, slashesDenoteHost = false) {
    const parsed = host.urlLegacyParse(String(input), Boolean(slashesDenoteHost));
    if (parseQueryString) parsed.query = querystring.parse(parsed.query || '');
    return parsed;
  },
  format(value) {
    if (value instanceof URL) return value.href;
    return typeof value === 'string' ? value : host.urlLegacyFormat(value);
  },
  resolve: (from, to) => host.urlLegacyResolve(String(from), String(to)),
  fileURLToPath(value) {
    const url = value instanceof URL ? value : new URL(String(value));
    if (url.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
    return decodeURIComponent(url.pathname);
  },
  pathToFileURL(path) {
    return new URL('file://' + encodeURI(internal.need('path').path.resolve(path)).replace(/[?#]/g, encodeURIComponent));
  },
  domainToASCII: (domain) => {
    try {
      return new URL('http://' + domain).hostname;
    } catch {
      return '';
    }
  },
};

Object.defineProperties(globalThis, {
  URL: { value: URL, writable: true, configurable: true },
  URLSearchParams: { value: URLSearchParams, writable: true, configurable: true },
});
