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
  format(value, options) {
    if (value instanceof URL) return formatURL(value, options);
    return typeof value === 'string' ? value : host.urlLegacyFormat(value);
  },
  resolve: (from, to) => host.urlLegacyResolve(String(from), String(to)),
  fileURLToPath(value) {
    const url = value instanceof URL ? value : new URL(String(value));
    if (url.protocol !== 'file:') throw codeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    if (url.hostname !== '') throw codeError(TypeError, 'ERR_INVALID_FILE_URL_HOST', 'File URL host must be "localhost" or empty on linux');
    if (/%2f/i.test(url.pathname)) throw codeError(TypeError, 'ERR_INVALID_FILE_URL_PATH', 'File URL path must not include encoded / characters');
    return decodeURIComponent(url.pathname);
  },
  // Node's pathToFileURL: the resolved path as a URL pathname, with the characters a pathname keeps raw escaped.
  pathToFileURL(path) {
    let resolved = internal.need('path').path.resolve(path);
    if (path.endsWith('/') && !resolved.endsWith('/')) resolved += '/';
    const url = new URL('file://');
    url.pathname = resolved.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
    return url;
  },
  domainToASCII: (domain) => {
    try {
      return new URL('http://' + domain).hostname;
    } catch {
      return '';
    }
  },
  domainToUnicode: (domain) => {
    const ascii = internal.url.domainToASCII(domain);
    if (ascii === '') return '';
    try {
      return internal.builtin('punycode').toUnicode(ascii);
    } catch {
      return '';
    }
  },
  // The options object http.request takes, from a WHATWG URL.
  urlToHttpOptions(url) {
    const options = {
      __proto__: null,
      ...url,
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
  },
  Url: function Url() {},
};

function codeError(Type, code, message) {
  const error = new Type(message);
  error.code = code;
  return error;
}

// url.format(URL, { auth, fragment, search, unicode }): Node's rules for a WHATWG URL.
function formatURL(url, options = {}) {
  const { auth = true, fragment = true, search = true, unicode = false } = options ?? {};
  let text = url.protocol;
  if (url.host !== '' || url.protocol === 'file:') {
    text += '//';
    if (auth && (url.username !== '' || url.password !== '')) {
      text += url.username;
      if (url.password !== '') text += `:${url.password}`;
      text += '@';
    }
    text += unicode ? internal.url.domainToUnicode(url.hostname) + (url.port ? `:${url.port}` : '') : url.host;
  }
  text += url.pathname;
  if (search) text += url.search;
  if (fragment) text += url.hash;
  return text;
}

Object.defineProperties(globalThis, {
  URL: { value: URL, writable: true, configurable: true },
  URLSearchParams: { value: URLSearchParams, writable: true, configurable: true },
});
