/**
 * The `crypto` built-in's host half: the gateway's OpenSSL on the function's behalf. Hashes and ciphers are
 * host objects behind numeric handles owned by the instance (dropped with it); keys travel as DER (or raw
 * secret bytes) held by the isolate's KeyObject, so a key the function forgets costs the host nothing, and
 * parsed keys are kept in a small cache. Quick work (a digest, a cipher update, an RSA signature) answers a
 * sync call; slow work (pbkdf2, scrypt, key generation, subtle.*) runs on libuv's pool or WebCrypto's
 * promises, reached by `slow` (applySyncPromise) for the sync forms and by `start` + the `done` event for
 * the callback and promise forms, so the gateway's loop never waits for it.
 *
 * Every answer is `[error, result]`; an error is `{ name, message, code, … }` for isolate.js to rebuild.
 */
import * as crypto from 'node:crypto';
import { promisify } from 'node:util';
import ivm from 'isolated-vm';
import type { HostService, ServiceContext } from '../service.ts';

/** Unfinished hashes and ciphers one instance may hold; past it creating one fails (a leak in the function). */
const MAX_LIVE_HANDLES = 4096;
/** Parsed keys kept per instance (jsonwebtoken parses the same key on every call). */
const KEY_CACHE_SIZE = 64;

type Answer = [ErrorData | null, unknown];
interface ErrorData {
  name: string;
  message: string;
  code?: string;
  [field: string]: unknown;
}

/** A key as the isolate's KeyObject holds it. */
interface KeyData {
  type: 'secret' | 'public' | 'private';
  der: Uint8Array;
}

/** A WebCrypto CryptoKey as the isolate holds it. */
interface WebKeyData {
  key: KeyData;
  type: string;
  extractable: boolean;
  algorithm: Record<string, unknown>;
  usages: string[];
}

/** What a KeyObject shows without a host call. */
interface KeyInfo extends KeyData {
  asymmetricKeyType?: string;
  asymmetricKeyDetails?: Record<string, unknown>;
  symmetricKeySize?: number;
}

const pbkdf2 = promisify(crypto.pbkdf2);
const scrypt = promisify(crypto.scrypt) as (password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;
const hkdf = promisify(crypto.hkdf);
const generateKeyPair = promisify(crypto.generateKeyPair) as (type: string, options: unknown) => Promise<{ publicKey: unknown; privateKey: unknown }>;
const generateKey = promisify(crypto.generateKey);
const subtle = crypto.webcrypto.subtle;

function errorData(error: unknown): ErrorData {
  if (error instanceof Error) {
    const data: ErrorData = { name: error.name, message: error.message };
    for (const [key, value] of Object.entries(error)) if (typeof value === 'string' || typeof value === 'number') data[key] = value;
    if (error instanceof DOMException) data.dom = true;
    return data;
  }
  return { name: 'Error', message: String(error) };
}

function bytes(buffer: Buffer | ArrayBuffer | Uint8Array): Uint8Array {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function keyInfo(key: crypto.KeyObject): KeyInfo {
  if (key.type === 'secret') return { type: 'secret', der: bytes(key.export()), symmetricKeySize: key.symmetricKeySize };
  const der = key.type === 'private' ? key.export({ format: 'der', type: 'pkcs8' }) : key.export({ format: 'der', type: 'spki' });
  return { type: key.type, der: bytes(der), asymmetricKeyType: key.asymmetricKeyType, asymmetricKeyDetails: plain(key.asymmetricKeyDetails) };
}

/** asymmetricKeyDetails with bigint fields as numbers (publicExponent), which the isolate can receive. */
function plain(details: crypto.AsymmetricKeyDetails | undefined): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value]));
}

function isKeyData(value: unknown): value is KeyData {
  return value !== null && typeof value === 'object' && (value as KeyData).der instanceof Uint8Array && typeof (value as KeyData).type === 'string' && Object.keys(value).length === 2;
}

class Handles<T> {
  readonly #items = new Map<number, T>();
  #next = 1;

