/** Zips and REST calls for the function lifecycle tests (gateway/lifecycle/, gateway/routes/lifecycle-*.ts). */
import { zipSync, type Zippable } from 'fflate';
import type { TestGateway } from './gateway.ts';

const UNIX = 3;

/** A zip of `files` (path → text); `links` adds Unix symlink entries (path → target). */
export function zipOf(files: Record<string, string>, links: Record<string, string> = {}): Buffer {
  const entries: Zippable = {};
  for (const [path, text] of Object.entries(files)) entries[path] = [Buffer.from(text), { os: UNIX, attrs: ((0o100644 * 0x10000) >>> 0) }];
  for (const [path, target] of Object.entries(links)) entries[path] = [Buffer.from(target), { os: UNIX, attrs: ((0o120777 * 0x10000) >>> 0), level: 0 }];
  return Buffer.from(zipSync(entries));
}

/** A Node.js handler answering `result` (a JS expression over `event` and `context`). */
export function nodeHandler(result: string): Record<string, string> {
  return { 'index.js': `exports.main_handler = async (event, context) => (${result});\n` };
}

/** POST /functions: JSON settings plus the zip. */
export function createFunction(gateway: TestGateway, name: string, zip: Buffer, settings: Record<string, unknown> = {}): Promise<Response> {
  return gateway.api('/functions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, runtime: 'Nodejs18.15', ...settings, zipFile: zip.toString('base64') }),
  });
}

/** PUT /functions/{name}/code with the raw zip. */
export function putCode(gateway: TestGateway, name: string, zip: Buffer, namespace?: string): Promise<Response> {
  const query = namespace ? `?namespace=${namespace}` : '';
  return gateway.api(`/functions/${name}/code${query}`, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: zip });
}

/** A JSON call to a management route: its status and parsed body. */
export async function jsonCall(gateway: TestGateway, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await gateway.api(path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}
