/** The `fngate` command: serve a project, invoke a function, print its logs. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { LoadError, runLoad, type LoadOptions } from './cli/load.ts';
import { ConfigError } from './config.ts';
import { INVOCATION_TYPE_HEADER } from './routes/invoke.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startGateway } from './server.ts';

const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a port number');
  return port;
}

function readEvent(source: string | undefined): string {
  if (source === undefined) return '{}';
  return readFileSync(source === '-' ? 0 : source, 'utf8');
}

async function serveCommand(dir: string, options: { port: number; host: string; dataDir?: string }): Promise<void> {
  let gateway;
  try {
    gateway = await startGateway({ dir, port: options.port, host: options.host, dataDir: options.dataDir });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`fngate: invalid configuration\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const names = gateway.config.functions.map((fn) => (fn.namespace === 'default' ? fn.name : `${fn.namespace}/${fn.name}`));
  process.stdout.write(`fngate ready on http://${options.host}:${gateway.port} (${gateway.url}) functions: ${names.join(', ') || '(none)'}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    gateway.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`fngate: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function invokeCommand(
  name: string,
  options: { event?: string; qualifier?: string; namespace?: string; url: string; type: string },
): Promise<void> {
  const query = new URLSearchParams();
  if (options.qualifier) query.set('qualifier', options.qualifier);
  if (options.namespace) query.set('namespace', options.namespace);
  const response = await fetch(`${options.url}/functions/${encodeURIComponent(name)}/invoke?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INVOCATION_TYPE_HEADER]: options.type },
    body: readEvent(options.event),
  });
  const text = await response.text();
  process.stdout.write(`${text}\n`);
  if (!response.ok) {
    process.stderr.write(`status ${response.status}, request id ${response.headers.get('x-scf-request-id') ?? '-'}\n`);
    process.exitCode = 1;
  }
}

async function logsCommand(name: string, options: { requestId?: string; namespace?: string; limit?: string; url: string }): Promise<void> {
  const query = new URLSearchParams();
  if (options.requestId) query.set('requestId', options.requestId);
  if (options.namespace) query.set('namespace', options.namespace);
  if (options.limit) query.set('limit', options.limit);
  const response = await fetch(`${options.url}/functions/${encodeURIComponent(name)}/logs?${query}`);
  const body = (await response.json()) as { lines?: Array<{ line: string }>; errorMessage?: string };
  if (!response.ok) {
    process.stderr.write(`fngate: ${body.errorMessage ?? response.statusText}\n`);
    process.exitCode = 1;
    return;
  }
  for (const { line } of body.lines ?? []) process.stdout.write(`${line}\n`);
}

function parsePositiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('not a positive integer');
  return number;
}

/** `10s`, `2m`, `500ms` or a number of seconds. */
function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration like 10s, 2m or 500ms');
  const amount = Number(match[1]);
  const seconds = match[2] === 'ms' ? amount / 1000 : match[2] === 'm' ? amount * 60 : amount;
  if (seconds <= 0) throw new InvalidArgumentError('the duration must be more than 0');
  return seconds;
}

async function loadCommand(
  name: string,
  options: Omit<LoadOptions, 'durationS' | 'type'> & { duration: number; type: string },
): Promise<void> {
  if (options.type !== 'RequestResponse' && options.type !== 'Event') {
    fail('--type must be RequestResponse or Event', 2);
  }
  if (options.url !== undefined && options.serve !== undefined) fail('give either --url or --serve, not both', 2);
  try {
    await runLoad(name, { ...options, durationS: options.duration, type: options.type as LoadOptions['type'] });
  } catch (error) {
    if (error instanceof LoadError) fail(error.message, 1);
    throw error;
  }
}

/** One line on stderr, then the exit code (see README: exit codes). */
function fail(message: string, code: number): never {
  process.stderr.write(`fngate: ${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('fngate').description('Self-hosted, SCF-compatible serverless function platform');
  program
    .command('serve')
    .description('serve the functions of a project folder (fngate.yml or serverless.yml)')
    .argument('[dir]', 'project folder', '.')
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_PORT)
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--data-dir <dir>', 'where state lives (default: <dir>/.fngate)')
    .action(serveCommand);
  program
    .command('invoke')
    .description('invoke a function and print its result')
    .argument('<name>', 'function name')
    .option('--event <file>', 'event JSON file, or - for standard input')
    .option('--qualifier <qualifier>', 'version or alias', '$LATEST')
    .option('--namespace <namespace>', 'namespace', 'default')
    .option('--type <type>', 'RequestResponse (sync) or Event (async)', 'RequestResponse')
    .option('--url <url>', 'gateway URL', DEFAULT_URL)
    .action(invokeCommand);
  program
    .command('logs')
    .description("print a function's framed logs")
    .argument('<name>', 'function name')
    .option('--request-id <id>', 'only this invocation')
    .option('--namespace <namespace>', 'namespace', 'default')
    .option('--limit <n>', 'most recent lines')
    .option('--url <url>', 'gateway URL', DEFAULT_URL)
    .action(logsCommand);
  program
    .command('load')
    .description("load-test a function's invocation path and report throughput, latency, status codes and cold starts")
    .argument('<function>', 'function name')
    .option('--url <url>', `a running gateway (default ${DEFAULT_URL})`)
    .option('--serve <dir>', 'start a gateway over this project folder for the run, on a free loopback port')
    .option('--connections <n>', 'concurrent connections', parsePositiveInt, 50)
    .option('--duration <time>', 'how long: 10s, 2m, 500ms', parseDuration, 10)
    .option('--requests <n>', 'stop after this many requests instead of a duration', parsePositiveInt)
    .option('--rate <r>', 'paced: requests per second over all connections', parsePositiveInt)
    .option('--event <file>', 'event JSON file, or - for standard input (default {})')
    .option('--qualifier <qualifier>', 'version or alias')
    .option('--namespace <namespace>', 'namespace')
    .option('--type <type>', 'RequestResponse (sync) or Event (async)', 'RequestResponse')
    .option('--json', 'print one JSON object instead of the report', false)
    .action(loadCommand);
  await program.parseAsync(argv, { from: 'user' });
}
