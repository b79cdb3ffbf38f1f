// Runs inside the isolate, on demand. The full `crypto` built-in: the lazy base (../../shim/crypto.js: random
// bytes, UUIDs) plus hashes, HMACs, ciphers, signatures, keys, key derivation and WebCrypto's `subtle`, done
// by the host (host.ts). Hashes and ciphers are host handles; KeyObjects and CryptoKeys carry their key
// material (DER or raw bytes) here, so dropping one frees it.
/* global internal */
const base = internal.need('crypto').crypto;
const { Buffer } = internal.need('buffer').buffer;
const COPY = { arguments: { copy: true } };
const {
  callbacks: { quick, slow },
  callAsync,
} = internal.operationService('crypto', (data) => rebuild(data));

class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(message);
    Object.defineProperty(this, 'name', { value: name, configurable: true, writable: true });
  }
}
if (globalThis.DOMException === undefined) {
  Object.defineProperty(globalThis, 'DOMException', { value: DOMException, writable: true, configurable: true });
}

function rebuild(data) {
  let error;
  if (data.dom) error = new globalThis.DOMException(data.message, data.name);
  else if (data.name === 'TypeError') error = new TypeError(data.message);
  else if (data.name === 'RangeError') error = new RangeError(data.message);
  else error = new Error(data.message);
  for (const [key, value] of Object.entries(data)) if (key !== 'name' && key !== 'message' && key !== 'dom' && key !== 'stack') error[key] = value;
  return error;
}

function callQuick(op, args) {
  const answer = quick(op, args);
  if (answer[0] !== null) throw rebuild(answer[0]);
  return answer[1];
}

function callSlow(op, args) {
  const answer = slow.applySyncPromise(undefined, [op, args], COPY);
  if (answer[0] !== null) throw rebuild(answer[0]);
  return answer[1];
}

const callPromise = (op, args) => new Promise((resolve, reject) => callAsync(op, args, (error, result) => (error === null ? resolve(result) : reject(error))));

function invalidType(name, expected, value) {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${value === undefined || value === null ? value : `type ${typeof value} (${internal.inspect(value)})`}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function checkCallback(done) {
  if (typeof done !== 'function') throw invalidType('callback', 'of type function', done);
  return done;
}

// feross's buffer predates base64url; Node has had it since 15.
const fromBase64Url = (text) => text.replace(/-/g, '+').replace(/_/g, '/');
const toBase64Url = (text) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// Bytes to send to the host: only the view's bytes, copied.
function toBytes(data, encoding, name = 'data') {
  if (typeof data === 'string' && encoding === 'base64url') return new Uint8Array(Buffer.from(fromBase64Url(data), 'base64'));
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, encoding && encoding !== 'buffer' ? encoding : 'utf8'));
  if (ArrayBuffer.isView(data)) {
    // The host gets a copy anyway; copy here only to cut the view out of a larger buffer.
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? view : view.slice();
  }
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data).slice();
  throw invalidType(name, 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView', data);
}

const asBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
function output(bytes, encoding) {
  if (encoding === undefined || encoding === 'buffer') return asBuffer(bytes);
  return encoding === 'base64url' ? toBase64Url(asBuffer(bytes).toString('base64')) : asBuffer(bytes).toString(encoding);
}
const toArrayBuffer = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

let facts;
const lists = () => (facts ??= callQuick('lists', []));

// ---- KeyObject ----

const keyData = new WeakMap();

