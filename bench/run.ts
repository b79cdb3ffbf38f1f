/**
 * `npm run bench [-- SUBJECT… ] [--duration 10s] [--warmup 2s] [--quick] [--rounds N]
 *   [--connections 50] [--threads 1] [--server-cpus 0] [--load-cpus 1] [--keep-logs] [--list]`
 *
 * Loads every bench/*.bench.ts (each registers one subject), runs the named subjects (all when none
 * is named) one after the other, and writes bench/results/<subject>.json and .md.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR,
  DEFAULT_CONNECTIONS,
  DEFAULT_DURATION_S,
  DEFAULT_LOAD_CPUS,
  DEFAULT_ROUNDS,
  DEFAULT_SERVER_CPUS,
  DEFAULT_THREADS,
  DEFAULT_WARMUP_S,
  installCleanup,
  listSubjects,
  makeTmpDir,
  pinSelf,
  processes,
  QUICK_DURATION_S,
  QUICK_WARMUP_S,
  removeTmpDir,
  runSubject,
  type BenchOptions,
} from './harness.ts';
import { renderMarkdown } from './report.ts';

const SUBJECT_FILE_SUFFIX = '.bench.ts';

/** `10s`, `500ms`, `1m` or a bare number of seconds → seconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text} (use e.g. 10s, 500ms, 1m)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return value;
}

async function loadSubjects(): Promise<void> {
  const files = readdirSync(BENCH_DIR).filter((file) => file.endsWith(SUBJECT_FILE_SUFFIX)).sort();
  for (const file of files) await import(pathToFileURL(join(BENCH_DIR, file)).href);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      'server-cpus': { type: 'string', default: DEFAULT_SERVER_CPUS },
      'load-cpus': { type: 'string', default: DEFAULT_LOAD_CPUS },
      'keep-logs': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  await loadSubjects();
  if (values.list) {
    for (const subject of listSubjects()) process.stdout.write(`${subject.name}\t${subject.title}\n`);
    return;
  }
  const options: BenchOptions = {
    durationS: values.duration ? parseDuration(values.duration) : values.quick ? QUICK_DURATION_S : DEFAULT_DURATION_S,
    warmupS: values.warmup ? parseDuration(values.warmup) : values.quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S,
    rounds: positiveInt('rounds', values.rounds, DEFAULT_ROUNDS),
    connections: positiveInt('connections', values.connections, DEFAULT_CONNECTIONS),
    threads: positiveInt('threads', values.threads, DEFAULT_THREADS),
    serverCpus: values['server-cpus'],
    loadCpus: values['load-cpus'],
    keepLogs: values['keep-logs'],
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
  };
  if (options.connections < options.threads) throw new Error('--connections must be at least --threads (a wrk rule)');
  if (options.serverCpus === options.loadCpus) {
    process.stderr.write(`bench: warning: server and load generator share CPU ${options.serverCpus}\n`);
  }
  await pinSelf(options.loadCpus);
  const known = listSubjects().map((subject) => subject.name);
  const names = positionals.length > 0 ? positionals : known;
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown subject ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const tmpDir = makeTmpDir();
  // On 'exit', so that Ctrl-C (which exits from the signal handler) removes it too.
  process.on('exit', () => removeTmpDir(tmpDir, options.keepLogs));
  try {
    for (const name of names) {
      const result = await runSubject(name, options, tmpDir);
      process.stdout.write(`\n${renderMarkdown(result)}\nwrote bench/results/${name}.json and .md\n\n`);
    }
  } finally {
    await processes.stopAll();
    if (options.keepLogs) process.stdout.write(`server logs kept in ${tmpDir}\n`);
  }
}

installCleanup();
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
