/**
 * The host interpreters a web function may call by their SCF paths (`/var/lang/node18/bin/node`,
 * `/var/lang/python3/bin/python3`, `/var/lang/php8/bin/php` …). Templates hard-code these paths; inside the
 * sandbox each one is a symlink to the host's own interpreter, whose install folder is exposed read-only.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Interpreter {
  /** The host binary, symlinks resolved (Python finds its prefix from the real path). */
  binary: string;
  /** Host folder to expose read-only at the same path when it is outside the always-visible /usr. */
  root: string | undefined;
  /** Absolute paths under /var/lang that point at the binary. */
  links: string[];
}

/** SCF runtime folders under /var/lang, by interpreter; all point at the one host interpreter. */
const NODE_DIRS = ['node8', 'node10', 'node12', 'node14', 'node16', 'node18', 'node20', 'node22'];
const PYTHON_DIRS = ['python3', 'python36', 'python37', 'python38', 'python39', 'python310', 'python311', 'python312'];
const PHP_DIRS = ['php7', 'php72', 'php74', 'php8', 'php80', 'php82'];

const DISCOVERY_TIMEOUT_MS = 5000;

const links = (dirs: string[], names: string[]): string[] =>
  dirs.flatMap((dir) => names.map((name) => `/var/lang/${dir}/bin/${name}`));

/** Folders the sandbox always shows; binaries under them need no extra mount. */
function rootOutsideSystem(binary: string, prefix: string): string | undefined {
  return binary.startsWith('/usr/') ? undefined : prefix;
}

function run(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: DISCOVERY_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

export function nodeInterpreter(execPath: string): Interpreter {
  const binary = realpathSync(execPath);
  return { binary, root: rootOutsideSystem(binary, dirname(dirname(binary))), links: links(NODE_DIRS, ['node']) };
}

async function pythonInterpreter(): Promise<Interpreter | undefined> {
  // `python3` may be a shim (pyenv) or a venv: ask the interpreter itself where it lives.
  const out = await run('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable)); print(sys.base_prefix)']);
  const [binary, prefix] = out?.trim().split('\n') ?? [];
  if (!binary || !prefix) return undefined;
  return { binary, root: rootOutsideSystem(binary, prefix), links: links(PYTHON_DIRS, ['python3', 'python']) };
}

async function phpInterpreter(): Promise<Interpreter | undefined> {
  const out = await run('php', ['-r', 'echo PHP_BINARY;']);
  if (!out) return undefined;
  const binary = realpathSync(out.trim());
  return { binary, root: rootOutsideSystem(binary, dirname(dirname(binary))), links: links(PHP_DIRS, ['php']) };
}

/** Every interpreter found on the host; missing ones are left out (their /var/lang paths do not exist). */
export async function findInterpreters(execPath: string): Promise<Interpreter[]> {
  const found = await Promise.all([pythonInterpreter(), phpInterpreter()]);
  return [nodeInterpreter(execPath), ...found.filter((i): i is Interpreter => i !== undefined)];
}

/** The `/var/lang/<dir>/bin` of the configured runtime, first on PATH (SCF images do the same). */
export function runtimeBinDir(runtime: string): string | undefined {
  const node = /^nodejs(\d+)/i.exec(runtime);
  if (node) return `/var/lang/node${node[1]}/bin`;
  const python = /^python3(?:\.(\d+))?/i.exec(runtime);
  if (python) return python[1] ? `/var/lang/python3${python[1]}/bin` : '/var/lang/python3/bin';
  const php = /^php(\d)/i.exec(runtime);
  if (php) return `/var/lang/php${php[1]}/bin`;
  return undefined;
}
