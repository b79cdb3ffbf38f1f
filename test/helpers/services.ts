/**
 * Real database servers for tests: each starter makes a temp dir, starts the Debian server in it on a free
 * loopback port (as an unprivileged user when the test runs as root: PostgreSQL refuses root, and none of
 * them needs it), waits until it answers, and returns {port, stop}. `stop` ends the server it started (by
 * its pid) and removes the dir. A missing binary is a `ServiceMissing` naming the Debian package, so a test
 * can skip with that message outside CI.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Service {
  port: number;
  /** The user a driver connects as (trust / skip-grant-tables: no password). */
  user: string;
  database: string;
  stop(): Promise<void>;
}

/** A server binary is not installed; `debianPackage` installs it. */
export class ServiceMissing extends Error {
  constructor(readonly debianPackage: string, binary: string) {
    super(`${binary} not found: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`);
  }
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** The unprivileged account servers run as when the test runs as root (present on every Debian). */
const SERVICE_USER = 'nobody';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** PostgreSQL (Debian `postgresql`): initdb with trust auth into a temp dir, then `postgres` on loopback. */
export async function startPostgres(): Promise<Service> {
  const bin = postgresBinDir();
  const dir = serviceDir('pg');
  const data = join(dir, 'data');
  const identity = serviceIdentity();
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], identity);
  const port = await freePort();
  const child = startDaemon(
    join(bin, 'postgres'),
    ['-D', data, '-k', dir, '-p', String(port), '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50'],
    identity,
    join(dir, 'postgres.log'),
  );
  await waitUntil(child, dir, async () => {
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  return { port, user: 'postgres', database: 'postgres', stop: stopper(child, dir, 'SIGINT') };
}

/** Redis (Debian `redis-server`): no persistence, its dir a temp dir. */
export async function startRedis(): Promise<Service> {
  const binary = findBinary('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server'], 'redis-server');
  const dir = serviceDir('redis');
  const port = await freePort();
  const child = startDaemon(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    serviceIdentity(),
    join(dir, 'redis.log'),
  );
  await waitUntil(child, dir, () => canConnect(port));
  return { port, user: 'default', database: '0', stop: stopper(child, dir, 'SIGTERM') };
}

/**
 * MariaDB (Debian `mariadb-server`): mariadb-install-db into a temp dir, then mariadbd with
 * --skip-grant-tables (any user, no password: the server is private to the test) and a `compat` database.
 */
export async function startMariadb(): Promise<Service> {
  const daemon = findBinary('mariadb-server', ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'], 'mariadbd');
  const installer = findBinary('mariadb-server', ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'], 'mariadb-install-db');
  const dir = serviceDir('mariadb');
  const data = join(dir, 'data');
  const identity = serviceIdentity();
  run(installer, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], identity);
  const initFile = join(dir, 'init.sql');
  writeFileSync(initFile, 'CREATE DATABASE IF NOT EXISTS compat;\n');
  const port = await freePort();
  const child = startDaemon(
    daemon,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-grant-tables',
      '--skip-name-resolve',
      `--init-file=${initFile}`,
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-buffer-pool-size=32M',
      '--skip-log-bin',
    ],
    identity,
    join(dir, 'mariadb.log'),
  );
  await waitUntil(child, dir, () => canConnect(port));
  return { port, user: 'root', database: 'compat', stop: stopper(child, dir, 'SIGTERM') };
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new ServiceMissing('postgresql', 'postgres');
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0]!, 'bin');
}

function findBinary(debianPackage: string, candidates: string[], name: string): string {
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new ServiceMissing(debianPackage, name);
  return found;
}

interface Identity {
  uid?: number;
  gid?: number;
}

/** Root runs servers as `nobody`; anyone else runs them as themselves. */
function serviceIdentity(): Identity {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', SERVICE_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', SERVICE_USER]).toString().trim());
  return { uid, gid };
}

function serviceDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fngate-${name}-`));
  const identity = serviceIdentity();
  if (identity.uid !== undefined) chownSync(dir, identity.uid, identity.gid!);
  chmodSync(dir, 0o700);
  return dir;
}

function run(binary: string, args: string[], identity: Identity): void {
  try {
    execFileSync(binary, args, { ...identity, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C' } });
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${binary} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function startDaemon(binary: string, args: string[], identity: Identity, logFile: string): ChildProcess {
  const child = spawn(binary, args, { ...identity, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C' } });
  // Server chatter is kept for the error message when start-up fails; never parsed for readiness.
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  Object.assign(child, { output: () => Buffer.concat(chunks).toString(), logFile });
  return child;
}

async function waitUntil(child: ChildProcess, dir: string, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const output = (child as unknown as { output(): string }).output();
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`${child.spawnfile} did not become ready (exit ${child.exitCode ?? child.signalCode ?? 'none'}):\n${output.slice(-2000)}`);
}

/** Whether anything accepts a TCP connection at 127.0.0.1:port. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopper(child: ChildProcess, dir: string, signal: NodeJS.Signals): () => Promise<void> {
  let stopped: Promise<void> | null = null;
  return () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
}
