/** The `fngate` command: serve a project, invoke a function, print its logs. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
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
  await program.parseAsync(argv, { from: 'user' });
}
