// Runs inside the isolate. Web crypto's getRandomValues/randomUUID (bytes from the host's CSPRNG, fetched in
// pools so most calls never leave the isolate) and a `crypto` built-in with randomBytes, createHash and
// createHmac (digests computed by the host). Ciphers, signatures and key derivation are not offered.
/* global internal, host */
const { utf8Encode } = internal.need('encoding');
const POOL_SIZE = 4096;
const MAX_RANDOM_VALUES = 65536;
let pool = new Uint8Array(0);
let poolAt = 0;

function fillRandom(target) {
  if (target.length > POOL_SIZE) {
    target.set(host.randomBytes(target.length));
    return target;
  }
  if (poolAt + target.length > pool.length) {
    pool = host.randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  target.set(pool.subarray(poolAt, poolAt + target.length));
  poolAt += target.length;
  return target;
}

function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
    throw new TypeError('The data argument must be an integer-type TypedArray');
  }
  if (array.byteLength > MAX_RANDOM_VALUES) throw new RangeError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
  fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return array;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomUUID() {
  const b = fillRandom(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) s += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[b[i]];
  return s;
}

const webcrypto = { getRandomValues, randomUUID };
// `subtle` is host-backed (builtins/crypto/): the on-demand crypto part replaces this accessor.
Object.defineProperty(webcrypto, 'subtle', {
  configurable: true,
  enumerable: true,
  get() {
    internal.builtin('crypto');
    return webcrypto.subtle;
  },
});
Object.defineProperty(globalThis, 'crypto', { value: webcrypto, writable: true, configurable: true, enumerable: true });

function toBytes(data, encoding) {
  if (typeof data === 'string') {
    return !encoding || encoding === 'utf8' || encoding === 'utf-8' ? utf8Encode(data) : Buffer.from(data, encoding);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
}

function output(bytes, encoding) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding === undefined || encoding === 'buffer' ? buffer : buffer.toString(encoding);
}

// Names the host can digest, asked once on the first createHash.
let hashNames = null;

class Hash {
  #algorithm;
  #key;
  #chunks = [];
  #length = 0;
  #done = false;
  constructor(algorithm, key) {
    this.#algorithm = String(algorithm);
    this.#key = key;
    if (hashNames === null) hashNames = new Set(host.hashes().map((name) => name.toLowerCase()));
    if (!hashNames.has(this.#algorithm.toLowerCase())) throw new Error('Digest method not supported');
  }
  update(data, encoding) {
    if (this.#done) throw new Error('Digest already called');
    const bytes = toBytes(data, encoding);
    this.#chunks.push(bytes.slice());
    this.#length += bytes.length;
    return this;
  }
  digest(encoding) {
    if (this.#done) throw new Error('Digest already called');
    this.#done = true;
    const all = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = [];
    return output(host.hash(this.#algorithm, this.#key, all), encoding);
  }
  copy() {
    const copy = new Hash(this.#algorithm, this.#key);
    for (const chunk of this.#chunks) copy.update(chunk);
    return copy;
  }
}

function unavailable(name) {
  return () => {
    throw new Error(`crypto.${name} is not available in the isolate (supported: randomBytes, randomUUID, randomInt, getRandomValues, createHash, createHmac, timingSafeEqual)`);
  };
}

const cryptoModule = {
  webcrypto,
  getRandomValues,
  randomUUID,
  randomBytes(size, callback) {
    const bytes = output(fillRandom(new Uint8Array(size)));
    if (typeof callback === 'function') {
      queueMicrotask(() => callback(null, bytes));
      return undefined;
    }
    return bytes;
  },
  randomFillSync(target, offset = 0, size) {
    const view = new Uint8Array(target.buffer || target, target.byteOffset || 0, target.byteLength);
    fillRandom(view.subarray(offset, size === undefined ? undefined : offset + size));
    return target;
  },
  randomInt(min, max, callback) {
    if (max === undefined || typeof max === 'function') {
      callback = max;
      max = min;
      min = 0;
    }
    const range = max - min;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range <= 0 || range > 2 ** 48) throw new RangeError('The "max" - "min" range must be between 1 and 2^48');
    const limit = 2 ** 48 - (2 ** 48 % range);
    let value;
    do {
      const b = fillRandom(new Uint8Array(6));
      value = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
    } while (value >= limit);
    const result = min + (value % range);
    if (typeof callback === 'function') {
      queueMicrotask(() => callback(null, result));
      return undefined;
    }
    return result;
  },
  createHash: (algorithm) => new Hash(algorithm, null),
  createHmac: (algorithm, key) => new Hash(algorithm, toBytes(key).slice()),
  getHashes: () => host.hashes().slice(),
  timingSafeEqual(a, b) {
    const x = toBytes(a);
    const y = toBytes(b);
    if (x.length !== y.length) throw new RangeError('Input buffers must have the same byte length');
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  },
};
for (const name of ['createCipheriv', 'createDecipheriv', 'createSign', 'createVerify', 'pbkdf2', 'pbkdf2Sync', 'scrypt', 'scryptSync', 'generateKeyPair', 'generateKeyPairSync', 'createPublicKey', 'createPrivateKey', 'publicEncrypt', 'privateDecrypt', 'createDiffieHellman', 'createECDH', 'hkdf', 'hkdfSync', 'sign', 'verify']) {
  cryptoModule[name] = unavailable(name);
}
internal.crypto = cryptoModule;
