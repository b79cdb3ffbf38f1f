/**
 * One check for every way credentials arrive: `Authorization: Bearer <token>` or a TC3-HMAC-SHA256
 * signature (tc3.ts). Transports (the Hono middleware in guard.ts, the invoke fast path) build a
 * SignedRequest and ask `check`.
 */
import { FnError } from '../errors.ts';
import type { CredentialStore } from './store.ts';
import { isTc3Authorization, verifyTc3, type SignedRequest } from './tc3.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export class Authenticator {
  readonly #store: CredentialStore;
  readonly #now: () => number;

  constructor(store: CredentialStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** True when the Authorization header is a signature, whose check needs the request body. */
  needsBody(authorization: string | undefined): boolean {
    return authorization !== undefined && isTc3Authorization(authorization);
  }

  /** undefined when the request carries valid credentials, else the 401 FnError saying what is wrong. */
  check(request: SignedRequest): FnError | undefined {
    const authorization = request.header('authorization');
    if (authorization === undefined || authorization === '') {
      return new FnError('AUTH_MISSING', 'this route needs Authorization: Bearer <token> or a TC3-HMAC-SHA256 signature');
    }
    const bearer = BEARER.exec(authorization);
    if (bearer) return this.#store.verifyToken(bearer[1]!) ? undefined : new FnError('AUTH_TOKEN_INVALID', 'the Bearer token is not the API token');
    if (isTc3Authorization(authorization)) {
      const verdict = verifyTc3(request, this.#store, this.#now());
      return 'secretId' in verdict ? undefined : verdict;
    }
    // Includes the SDK's `skipSign` (Authorization: SKIP).
    return new FnError('AUTH_MISSING', 'the Authorization header is neither Bearer <token> nor TC3-HMAC-SHA256');
  }
}