class KeyObject {
  constructor(info) {
    keyData.set(this, { type: info.type, der: info.der });
    Object.defineProperty(this, 'type', { value: info.type, enumerable: true });
    if (info.type === 'secret') this.symmetricKeySize = info.symmetricKeySize;
    else {
      this.asymmetricKeyType = info.asymmetricKeyType;
      this.asymmetricKeyDetails = info.asymmetricKeyDetails;
      if (info.asymmetricKeyDetails?.publicExponent !== undefined) this.asymmetricKeyDetails.publicExponent = BigInt(info.asymmetricKeyDetails.publicExponent);
    }
  }
  export(options) {
    const data = keyData.get(this);
    if (this.type === 'secret' && (options === undefined || options.format === undefined || options.format === 'buffer')) return asBuffer(data.der.slice());
    const out = callQuick('keyExport', [data, options]);
    return out instanceof Uint8Array ? asBuffer(out) : out;
  }
  equals(other) {
    if (!(other instanceof KeyObject)) throw invalidType('otherKeyObject', 'an instance of KeyObject', other);
    return other.type === this.type && callQuick('keyEquals', [keyData.get(this), keyData.get(other)]);
  }
  static from(key) {
    if (!(key instanceof CryptoKey)) throw invalidType('key', 'an instance of CryptoKey', key);
    const data = cryptoKeys.get(key).key;
    return new KeyObject(callQuick('keyCreate', [data.type, data.type === 'secret' ? data.der : { key: data.der, format: 'der', type: data.type === 'private' ? 'pkcs8' : 'spki' }]));
  }
  get [Symbol.toStringTag]() {
    return 'KeyObject';
  }
}

// Key inputs as Node takes them, with KeyObjects as their data and binary parts as bytes.
function keyInput(value) {
  if (value instanceof KeyObject) return keyData.get(value);
  if (value instanceof CryptoKey) return cryptoKeys.get(value).key;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return toBytes(value);
  if (value !== null && typeof value === 'object') {
    const out = { ...value };
    if (out.key !== undefined) out.key = out.format === 'jwk' ? out.key : keyInput(out.key);
    if (out.passphrase !== undefined && typeof out.passphrase !== 'string') out.passphrase = toBytes(out.passphrase);
    return out;
  }
  return value;
}

const createSecretKey = (key, encoding) => new KeyObject(callQuick('keyCreate', ['secret', toBytes(key, encoding, 'key')]));
const createPublicKey = (key) => new KeyObject(callQuick('keyCreate', ['public', keyInput(key)]));
const createPrivateKey = (key) => new KeyObject(callQuick('keyCreate', ['private', keyInput(key)]));

// ---- hashes and HMACs (host handles) ----

