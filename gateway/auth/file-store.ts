/**
 * Credentials from the environment or the data dir: `FNGATE_API_TOKEN` and `FNGATE_SECRET_ID` /
 * `FNGATE_SECRET_KEY` when set; whatever is not set is generated once into `<dataDir>/credentials.json`
 * (mode 0600, the data dir 0700) and read from there on every later start. The CLI reads the same places
 * (`readClientCredentials`), so a local gateway needs no configuration.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StaticCredentialStore, type Credentials, type KeyPair } from './store.ts';

export const CREDENTIALS_FILE = 'credentials.json';
export const ENV_API_TOKEN = 'FNGATE_API_TOKEN';
export const ENV_SECRET_ID = 'FNGATE_SECRET_ID';
export const ENV_SECRET_KEY = 'FNGATE_SECRET_KEY';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Credentials that cannot be used as set up (half a key pair, an unreadable file): the message says what to do. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** What `credentials.json` holds: only the parts the environment did not give. */
interface CredentialsFile {
  apiToken?: string;
  secretId?: string;
  secretKey?: string;
}

export interface LoadedCredentials {
  store: StaticCredentialStore;
  credentials: Credentials;
  /** The file holding generated credentials, when any part came from it. */
  file: string | undefined;
  /** Where the token and the key pair came from. */
  sources: { apiToken: 'env' | 'file'; keys: 'env' | 'file' };
}

/** The key pair the environment gives, both halves or neither. */
function envKeyPair(env: NodeJS.ProcessEnv): KeyPair | undefined {
  const secretId = env[ENV_SECRET_ID] || undefined;
  const secretKey = env[ENV_SECRET_KEY] || undefined;
  if ((secretId === undefined) !== (secretKey === undefined)) {
    throw new CredentialsError(`set both ${ENV_SECRET_ID} and ${ENV_SECRET_KEY}, or neither (then a key pair is generated into the data dir)`);
  }
  return secretId && secretKey ? { secretId, secretKey } : undefined;
}

function readFile(path: string): CredentialsFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as CredentialsFile;
  } catch {
    throw new CredentialsError(`${path} is not valid JSON: delete it to have new credentials generated`);
  }
}

/** A SecretId shaped like TencentCloud's (AKID + 32 characters) and a 32-character SecretKey. */
function generated(): Required<CredentialsFile> {
  const token = (bytes: number): string => randomBytes(bytes).toString('base64url');
  return { apiToken: token(32), secretId: `AKID${randomBytes(16).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
}

/** Writes the file whole (temp file, then rename), created with mode 0600 so it is never readable by others. */
function writeFile(path: string, content: CredentialsFile): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: FILE_MODE, flag: 'w' });
  chmodSync(temp, FILE_MODE);
  renameSync(temp, path);
}

/** The gateway's credentials: environment first, the data dir's file for the rest (generated when missing). */
export function loadCredentials(env: NodeJS.ProcessEnv, dataDir: string): LoadedCredentials {
  const envToken = env[ENV_API_TOKEN] || undefined;
  const envKeys = envKeyPair(env);
  const path = join(dataDir, CREDENTIALS_FILE);
  let file: string | undefined;
  let fromFile: CredentialsFile = {};
  if (envToken === undefined || envKeys === undefined) {
    mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
    chmodSync(dataDir, DIR_MODE);
    const existing = readFile(path) ?? {};
    const fresh = generated();
    fromFile = {
      apiToken: envToken === undefined ? existing.apiToken || fresh.apiToken : existing.apiToken,
      secretId: envKeys === undefined ? existing.secretId || fresh.secretId : existing.secretId,
      secretKey: envKeys === undefined ? existing.secretKey || fresh.secretKey : existing.secretKey,
    };
    if (fromFile.apiToken !== existing.apiToken || fromFile.secretId !== existing.secretId || fromFile.secretKey !== existing.secretKey) {
      writeFile(path, fromFile);
    } else {
      chmodSync(path, FILE_MODE);
    }
    file = path;
  }
  const credentials: Credentials = {
    apiToken: envToken ?? fromFile.apiToken!,
    keys: [envKeys ?? { secretId: fromFile.secretId!, secretKey: fromFile.secretKey! }],
  };
  return {
    store: new StaticCredentialStore(credentials),
    credentials,
    file,
    sources: { apiToken: envToken === undefined ? 'file' : 'env', keys: envKeys === undefined ? 'file' : 'env' },
  };
}

/**
 * What a client (the CLI) presents: the token from the environment, else from `<dataDir>/credentials.json`
 * when it is there and readable. Never creates anything.
 */
export function readClientToken(env: NodeJS.ProcessEnv, dataDir: string | undefined): string | undefined {
  if (env[ENV_API_TOKEN]) return env[ENV_API_TOKEN];
  if (dataDir === undefined) return undefined;
  try {
    return readFile(join(dataDir, CREDENTIALS_FILE))?.apiToken || undefined;
  } catch {
    return undefined;
  }
}
