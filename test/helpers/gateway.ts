/** Starts a real gateway on port 0 over a project folder, with its state in a temp dir. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway, type Gateway } from '../../gateway/server.ts';
import type { Credentials } from '../../gateway/auth/store.ts';

/** The credentials every test gateway accepts (management routes need them: gateway/auth/). */
export const TEST_CREDENTIALS: Credentials = {
  apiToken: 'test-api-token',
  keys: [{ secretId: 'AKIDtestsecretid0000000000000000', secretKey: 'test-secret-key' }],
};

/** `Authorization: Bearer <the test token>`, for management calls to a test gateway. */
export const AUTH_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_CREDENTIALS.apiToken}` };

/** fetch with the test token added: for the management routes of a test gateway. */
export function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...AUTH_HEADERS, ...(init.headers as Record<string, string> | undefined) } });
}

export interface TestGateway extends Gateway {
  invoke(name: string, event?: unknown, options?: InvokeOptions): Promise<InvokeResponse>;
  logs(name: string, requestId: string): Promise<string[]>;
  /** A management call: `path` on the gateway, with the test token. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export interface InvokeOptions {
  qualifier?: string;
  namespace?: string;
  /** Raw body instead of JSON.stringify(event). */
  body?: string;
  headers?: Record<string, string>;
}

export interface InvokeResponse {
  status: number;
  requestId: string | null;
  text: string;
  /** Parsed JSON body, or undefined when it is not JSON. */
  json: any;
  headers: Headers;
}

/** Write `manifest` as fngate.yml into a fresh temp project and serve it. */
export async function startTestGateway(t: { teardown(fn: () => unknown): void }, manifest: Record<string, unknown>): Promise<TestGateway> {
  const root = mkdtempSync(join(tmpdir(), 'fngate-test-'));
  // Idle connections outlive the test's client's (undici: 4 s, Node's agent: 5 s). A test blocks its process,
  // this gateway included, while it builds something big; on a loaded machine that takes seconds, and the
  // client then reuses a connection whose time ran out before the gateway's timer closing it fired: reset.
  const limits = { keepAliveTimeoutSeconds: 65, ...(manifest.gateway as Record<string, unknown> | undefined) };
  writeFileSync(join(root, 'fngate.yml'), stringify({ ...manifest, gateway: limits }));
  const gateway = await startGateway({ dir: root, port: 0, host: '127.0.0.1', logger: silentLogger(), credentials: TEST_CREDENTIALS });
  t.teardown(async () => {
    await gateway.close();
    rmSync(root, { recursive: true, force: true });
  });
  return withClient(gateway);
}

export function withClient(gateway: Gateway): TestGateway {
  const invoke = async (name: string, event: unknown = {}, options: InvokeOptions = {}): Promise<InvokeResponse> => {
    const query = new URLSearchParams();
    if (options.qualifier) query.set('qualifier', options.qualifier);
    if (options.namespace) query.set('namespace', options.namespace);
    const response = await fetch(`${gateway.url}/functions/${encodeURIComponent(name)}/invoke?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body ?? JSON.stringify(event),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, requestId: response.headers.get('x-scf-request-id'), text, json, headers: response.headers };
  };
  const logs = async (name: string, requestId: string): Promise<string[]> => {
    const response = await authFetch(`${gateway.url}/functions/${encodeURIComponent(name)}/logs?requestId=${requestId}`);
    const body = (await response.json()) as { lines: Array<{ line: string }> };
    return body.lines.map((entry) => entry.line);
  };
  const api = (path: string, init?: RequestInit): Promise<Response> => authFetch(`${gateway.url}${path}`, init);
  return Object.assign(gateway, { invoke, logs, api });
}
