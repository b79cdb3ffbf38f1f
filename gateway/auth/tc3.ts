/**
 * TC3-HMAC-SHA256 verification (TencentCloud API 3.0; ../shared/PROTOCOLS.md), accepting exactly what the
 * official tencentcloud-sdk-nodejs sends: it signs the host *without* the port while its Host header
 * carries the port, it takes the service of the credential scope from the endpoint's first label
 * (`127.0.0.1:9000` gives `127`), and it signs only `content-type` and `host` (`;host` for methods other
 * than GET and POST). The service is taken from the scope as signed; the signature covers it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { FnError } from '../errors.ts';
import type { CredentialStore } from './store.ts';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
/** API 3.0 refuses a timestamp more than five minutes from the server's clock, either way. */
export const TC3_MAX_SKEW_S = 300;

/** What verification needs of a request, whatever its transport. */
export interface SignedRequest {
  method: string;
  /** The request target as sent: path and optional `?query`, undecoded. */
  target: string;
  /** A header's value, by lower-case name. */
  header(name: string): string | undefined;
  body: Buffer;
}

interface ParsedAuthorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string;
  signature: string;
}

/** `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`. */
function parseAuthorization(value: string): ParsedAuthorization | undefined {
  if (!value.startsWith(`${TC3_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(TC3_ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (scope.length !== 4 || scope[3] !== 'tc3_request' || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  const [secretId, date, service] = scope as [string, string, string];
  if (!secretId || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !service) return undefined;
  return { secretId, date, service, signedHeaders, signature };
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The UTC date (YYYY-MM-DD) of a Unix timestamp in seconds, as the scope carries it. */
function scopeDate(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** The hosts a client may have signed: the SDK's (no port) and, for other clients, the Host header as sent. */
function signableHosts(host: string): string[] {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return [host];
  }
  return hostname === host ? [host] : [hostname, host];
}

function signature(request: SignedRequest, auth: ParsedAuthorization, timestamp: string, secretKey: string, host: string): string {
  const queryAt = request.target.indexOf('?');
  const path = queryAt < 0 ? request.target : request.target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : request.target.slice(queryAt + 1);
  const canonicalHeaders = auth.signedHeaders
    .split(';')
    .filter((name) => name !== '')
    .map((name) => `${name}:${(name === 'host' ? host : (request.header(name) ?? '')).trim().toLowerCase()}\n`)
    .join('');
  const canonicalRequest = [request.method.toUpperCase(), path, query, canonicalHeaders, auth.signedHeaders, sha256Hex(request.body)].join('\n');
  const scope = `${auth.date}/${auth.service}/tc3_request`;
  const stringToSign = `${TC3_ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signingKey = hmac(hmac(hmac(`TC3${secretKey}`, auth.date), auth.service), 'tc3_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** True when `authorization` claims TC3-HMAC-SHA256 (then `verifyTc3` decides). */
export function isTc3Authorization(authorization: string): boolean {
  return authorization.startsWith(`${TC3_ALGORITHM} `);
}

/**
 * Verifies a TC3-HMAC-SHA256 request: the SecretId that signed it, or the FnError (AUTH_*) saying why not.
 * @param nowMs the gateway's clock, for the 5-minute window
 */
export function verifyTc3(request: SignedRequest, store: CredentialStore, nowMs: number = Date.now()): { secretId: string } | FnError {
  const auth = parseAuthorization(request.header('authorization') ?? '');
  const timestamp = request.header('x-tc-timestamp') ?? '';
  const host = request.header('host') ?? '';
  if (!auth || !/^\d{1,12}$/.test(timestamp) || host === '') {
    return new FnError('AUTH_MISSING', `malformed ${TC3_ALGORITHM} request: needs Authorization (Credential, SignedHeaders, Signature), X-TC-Timestamp and Host`);
  }
  if (!auth.signedHeaders.split(';').includes('host')) return new FnError('AUTH_SIGNATURE_FAILURE', 'the signature must cover the host header');
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > TC3_MAX_SKEW_S) {
    return new FnError('AUTH_SIGNATURE_EXPIRED', `the signature timestamp ${timestamp} is more than ${TC3_MAX_SKEW_S} s from the gateway clock`);
  }
  if (scopeDate(seconds) !== auth.date) return new FnError('AUTH_SIGNATURE_FAILURE', 'the credential scope date is not the date of X-TC-Timestamp');
  const secretKey = store.secretKey(auth.secretId);
  if (secretKey === undefined) return new FnError('AUTH_SECRET_ID_NOT_FOUND', `no key pair with SecretId ${auth.secretId}`);
  const given = Buffer.from(auth.signature, 'utf8');
  let matched = false;
  for (const candidate of signableHosts(host)) {
    const expected = Buffer.from(signature(request, auth, timestamp, secretKey, candidate), 'utf8');
    // Both are 64 hex digits (checked when parsing), so timingSafeEqual's length rule holds.
    if (timingSafeEqual(expected, given)) matched = true;
  }
  return matched ? { secretId: auth.secretId } : new FnError('AUTH_SIGNATURE_FAILURE', `the ${TC3_ALGORITHM} signature does not match the request`);
}