  add(item: T): number {
    if (this.#items.size >= MAX_LIVE_HANDLES) throw new Error(`the function holds ${MAX_LIVE_HANDLES} unfinished hashes or ciphers; call digest()/final() on the ones it is done with`);
    const id = this.#next++;
    this.#items.set(id, item);
    return id;
  }

  get(id: number): T {
    const item = this.#items.get(id);
    if (item === undefined) throw Object.assign(new Error('Invalid state for operation'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return item;
  }

  delete(id: number): void {
    this.#items.delete(id);
  }

  clear(): void {
    this.#items.clear();
  }
}

/** One instance's crypto objects. */
export class FunctionCrypto {
  readonly #hashes = new Handles<crypto.Hash | crypto.Hmac>();
  readonly #ciphers = new Handles<crypto.Cipher | crypto.Decipher>();
  readonly #keys = new Map<string, crypto.KeyObject>();
  readonly #webKeys = new Map<string, crypto.webcrypto.CryptoKey>();

  close(): void {
    this.#hashes.clear();
    this.#ciphers.clear();
    this.#keys.clear();
    this.#webKeys.clear();
  }

  /** Static facts: algorithm lists and crypto.constants. */
  static lists(): Record<string, unknown> {
    return { ciphers: crypto.getCiphers(), hashes: crypto.getHashes(), curves: crypto.getCurves(), constants: { ...crypto.constants } };
  }

  /** A KeyObject for key data from the isolate, parsed once per instance while it stays in the cache. */
  #key(data: KeyData): crypto.KeyObject {
    const cacheKey = `${data.type}:${Buffer.from(data.der.buffer, data.der.byteOffset, data.der.byteLength).toString('base64')}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      const der = Buffer.from(data.der);
      key = data.type === 'secret' ? crypto.createSecretKey(der) : data.type === 'private' ? crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) : crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
      if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value!);
    } else {
      this.#keys.delete(cacheKey);
    }
    this.#keys.set(cacheKey, key);
    return key;
  }

  /** Key inputs as Node takes them, with the isolate's KeyObjects (key data) and bytes turned into host ones. */
  #input(value: unknown): unknown {
    if (isKeyData(value)) return this.#key(value);
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      if (record.format === 'jwk') return record;
      return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, key === 'key' || key === 'passphrase' ? this.#input(item) : item]));
    }
    return value;
  }

  /** A host CryptoKey for the isolate's CryptoKey data (imported again when no longer cached). */
  async #webKey(data: WebKeyData): Promise<crypto.webcrypto.CryptoKey> {
    const cacheKey = JSON.stringify([data.type, data.extractable, data.usages, data.algorithm, Buffer.from(data.key.der).toString('base64')]);
    let key = this.#webKeys.get(cacheKey);
    if (key === undefined) {
      const format = data.key.type === 'secret' ? 'raw' : data.key.type === 'private' ? 'pkcs8' : 'spki';
      key = await subtle.importKey(format, data.key.der, data.algorithm as unknown as crypto.webcrypto.AlgorithmIdentifier, data.extractable, data.usages as crypto.webcrypto.KeyUsage[]);
      if (this.#webKeys.size >= KEY_CACHE_SIZE) this.#webKeys.delete(this.#webKeys.keys().next().value!);
      this.#webKeys.set(cacheKey, key);
    }
    return key;
  }

  /** A CryptoKey as the isolate keeps it: its material as key data (KeyObject.from works for non-extractable keys too). */
  #webKeyOut(key: crypto.webcrypto.CryptoKey): WebKeyData {
    const material = keyInfo(crypto.KeyObject.from(key));
    return { key: { type: material.type, der: material.der }, type: key.type, extractable: key.extractable, algorithm: webAlgorithm(key.algorithm), usages: [...key.usages] };
  }

  /** Algorithm parameters from the isolate: CryptoKey handles (`{ cryptoKey: id }`) back to host keys. */
  async #webParams(params: unknown): Promise<unknown> {
    if (params === null || typeof params !== 'object' || params instanceof Uint8Array || Array.isArray(params)) return params;
    const record = params as Record<string, unknown>;
    if (record.cryptoKey !== undefined && Object.keys(record).length === 1) return this.#webKey(record.cryptoKey as WebKeyData);
    const entries = await Promise.all(Object.entries(record).map(async ([key, value]) => [key, await this.#webParams(value)] as const));
    return Object.fromEntries(entries);
  }

  #webResult(value: unknown): unknown {
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (isCryptoKey(value)) return this.#webKeyOut(value);
    if (value !== null && typeof value === 'object' && 'privateKey' in value) {
      const pair = value as crypto.webcrypto.CryptoKeyPair;
      return { publicKey: this.#webKeyOut(pair.publicKey), privateKey: this.#webKeyOut(pair.privateKey) };
    }
    return value;
  }

  /** Quick operations, answered by a sync call. */
  readonly quick: Record<string, (...args: any[]) => unknown> = {
    hashCreate: (algorithm: string, hmacKey: unknown, options: crypto.HashOptions | undefined) =>
      this.#hashes.add(hmacKey === null ? crypto.createHash(algorithm, options) : crypto.createHmac(algorithm, this.#input(hmacKey) as crypto.KeyObject)),
    hashUpdate: (id: number, data: Uint8Array) => void this.#hashes.get(id).update(data),
    hashDigest: (id: number) => {
      const hash = this.#hashes.get(id);
      this.#hashes.delete(id);
      return bytes(hash.digest());
    },
    hashCopy: (id: number, options: crypto.HashOptions | undefined) => this.#hashes.add((this.#hashes.get(id) as crypto.Hash).copy(options)),
    cipherCreate: (decipher: boolean, algorithm: string, key: unknown, iv: Uint8Array | null, options: Record<string, unknown> | undefined) => {
      const input = this.#input(key) as crypto.CipherKey;
      const cipher = decipher ? crypto.createDecipheriv(algorithm, input, iv, options as crypto.CipherGCMOptions) : crypto.createCipheriv(algorithm, input, iv, options as crypto.CipherGCMOptions);
      return this.#ciphers.add(cipher);
    },
    cipherUpdate: (id: number, data: Uint8Array) => bytes(this.#ciphers.get(id).update(data)),
    cipherFinal: (id: number) => {
      const cipher = this.#ciphers.get(id);
      this.#ciphers.delete(id);
      const out = bytes(cipher.final());
      const tag = 'getAuthTag' in cipher ? tryAuthTag(cipher as crypto.CipherGCM) : null;
      return [out, tag];
    },
    cipherSetAAD: (id: number, data: Uint8Array, options: { plaintextLength: number } | undefined) => void (this.#ciphers.get(id) as crypto.CipherGCM).setAAD(data, options),
    cipherSetAuthTag: (id: number, tag: Uint8Array) => void (this.#ciphers.get(id) as crypto.DecipherGCM).setAuthTag(tag),
    cipherSetAutoPadding: (id: number, padding: boolean) => void this.#ciphers.get(id).setAutoPadding(padding),
    cipherDrop: (id: number) => this.#ciphers.delete(id),
    sign: (algorithm: string | null, data: Uint8Array, key: unknown) => bytes(crypto.sign(algorithm, data, this.#input(key) as crypto.KeyLike)),
    verify: (algorithm: string | null, data: Uint8Array, key: unknown, signature: Uint8Array) => crypto.verify(algorithm, data, this.#input(key) as crypto.KeyLike, signature),
    keyCreate: (kind: 'secret' | 'public' | 'private', input: unknown) => {
      const value = this.#input(input);
      const key = kind === 'secret' ? crypto.createSecretKey(value as Buffer) : kind === 'public' ? crypto.createPublicKey(value as crypto.PublicKeyInput) : crypto.createPrivateKey(value as crypto.PrivateKeyInput);
      return keyInfo(key);
    },
    keyExport: (key: KeyData, options: crypto.KeyExportOptions<'pem'> | crypto.JwkKeyExportOptions | undefined) => {
      const out = this.#key(key).export(this.#input(options) as crypto.KeyExportOptions<'pem'>);
      return Buffer.isBuffer(out) ? bytes(out) : out;
    },
    keyEquals: (a: KeyData, b: KeyData) => this.#key(a).equals(this.#key(b)),
    publicEncrypt: (key: unknown, data: Uint8Array) => bytes(crypto.publicEncrypt(this.#input(key) as crypto.KeyLike, data)),
    privateDecrypt: (key: unknown, data: Uint8Array) => bytes(crypto.privateDecrypt(this.#input(key) as crypto.KeyLike, data)),
    privateEncrypt: (key: unknown, data: Uint8Array) => bytes(crypto.privateEncrypt(this.#input(key) as crypto.KeyLike, data)),
    publicDecrypt: (key: unknown, data: Uint8Array) => bytes(crypto.publicDecrypt(this.#input(key) as crypto.KeyLike, data)),
    lists: () => FunctionCrypto.lists(),
  };

  /** Slow operations: promises on the host, never a blocking call on its loop. */
  readonly slow: Record<string, (...args: any[]) => Promise<unknown>> = {
    pbkdf2: async (password: Uint8Array, salt: Uint8Array, iterations: number, keylen: number, digest: string) => bytes(await pbkdf2(password, salt, iterations, keylen, digest)),
    scrypt: async (password: Uint8Array, salt: Uint8Array, keylen: number, options: crypto.ScryptOptions) => bytes(await scrypt(password, salt, keylen, options ?? {})),
    hkdf: async (digest: string, key: unknown, salt: Uint8Array, info: Uint8Array, keylen: number) => bytes(await hkdf(digest, this.#input(key) as crypto.KeyObject, salt, info, keylen)),
    generateKeyPair: async (type: string, options: Record<string, unknown>) => {
      const { publicKey, privateKey } = await generateKeyPair(type, this.#input(options));
      const out = (key: unknown) => (key instanceof crypto.KeyObject ? { key: keyInfo(key) } : { encoded: Buffer.isBuffer(key) ? bytes(key) : key });
      return [out(publicKey), out(privateKey)];
    },
    generateKey: async (type: 'hmac' | 'aes', options: { length: number }) => keyInfo(await generateKey(type, options)),
    subtle: async (method: string, args: unknown[]) => {
      const call = (subtle as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      if (typeof call !== 'function' || !SUBTLE_METHODS.has(method)) throw new TypeError(`SubtleCrypto.${method} is not a function`);
      return this.#webResult(await call.apply(subtle, await Promise.all(args.map((arg) => this.#webParams(arg)))));
    },
  };
}

const SUBTLE_METHODS = new Set(['digest', 'importKey', 'exportKey', 'sign', 'verify', 'encrypt', 'decrypt', 'generateKey', 'deriveBits', 'deriveKey', 'wrapKey', 'unwrapKey']);

/** Node 20 has CryptoKey as a global only (not on crypto.webcrypto). */
function isCryptoKey(value: unknown): value is crypto.webcrypto.CryptoKey {
  return value instanceof (globalThis as unknown as { CryptoKey: abstract new () => crypto.webcrypto.CryptoKey }).CryptoKey;
}

function tryAuthTag(cipher: crypto.CipherGCM): Uint8Array | null {
  try {
    return bytes(cipher.getAuthTag());
  } catch {
    return null;
  }
}

/** A CryptoKey's algorithm as plain data (publicExponent is a Uint8Array, hash an object). */
function webAlgorithm(algorithm: crypto.webcrypto.KeyAlgorithm): Record<string, unknown> {
  return Object.fromEntries(Object.entries(algorithm).map(([key, value]) => [key, value instanceof Uint8Array ? new Uint8Array(value) : value]));
}

function answer(run: () => unknown): Answer {
  try {
    return [null, run()];
  } catch (error) {
    return [errorData(error), null];
  }
}

async function answerLater(run: () => Promise<unknown>): Promise<Answer> {
  try {
    return [null, await run()];
  } catch (error) {
    return [errorData(error), null];
  }
}

export function cryptoService(context: ServiceContext): HostService {
  const state = new FunctionCrypto();
  const runSlow = (op: string, args: unknown[]): Promise<Answer> =>
    answerLater(() => {
      const operation = Object.hasOwn(state.slow, op) ? state.slow[op]! : Object.hasOwn(state.quick, op) ? async (...a: unknown[]) => state.quick[op]!(...a) : undefined;
      if (operation === undefined) throw new TypeError(`unknown crypto operation ${op}`);
      return operation(...args);
    });
  const slow = new ivm.Reference(async (op: string, args: unknown[]) => new ivm.ExternalCopy(await runSlow(op, args)).copyInto({ release: true }));
  return {
    callbacks: {
      quick: new ivm.Callback((op: string, args: unknown[]) =>
        answer(() => {
          if (!Object.hasOwn(state.quick, op)) throw new TypeError(`unknown crypto operation ${op}`);
          return state.quick[op]!(...args);
        }),
      ),
      slow,
      start: new ivm.Callback(
        (id: number, op: string, args: unknown[]) => {
          void runSlow(op, args).then((result) => context.send(id, 'done', result));
        },
        { ignored: true },
      ),
    },
    close: () => {
      state.close();
      slow.release();
    },
  };
}