class Hash {
  #id;
  #done = false;
  constructor(algorithm, key, options, id) {
    if (id !== undefined) this.#id = id;
    else {
      if (typeof algorithm !== 'string') throw invalidType('algorithm', 'of type string', algorithm);
      this.#id = callQuick('hashCreate', [algorithm, key, options === undefined ? undefined : { outputLength: options.outputLength }]);
    }
  }
  update(data, encoding) {
    if (this.#done) {
      const error = new Error('Digest already called');
      error.code = 'ERR_CRYPTO_HASH_FINALIZED';
      throw error;
    }
    callQuick('hashUpdate', [this.#id, toBytes(data, encoding)]);
    return this;
  }
  digest(encoding) {
    if (this.#done) {
      const error = new Error('Digest already called');
      error.code = 'ERR_CRYPTO_HASH_FINALIZED';
      throw error;
    }
    this.#done = true;
    return output(callQuick('hashDigest', [this.#id]), encoding);
  }
  copy(options) {
    if (this.#done) {
      const error = new Error('Digest already called');
      error.code = 'ERR_CRYPTO_HASH_FINALIZED';
      throw error;
    }
    return new Hash(undefined, undefined, undefined, callQuick('hashCopy', [this.#id, options]));
  }
}

const createHash = (algorithm, options) => new Hash(algorithm, null, options);
function createHmac(algorithm, key, options) {
  const material = key instanceof KeyObject ? keyData.get(key) : toBytes(key, options?.encoding, 'key');
  return new Hash(algorithm, material, undefined);
}

// ---- ciphers ----

// Decodes cipher output to a string across update() calls, as Node's StringDecoder does.
class OutputDecoder {
  #encoding;
  #rest = new Uint8Array(0);
  #utf8;
  constructor(encoding) {
    this.#encoding = encoding === 'utf-8' ? 'utf8' : encoding;
    if (this.#encoding === 'utf8') this.#utf8 = new TextDecoder('utf-8');
  }
  write(bytes, final) {
    if (this.#utf8 !== undefined) return this.#utf8.decode(bytes, { stream: !final });
    if (this.#encoding !== 'base64' && this.#encoding !== 'base64url') return output(bytes, this.#encoding);
    const all = new Uint8Array(this.#rest.length + bytes.length);
    all.set(this.#rest);
    all.set(bytes, this.#rest.length);
    const cut = final ? all.length : all.length - (all.length % 3);
    this.#rest = all.slice(cut);
    return output(all.subarray(0, cut), this.#encoding);
  }
}

class Cipheriv {
  #id;
  #decipher;
  #tag = null;
  #decoder = null;
  #done = false;
  constructor(decipher, algorithm, key, iv, options) {
    this.#decipher = decipher;
    const material = key instanceof KeyObject ? keyData.get(key) : toBytes(key, undefined, 'key');
    const ivBytes = iv === null || iv === undefined ? null : toBytes(iv, undefined, 'iv');
    this.#id = callQuick('cipherCreate', [decipher, algorithm, material, ivBytes, options === undefined ? undefined : { authTagLength: options.authTagLength }]);
  }
  #finished(method) {
    if (this.#done) {
      const error = new Error(`Invalid state for operation ${method}`);
      error.code = 'ERR_CRYPTO_INVALID_STATE';
      throw error;
    }
  }
  #out(bytes, encoding, final) {
    if (encoding === undefined || encoding === 'buffer') return asBuffer(bytes);
    this.#decoder ??= new OutputDecoder(encoding);
    return this.#decoder.write(bytes, final);
  }
  update(data, inputEncoding, outputEncoding) {
    this.#finished('update');
    return this.#out(callQuick('cipherUpdate', [this.#id, toBytes(data, inputEncoding)]), outputEncoding, false);
  }
  final(outputEncoding) {
    this.#finished('final');
    this.#done = true;
    const [bytes, tag] = callQuick('cipherFinal', [this.#id]);
    if (!this.#decipher) this.#tag = tag;
    return this.#out(bytes, outputEncoding, true);
  }
  setAAD(data, options) {
    this.#finished('setAAD');
    callQuick('cipherSetAAD', [this.#id, toBytes(data), options === undefined ? undefined : { plaintextLength: options.plaintextLength }]);
    return this;
  }
  setAuthTag(tag, encoding) {
    this.#finished('setAuthTag');
    callQuick('cipherSetAuthTag', [this.#id, toBytes(tag, encoding)]);
    return this;
  }
  getAuthTag() {
    if (this.#tag === null) {
      const error = new Error('Invalid state for operation getAuthTag');
      error.code = 'ERR_CRYPTO_INVALID_STATE';
      throw error;
    }
    return asBuffer(this.#tag);
  }
  setAutoPadding(padding = true) {
    this.#finished('setAutoPadding');
    callQuick('cipherSetAutoPadding', [this.#id, !!padding]);
    return this;
  }
}

// ---- signatures ----

class Chunks {
  #chunks = [];
  add(data, encoding) {
    this.#chunks.push(toBytes(data, encoding));
  }
  all() {
    const length = this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const out = new Uint8Array(length);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

class Sign {
  #algorithm;
  #data = new Chunks();
  constructor(algorithm) {
    this.#algorithm = algorithm;
  }
  update(data, encoding) {
    this.#data.add(data, encoding);
    return this;
  }
  write(data, encoding) {
    this.#data.add(data, encoding);
    return true;
  }
  end(data, encoding) {
    if (data !== undefined) this.#data.add(data, encoding);
    return this;
  }
  sign(key, encoding) {
    return output(callQuick('sign', [this.#algorithm, this.#data.all(), keyInput(key)]), encoding);
  }
}

class Verify {
  #algorithm;
  #data = new Chunks();
  constructor(algorithm) {
    this.#algorithm = algorithm;
  }
  update(data, encoding) {
    this.#data.add(data, encoding);
    return this;
  }
  write(data, encoding) {
    this.#data.add(data, encoding);
    return true;
  }
  end(data, encoding) {
    if (data !== undefined) this.#data.add(data, encoding);
    return this;
  }
  verify(key, signature, encoding) {
    return callQuick('verify', [this.#algorithm, this.#data.all(), keyInput(key), toBytes(signature, encoding, 'signature')]);
  }
}

function sign(algorithm, data, key, done) {
  const args = [algorithm ?? null, toBytes(data), keyInput(key)];
  if (done === undefined) return asBuffer(callQuick('sign', args));
  checkCallback(done);
  let result;
  try {
    result = asBuffer(callQuick('sign', args));
  } catch (error) {
    return void queueMicrotask(() => done(error));
  }
  queueMicrotask(() => done(null, result));
}

function verify(algorithm, data, key, signature, done) {
  const args = [algorithm ?? null, toBytes(data), keyInput(key), toBytes(signature, undefined, 'signature')];
  if (done === undefined) return callQuick('verify', args);
  checkCallback(done);
  let result;
  try {
    result = callQuick('verify', args);
  } catch (error) {
    return void queueMicrotask(() => done(error));
  }
  queueMicrotask(() => done(null, result));
}

// ---- hashes and ciphers as streams (Node's LazyTransform) ----

// Node's Hash, Hmac, Cipheriv and Decipheriv are Transforms, made so only when used as streams: `stream`
// loads on the first stream method called, and each object gets its stream state on first use.
const STREAM_METHODS = ['pipe', 'unpipe', 'write', 'end', 'on', 'once', 'off', 'addListener', 'prependListener', 'removeListener', 'emit', 'read', 'setEncoding', 'resume', 'pause', 'isPaused', 'destroy', 'cork', 'uncork', 'setDefaultEncoding', 'listeners', 'listenerCount'];
const STREAM_STATE = ['_readableState', '_writableState', '_events', '_eventsCount', '_maxListeners'];
const LAZY_CLASSES = [Hash, Cipheriv];
let Transform;
const initializing = new WeakSet();

function becomeStreams() {
  Transform = internal.builtin('stream').Transform;
  for (const Class of LAZY_CLASSES) {
    for (const method of STREAM_METHODS) if (Object.hasOwn(Class.prototype, method)) delete Class.prototype[method];
    Object.setPrototypeOf(Class.prototype, Transform.prototype);
    for (const field of STREAM_STATE) {
      Object.defineProperty(Class.prototype, field, {
        configurable: true,
        get() {
          // Transform's constructor reads some of these before it sets them.
          if (initializing.has(this)) return undefined;
          initializing.add(this);
          try {
            Transform.call(this);
          } finally {
            initializing.delete(this);
          }
          if (!Object.hasOwn(this, field)) Object.defineProperty(this, field, { value: undefined, writable: true, configurable: true });
          return this[field];
        },
        set(value) {
          Object.defineProperty(this, field, { value, writable: true, configurable: true, enumerable: true });
        },
      });
    }
  }
}

for (const Class of LAZY_CLASSES) {
  for (const method of STREAM_METHODS) {
    Class.prototype[method] = function (...args) {
      if (Transform === undefined) becomeStreams();
      return this[method](...args);
    };
  }
}
Hash.prototype._transform = function (chunk, encoding, callback) {
  this.update(chunk, encoding);
  callback();
};
Hash.prototype._flush = function (callback) {
  this.push(this.digest());
  callback();
};
Cipheriv.prototype._transform = function (chunk, encoding, callback) {
  this.push(this.update(chunk, encoding));
  callback();
};
Cipheriv.prototype._flush = function (callback) {
  try {
    this.push(this.final());
  } catch (error) {
    return callback(error);
  }
  callback();
};

// ---- key derivation and generation (slow: the host's thread pool) ----

function pbkdf2Args(password, salt, iterations, keylen, digest) {
  if (typeof digest !== 'string') throw invalidType('digest', 'of type string', digest);
  return [toBytes(password, undefined, 'password'), toBytes(salt, undefined, 'salt'), iterations, keylen, digest];
}

function scryptArgs(password, salt, keylen, options) {
  const o = options ?? {};
  const plain = {};
  for (const [long, short] of [['cost', 'N'], ['blockSize', 'r'], ['parallelization', 'p']]) {
    const value = o[long] ?? o[short];
    if (value !== undefined) plain[long] = value;
  }
  if (o.maxmem !== undefined) plain.maxmem = o.maxmem;
  return [toBytes(password, undefined, 'password'), toBytes(salt, undefined, 'salt'), keylen, plain];
}

const hkdfArgs = (digest, key, salt, info, keylen) => [digest, key instanceof KeyObject ? keyData.get(key) : toBytes(key, undefined, 'ikm'), toBytes(salt, undefined, 'salt'), toBytes(info, undefined, 'info'), keylen];

function pairOut([publicKey, privateKey]) {
  const one = (part) => (part.key !== undefined ? new KeyObject(part.key) : part.encoded instanceof Uint8Array ? asBuffer(part.encoded) : part.encoded);
  return { publicKey: one(publicKey), privateKey: one(privateKey) };
}

const pairOptions = (options) => keyInput(options ?? {});

// ---- WebCrypto ----

const cryptoKeys = new WeakMap();

class CryptoKey {
  constructor(data) {
    cryptoKeys.set(this, data);
  }
  get type() {
    return cryptoKeys.get(this).type;
  }
  get extractable() {
    return cryptoKeys.get(this).extractable;
  }
  get algorithm() {
    return cryptoKeys.get(this).algorithm;
  }
  get usages() {
    return cryptoKeys.get(this).usages;
  }
  get [Symbol.toStringTag]() {
    return 'CryptoKey';
  }
}

// Parameters to the host: buffers as bytes, CryptoKeys as their data.
function webParam(value) {
  if (value instanceof CryptoKey) return { cryptoKey: cryptoKeys.get(value) };
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return toBytes(value);
  if (Array.isArray(value)) return value.slice();
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, webParam(item)]));
  return value;
}

function webResult(value) {
  if (value instanceof Uint8Array) return toArrayBuffer(value);
  if (value !== null && typeof value === 'object' && value.key !== undefined && value.usages !== undefined) return new CryptoKey(value);
  if (value !== null && typeof value === 'object' && value.publicKey !== undefined && value.privateKey !== undefined) {
    return { publicKey: new CryptoKey(value.publicKey), privateKey: new CryptoKey(value.privateKey) };
  }
  return value;
}

class SubtleCrypto {}
for (const method of ['digest', 'importKey', 'exportKey', 'sign', 'verify', 'encrypt', 'decrypt', 'generateKey', 'deriveBits', 'deriveKey', 'wrapKey', 'unwrapKey']) {
  SubtleCrypto.prototype[method] = async function (...args) {
    return webResult(await callPromise('subtle', [method, args.map(webParam)]));
  };
}
const subtle = new SubtleCrypto();
Object.defineProperty(base.webcrypto, 'subtle', { value: subtle, enumerable: true, configurable: true });
Object.defineProperty(base.webcrypto, 'CryptoKey', { value: CryptoKey, configurable: true });
for (const [name, value] of [['CryptoKey', CryptoKey], ['SubtleCrypto', SubtleCrypto]]) {
  if (globalThis[name] === undefined) Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}

// ---- the module ----

function randomFill(buffer, offset, size, done) {
  if (typeof offset === 'function') [done, offset, size] = [offset, 0, undefined];
  else if (typeof size === 'function') [done, size] = [size, undefined];
  checkCallback(done);
  base.randomFillSync(buffer, offset, size);
  internal.loopRef();
  setImmediate(() => {
    internal.loopUnref();
    done(null, buffer);
  });
}

const cryptoModule = {
  ...base,
  createHash,
  createHmac,
  createCipheriv: (algorithm, key, iv, options) => new Cipheriv(false, algorithm, key, iv, options),
  createDecipheriv: (algorithm, key, iv, options) => new Cipheriv(true, algorithm, key, iv, options),
  createSign: (algorithm) => new Sign(algorithm),
  createVerify: (algorithm) => new Verify(algorithm),
  sign,
  verify,
  createSecretKey,
  createPublicKey,
  createPrivateKey,
  KeyObject,
  pbkdf2Sync: (...args) => asBuffer(callSlow('pbkdf2', pbkdf2Args(...args))),
  pbkdf2(password, salt, iterations, keylen, digest, done) {
    checkCallback(done);
    callAsync('pbkdf2', pbkdf2Args(password, salt, iterations, keylen, digest), (error, bytes) => (error ? done(error) : done(null, asBuffer(bytes))));
  },
  scryptSync: (password, salt, keylen, options) => asBuffer(callSlow('scrypt', scryptArgs(password, salt, keylen, options))),
  scrypt(password, salt, keylen, options, done) {
    if (typeof options === 'function') [done, options] = [options, undefined];
    checkCallback(done);
    callAsync('scrypt', scryptArgs(password, salt, keylen, options), (error, bytes) => (error ? done(error) : done(null, asBuffer(bytes))));
  },
  hkdfSync: (...args) => toArrayBuffer(callSlow('hkdf', hkdfArgs(...args))),
  hkdf(digest, key, salt, info, keylen, done) {
    checkCallback(done);
    callAsync('hkdf', hkdfArgs(digest, key, salt, info, keylen), (error, bytes) => (error ? done(error) : done(null, toArrayBuffer(bytes))));
  },
  generateKeyPairSync: (type, options) => pairOut(callSlow('generateKeyPair', [type, pairOptions(options)])),
  generateKeyPair(type, options, done) {
    if (typeof options === 'function') [done, options] = [options, undefined];
    checkCallback(done);
    callAsync('generateKeyPair', [type, pairOptions(options)], (error, pair) => {
      if (error) return done(error);
      const { publicKey, privateKey } = pairOut(pair);
      done(null, publicKey, privateKey);
    });
  },
  generateKeySync: (type, options) => new KeyObject(callSlow('generateKey', [type, { length: options?.length }])),
  generateKey(type, options, done) {
    checkCallback(done);
    callAsync('generateKey', [type, { length: options?.length }], (error, info) => (error ? done(error) : done(null, new KeyObject(info))));
  },
  publicEncrypt: (key, data) => asBuffer(callQuick('publicEncrypt', [keyInput(key), toBytes(data)])),
  privateDecrypt: (key, data) => asBuffer(callQuick('privateDecrypt', [keyInput(key), toBytes(data)])),
  privateEncrypt: (key, data) => asBuffer(callQuick('privateEncrypt', [keyInput(key), toBytes(data)])),
  publicDecrypt: (key, data) => asBuffer(callQuick('publicDecrypt', [keyInput(key), toBytes(data)])),
  getHashes: () => lists().hashes.slice(),
  getCiphers: () => lists().ciphers.slice(),
  getCurves: () => lists().curves.slice(),
  randomFill,
  subtle,
  timingSafeEqual(a, b) {
    if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer)) throw invalidType('buf1', 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView', a);
    if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) throw invalidType('buf2', 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView', b);
    if (a.byteLength !== b.byteLength) {
      const error = new RangeError('Input buffers must have the same byte length');
      error.code = 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH';
      throw error;
    }
    return base.timingSafeEqual(a, b);
  },
  getFips: () => 0,
  setFips() {},
  Hash,
  Hmac: Hash,
  Cipheriv,
  Decipheriv: Cipheriv,
  Sign,
  Verify,
};
// One-shot digest (Node 21.7+/20.12+): one handle, one update, one digest.
cryptoModule.hash = (algorithm, data, encoding = 'hex') => createHash(algorithm).update(data).digest(encoding);
Object.defineProperty(cryptoModule, 'constants', { enumerable: true, get: () => lists().constants });
for (const name of ['createDiffieHellman', 'createDiffieHellmanGroup', 'getDiffieHellman', 'createECDH', 'diffieHellman', 'secureHeapUsed', 'setEngine']) {
  cryptoModule[name] = () => {
    const error = new Error(`crypto.${name} is not available in fngate's isolates; set nodeRuntime: process to use it`);
    error.code = 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM';
    throw error;
  };
}
internal.modules.crypto = cryptoModule;
