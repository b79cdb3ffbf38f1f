/** What the client commands share: the gateway URL, its credentials, and one fetch that fails in one line. */
import { InvalidArgumentError } from 'commander';
import { readClientToken, ENV_API_TOKEN } from '../auth/file-store.ts';
import { DEFAULT_PORT } from '../server.ts';
import { CliError, EXIT_FAILED } from './fail.ts';

export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;
/** Where the client commands look for the gateway's credentials: `fngate serve .`'s data dir. */
const DEFAULT_CLIENT_DATA_DIR = '.fngate';
export const DATA_DIR_HELP = `the gateway's data dir, where its API token is (default ${DEFAULT_CLIENT_DATA_DIR}; ${ENV_API_TOKEN} wins)`;

/** The API token from FNGATE_API_TOKEN or the data dir, when either has one. */
export function clientToken(dataDir: string | undefined): string | undefined {
  return readClientToken(process.env, dataDir ?? DEFAULT_CLIENT_DATA_DIR);
}

/** `Authorization: Bearer <token>`, when there is a token. */
export function authHeaders(dataDir: string | undefined): Record<string, string> {
  const token = clientToken(dataDir);
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not a URL like ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`not an http(s) URL like ${DEFAULT_URL}`);
  return value.replace(/\/+$/, '');
}

/** fetch, with a gateway that cannot be reached turned into the one-line error. */
export async function request(base: string, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `no gateway answers at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
      'start one with "fngate serve <dir>", or pass --url <gateway url>',
      EXIT_FAILED,
    );
  }
}
