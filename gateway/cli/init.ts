/**
 * `fngate init <dir>`: a project folder with one function, ready to serve:
 *
 *   <dir>/fngate.yml     the manifest (CONFIG.md), src: ./src
 *   <dir>/src/…          the handler for the runtime (templates.ts)
 *   <dir>/event.json     an event for `fngate invoke` (event functions)
 *
 * Never overwrites: when any of these exists, nothing is written.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { runtimeKindOf } from '../config.ts';
import { CliError, EXIT_USAGE } from './fail.ts';
import { templateFor, WEB_KINDS } from './templates.ts';

export const DEFAULT_INIT_RUNTIME = 'Nodejs18.15';
/** SPEC §1: 2–60 characters, a letter first, letters, digits, `_` and `-`, a letter or digit last. */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;
export const EXAMPLE_EVENT = { name: 'fngate' };

export interface InitOptions {
  runtime: string;
  name?: string;
  type: string;
}

export interface InitResult {
  name: string;
  /** Every file written, relative to the current folder. */
  files: string[];
  /** The commands to run next, in order. */
  next: string[];
}

/** A path as the user would type it from here. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** Quoted for a POSIX shell when it needs to be. */
function shellWord(word: string): string {
  return /^[\w./:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function initProject(dir: string, options: InitOptions): InitResult {
  const kind = runtimeKindOf(options.runtime);
  if (!kind) {
    throw new CliError(
      `unknown runtime "${options.runtime}"`,
      'pass --runtime Nodejs18.15, Python3.9, Php8.0, Go1, Java11 or CustomRuntime',
      EXIT_USAGE,
    );
  }
  if (options.type !== 'event' && options.type !== 'web') throw new CliError(`unknown type "${options.type}"`, 'pass --type event or --type web', EXIT_USAGE);
  const type = options.type;
  if (type === 'web' && !WEB_KINDS.includes(kind)) {
    throw new CliError(`no web function template for ${options.runtime}`, 'pass --runtime Nodejs18.15, Python3.9 or Php8.0 with --type web, or --type event', EXIT_USAGE);
  }
  const root = resolve(dir);
  const name = options.name ?? basename(root);
  if (!FUNCTION_NAME.test(name)) {
    throw new CliError(
      `"${name}" is not a valid function name (2-60 letters, digits, _ or -, a letter first)`,
      options.name === undefined ? 'pass one with --name' : 'pass another --name',
      EXIT_USAGE,
    );
  }

  const template = templateFor(kind, type, name);
  const manifest = {
    functions: {
      [name]: {
        src: './src',
        handler: template.handler,
        runtime: options.runtime,
        type,
        memorySize: 128,
        timeout: 3,
      },
    },
  };
  const files = [
    ...template.files.map((file) => ({ ...file, path: join(root, 'src', file.path) })),
    {
      path: join(root, 'fngate.yml'),
      content: `# Made by fngate init; every key: CONFIG.md (the inputs of serverless.yml's scf component).\n${stringify(manifest)}`,
    },
    ...(type === 'event' ? [{ path: join(root, 'event.json'), content: `${JSON.stringify(EXAMPLE_EVENT)}\n` }] : []),
  ];
  const existing = files.find((file) => existsSync(file.path));
  if (existing) {
    throw new CliError(`${shown(existing.path)} already exists and init never overwrites`, 'choose a new folder, or move the existing files away', EXIT_USAGE);
  }
  for (const file of files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content, { flag: 'wx' });
    if ('executable' in file && file.executable) chmodSync(file.path, 0o755);
  }

  const at = shellWord(shown(root));
  const next: string[] = [];
  if (template.build) next.push(`(cd ${shellWord(shown(join(root, 'src')))} && ${template.build})`);
  next.push(`fngate serve ${at}`);
  next.push(
    type === 'event'
      ? `fngate invoke ${name} --event ${shellWord(shown(join(root, 'event.json')))}`
      : `curl http://127.0.0.1:9000/web/${name}/`,
  );
  return { name, files: files.map((file) => shown(file.path)), next };
}
