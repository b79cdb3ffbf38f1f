/**
 * Where the gateway's credentials come from. The gateway only asks two questions of a store, so a web
 * console or a PostgreSQL-backed store (scale-out) can replace the file-backed one (file-store.ts) without
 * touching the routes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A TencentCloud API 3.0 key pair: SecretId names the key, SecretKey signs (TC3-HMAC-SHA256). */
export interface KeyPair {
  secretId: string;
  secretKey: string;
}

/** The credentials a gateway accepts. */
export interface Credentials {
  /** `Authorization: Bearer <apiToken>`. */
  apiToken: string;
  /** Key pairs accepted in TC3-HMAC-SHA256 signatures. */
  keys: KeyPair[];
}

export interface CredentialStore {
  /** True when `token` is an accepted API token. Constant-time in the token's content. */
  verifyToken(token: string): boolean;
  /** The SecretKey of `secretId`, or undefined when no such key exists. */
  secretKey(secretId: string): string | undefined;
}

/** Two strings compared in time independent of where they differ (both hashed first: lengths may differ). */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** A store over credentials held in memory (what the file store loads, or what an embedder passes). */
export class StaticCredentialStore implements CredentialStore {
  readonly #token: string;
  readonly #keys: Map<string, string>;

  constructor(credentials: Credentials) {
    if (credentials.apiToken === '') throw new Error('the API token must not be empty');
    this.#token = credentials.apiToken;
    this.#keys = new Map(credentials.keys.map((key) => [key.secretId, key.secretKey]));
  }

  verifyToken(token: string): boolean {
    return constantTimeEqual(token, this.#token);
  }

  secretKey(secretId: string): string | undefined {
    // SecretIds are not secret (they travel in the clear in every Authorization header).
    return this.#keys.get(secretId);
  }
}
