/**
 * The official TencentCloud SDK (`tencentcloud-sdk-nodejs-scf`, from npm) pointed at a test gateway, and
 * raw requests signed by the SDK's own signer (tencentcloud-sdk-nodejs-common's Sign.sign3) for what the
 * client cannot be made to send (an old timestamp, another service, a body that is not JSON).
 */
import * as scfModule from 'tencentcloud-sdk-nodejs-scf';
import * as commonModule from 'tencentcloud-sdk-nodejs-common';
import * as signModule from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js';
import { TEST_CREDENTIALS } from '../helpers/gateway.ts';

/** CommonJS modules: whichever way the ESM interop hands their exports over. */
function exportsOf<T extends object>(module: T, key: string): T {
  return (key in module ? module : (module as unknown as { default: T }).default) as T;
}
const scf = exportsOf(scfModule, 'scf').scf;
const common = exportsOf(commonModule, 'CommonClient');

interface SdkSign {
  sign3(options: Record<string, unknown>): string;
}
const loadedSign = signModule as unknown as { default: SdkSign | { default: SdkSign } };
const Sign: SdkSign = 'sign3' in loadedSign.default ? loadedSign.default : loadedSign.default.default;

export const KEY = TEST_CREDENTIALS.keys[0]!;
export const API_VERSION = '2018-04-16';

export type ScfClient = InstanceType<typeof scf.v20180416.Client>;

export interface ClientOptions {
  secretId?: string;
  secretKey?: string;
  /** The API version the client speaks (a CommonClient is made for another one). */
  version?: string;
}

function clientConfig(gatewayUrl: string, options: ClientOptions) {
  return {
    credential: { secretId: options.secretId ?? KEY.secretId, secretKey: options.secretKey ?? KEY.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: new URL(gatewayUrl).host, protocol: 'http://', reqTimeout: 60 } },
  };
}

export function sdkClient(gatewayUrl: string, options: ClientOptions = {}): ScfClient {
  return new scf.v20180416.Client(clientConfig(gatewayUrl, options));
}

/** Calls any action by name with the SDK's generic request (as the typed methods do), with its request options. */
export function callAction(client: ScfClient, action: string, params: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<any> {
  return (client as unknown as { request(action: string, req: unknown, options: unknown): Promise<unknown> }).request(action, params, options);
}

/** A client of the SDK's CommonClient: any service name and API version. */
export function commonClient(gatewayUrl: string, version: string): { request(action: string, params: Record<string, unknown>): Promise<any> } {
  return new common.CommonClient(new URL(gatewayUrl).host, version, clientConfig(gatewayUrl, {})) as never;
}

/** The SDK's error for a failed call: its `code` is the envelope's Error.Code. */
export interface SdkError {
  code?: string;
  message: string;
  requestId?: string;
  httpCode?: number;
}

/** The error code a call fails with, or `ok` when it succeeds (so a test states what it expects either way). */
export async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const sdkError = error as SdkError;
    return sdkError.code ?? `no code (HTTP ${sdkError.httpCode ?? '?'}: ${sdkError.message})`;
  }
}

export interface RawAnswer {
  status: number;
  json: any;
}

export interface RawCall {
  action: string;
  /** The body: parameters as JSON, or raw text. */
  body: Record<string, unknown> | string;
  timestamp?: number;
  service?: string;
  secretKey?: string;
  version?: string;
  /** Replace the Authorization header. */
  authorization?: string;
}

/** A POST / signed by the SDK's signer, with the headers the SDK sends. */
export async function rawCall(gatewayUrl: string, call: RawCall): Promise<RawAnswer> {
  const url = `${gatewayUrl}/`;
  const timestamp = call.timestamp ?? Math.floor(Date.now() / 1000);
  const payload = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
  const authorization =
    call.authorization ??
    Sign.sign3({
      method: 'POST',
      url,
      // A Buffer is hashed as it is (anything else the signer JSON-serialises first).
      payload: Buffer.from(payload),
      timestamp,
      service: call.service ?? new URL(gatewayUrl).hostname.split('.')[0],
      secretId: KEY.secretId,
      secretKey: call.secretKey ?? KEY.secretKey,
      multipart: false,
      boundary: '',
      headers: { 'Content-Type': 'application/json' },
    });
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tc-action': call.action,
      'x-tc-version': call.version ?? API_VERSION,
      'x-tc-timestamp': String(timestamp),
      'x-tc-region': 'ap-guangzhou',
      authorization,
    },
    body: payload,
  });
  // Every answer of the API is the JSON envelope: anything else fails here.
  return { status: response.status, json: await response.json() };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
