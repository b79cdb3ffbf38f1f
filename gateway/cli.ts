/** The `fngate` command: scaffold a project, serve it, invoke a function, print its logs, load-test it. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { authHeaders, clientToken, DATA_DIR_HELP, DEFAULT_URL, parseUrl, request } from './cli/client.ts';
import { paint } from './cli/color.ts';
import { CliError, errorLine, EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitWith } from './cli/fail.ts';
import { DEFAULT_INIT_RUNTIME, initProject } from './cli/init.ts';
import { addLifecycleCommands } from './cli/lifecycle.ts';
import type { LoadOptions } from './cli/load.ts';
import { StoreOpenError } from '../store/open-error.ts';
import { CredentialsError, ENV_API_TOKEN, ENV_SECRET_KEY } from './auth/file-store.ts';
import { ConfigError } from './config.ts';
import { ErrorCodes } from './errors.ts';
import { INVOCATION_TYPE_HEADER } from './invoke-api.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startGateway } from './server.ts';
import { onLauncherExit } from './cli/launcher-link.ts';
import { packageVersion } from './version.ts';

/** `fngate dev` listens on loopback only, whatever the environment. */
const DEV_HOST = '127.0.0.1';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a port number');
  return port;
}

/** The text of an --event file (or stdin for `-`): JSON, or empty for `{}`. */
function readEvent(source: string | undefined): string {
  if (source === undefined) return '{}';
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(`cannot read the event file ${source} (${code})`, 'pass a JSON file that exists, or - to read the event from standard input', EXIT_USAGE);
  }
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `the event file ${source === '-' ? '(standard input)' : source} is not valid JSON (${(error as Error).message})`,
      'fix the JSON, or leave --event out to send {}',
      EXIT_USAGE,
    );
  }
  return text;
}

/** How to get past an error status, by SCF status code. */
function statusFix(status: number, name: string, url: string, requestId: string): string {
  const logs = `fngate logs ${name} --request-id ${requestId}${url === DEFAULT_URL ? '' : ` --url ${url}`}`;
  switch (status) {
    case ErrorCodes.FUNCTION_NOT_FOUND.status:
      return `check the name and --namespace (${url}/functions lists the deployed functions)`;
    case ErrorCodes.QUALIFIER_NOT_FOUND.status:
      return 'check --qualifier ($LATEST, a version or an alias)';
    case ErrorCodes.EVENT_NOT_JSON.status:
      return 'pass a JSON event with --event';
    case ErrorCodes.REQUEST_TOO_LARGE.status:
      return 'send a smaller event (6 MB sync, 128 KB with --type Event)';
    case ErrorCodes.CONCURRENCY_LIMIT.status:
      return 'retry later, or raise reservedConcurrency in fngate.yml';
    case ErrorCodes.TIMEOUT.status:
      return `raise timeout in fngate.yml, or see where it spends its time: ${logs}`;
    case ErrorCodes.MEMORY_LIMIT.status:
      return `raise memorySize in fngate.yml; the logs: ${logs}`;
    case ErrorCodes.INVALID_PARAMETER.status:
      return 'check the options against fngate invoke --help';
    case ErrorCodes.AUTH_MISSING.status:
      return `set ${ENV_API_TOKEN}, or pass --data-dir <the gateway's data dir> (it holds credentials.json)`;
    default:
      return `the function's logs: ${logs}`;
  }
}

async function serveCommand(dir: string, options: { port: number; host: string; dataDir?: string; watch?: boolean }): Promise<void> {
  let gateway;
  try {
    gateway = await startGateway({ dir, port: options.port, host: options.host, dataDir: options.dataDir, watch: options.watch === true });
  } catch (error) {
    if (error instanceof StoreOpenError) {
      exitWith(new CliError(`cannot use the data dir: ${error.message}`, error.fix, EXIT_FAILED));
    }
    if (error instanceof ConfigError) {
      exitWith(new CliError(`invalid configuration: ${error.message.split('\n').join('; ')}`, `fix it and run fngate serve ${dir} again`, EXIT_USAGE));
    }
    if (error instanceof CredentialsError) exitWith(new CliError(`cannot set up the API credentials: ${error.message}`, `fix it and run fngate serve ${dir} again`, EXIT_USAGE));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      exitWith(new CliError(`cannot listen on ${options.host}:${options.port} (${code})`, 'stop what listens there, or pass --port <another> (0 picks a free one)', EXIT_USAGE));
    }
    throw error;
  }
  const names = gateway.config.functions.map((fn) => (fn.namespace === 'default' ? fn.name : `${fn.namespace}/${fn.name}`));
  // Children (function processes) must not inherit the secrets; the gateway holds them in memory.
  delete process.env[ENV_API_TOKEN];
  delete process.env[ENV_SECRET_KEY];
  process.stdout.write(`fngate ready on http://${options.host}:${gateway.port} (${gateway.url}) functions: ${names.join(', ') || '(none)'}\n`);
  let stopping = false;
  // SIGTERM drains: no new connections, in-flight requests finish (up to drainSeconds), async attempts
  // are re-queued for the next start, every instance ends; then exit 0.
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    gateway.close({ drainMs: gateway.config.gateway.drainSeconds * 1000 }).then(
      () => process.exit(EXIT_OK),
      (error) => exitWith(new CliError(`error while stopping: ${String(error)}`, 'check the state in the data dir', EXIT_FAILED)),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  onLauncherExit(stop);
}

async function invokeCommand(
  name: string,
  options: { event?: string; qualifier?: string; namespace?: string; url: string; type: string; dataDir?: string },
): Promise<void> {
  if (options.type !== 'RequestResponse' && options.type !== 'Event') {
    throw new CliError(`--type ${options.type} is not an invocation type`, 'pass --type RequestResponse (sync) or --type Event (async)', EXIT_USAGE);
  }
  const body = readEvent(options.event);
  const query = new URLSearchParams();
  if (options.qualifier) query.set('qualifier', options.qualifier);
  if (options.namespace) query.set('namespace', options.namespace);
  const response = await request(options.url, `/functions/${encodeURIComponent(name)}/invoke?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INVOCATION_TYPE_HEADER]: options.type, ...authHeaders(options.dataDir) },
    body,
  });
  const text = await response.text();
  // The body (result or SCF error object) goes to stdout either way, for scripts to read.
  process.stdout.write(`${text}\n`);
  if (!response.ok) {
    const requestId = response.headers.get('x-scf-request-id') ?? '-';
    let message = response.statusText;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? message;
    } catch {
      // not the SCF error object: keep the status text
    }
    const type = response.headers.get('x-scf-error-type');
    throw new CliError(
      `invoke failed with status ${response.status}${type ? ` ${type}` : ''}: ${message} (request id ${requestId})`,
      statusFix(response.status, name, options.url, requestId),
      EXIT_FAILED,
    );
  }
}

async function logsCommand(name: string, options: { requestId?: string; namespace?: string; limit?: string; url: string; dataDir?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (options.requestId) query.set('requestId', options.requestId);
  if (options.namespace) query.set('namespace', options.namespace);
  if (options.limit) query.set('limit', options.limit);
  const response = await request(options.url, `/functions/${encodeURIComponent(name)}/logs?${query}`, { headers: authHeaders(options.dataDir) });
  const body = (await response.json().catch(() => ({}))) as { lines?: Array<{ line: string }>; errorMessage?: string };
  if (!response.ok) {
    const fix = response.status === ErrorCodes.INVALID_PARAMETER.status ? 'check the options against fngate logs --help' : statusFix(response.status, name, options.url, '-');
    throw new CliError(`logs failed with status ${response.status}: ${body.errorMessage ?? response.statusText}`, fix, EXIT_FAILED);
  }
  for (const { line } of body.lines ?? []) process.stdout.write(`${line}\n`);
}

function initCommand(dir: string, options: { runtime: string; name?: string; type: string }): void {
  const result = initProject(dir, options);
  process.stdout.write(`Created function ${paint('bold', result.name)} (${options.runtime}, ${options.type}):\n`);
  for (const file of result.files) process.stdout.write(`  ${file}\n`);
  process.stdout.write(`\nNext:\n`);
  for (const command of result.next) process.stdout.write(`  ${paint('green', command)}\n`);
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
  options: Omit<LoadOptions, 'durationS' | 'type' | 'token'> & { duration: number; type: string; dataDir?: string },
): Promise<void> {
  if (options.type !== 'RequestResponse' && options.type !== 'Event') {
    throw new CliError('--type must be RequestResponse or Event', 'pass --type RequestResponse (sync) or --type Event (async)', EXIT_USAGE);
  }
  if (options.url !== undefined && options.serve !== undefined) throw new CliError('give either --url or --serve, not both', 'drop one of them', EXIT_USAGE);
  // Checked here so a bad file is a usage error before any load; stdin is read once, by the run.
  if (options.event !== undefined && options.event !== '-') readEvent(options.event);
  // Loaded on use: autocannon is heavy, and `serve` starts faster without it.
  const { LoadError, runLoad } = await import('./cli/load.ts');
  try {
    // --serve: the run's own gateway, whose token runLoad reads from its data dir.
    const token = options.serve !== undefined ? undefined : clientToken(options.dataDir);
    await runLoad(name, { ...options, token, durationS: options.duration, type: options.type as LoadOptions['type'] });
  } catch (error) {
    if (error instanceof LoadError) {
      const [what, fix] = error.message.includes('; ') ? error.message.split(/; (.*)/s) : [error.message, 'see fngate load --help'];
      throw new CliError(what!, fix!, EXIT_FAILED);
    }
    throw error;
  }
}

/** The examples under a command's help. */
function examples(...lines: string[]): string {
  return `\n${paint('bold', 'Examples:')}\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** Commander's own errors (unknown option, missing argument …) as the one line, naming the command's help. */
function configure(command: Command, helpCommand: string): Command {
  return command
    .exitOverride()
    .configureHelp({ styleTitle: (title) => paint('bold', title) })
    .configureOutput({
      outputError: (text, write) => {
        const what = text.replace(/^error: /, '').trim().replace(/\.$/, '').replace(/\n+/g, ' ');
        write(errorLine(what, `see ${helpCommand} --help`));
      },
    });
}

export async function main(argv: string[]): Promise<void> {
  const program = configure(new Command('fngate'), 'fngate')
    .description('Self-hosted, SCF-compatible serverless function platform')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText(
      'after',
      `${examples('fngate init hello', 'fngate serve hello', 'fngate invoke hello --event hello/event.json', 'fngate <command> --help')}${EXIT_CODES_HELP}\n`,
    );
  configure(program.command('init'), 'fngate init')
    .description('scaffold a project folder with one function and its fngate.yml (never overwrites files)')
    .argument('<dir>', 'project folder (created if missing)')
    .option('--runtime <runtime>', 'Nodejs18.15, Python3.9, Php8.0, Go1, Java11, CustomRuntime …', DEFAULT_INIT_RUNTIME)
    .option('--name <name>', 'function name (default: the folder name)')
    .option('--type <type>', 'event or web (web: Nodejs, Python or Php)', 'event')
    .addHelpText(
      'after',
      examples(
        'fngate init hello                                  # Node.js event function "hello" in ./hello',
        'fngate init api --runtime Python3.9 --type web     # a Python web function',
        'fngate init svc --runtime Go1 --name orders        # Go: build src/main before serving',
      ),
    )
    .action(initCommand);
  configure(program.command('serve'), 'fngate serve')
    .description('serve the functions of a project folder (fngate.yml or serverless.yml)')
    .argument('[dir]', 'project folder', '.')
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_PORT)
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', DEFAULT_HOST)
    .option('--data-dir <dir>', 'where state lives (default: <dir>/.fngate)')
    .option('--watch', 'redeploy a function when its code, a layer or fngate.yml changes (hot reload)', false)
    .addHelpText('after', examples('fngate serve examples', 'fngate serve . --watch                            # edit, save, invoke: no restart', 'fngate serve . --port 8080 --host 0.0.0.0         # reachable from other machines', `curl ${DEFAULT_URL}/openapi.json    # the REST API it serves`))
    .action(serveCommand);
  configure(program.command('dev'), 'fngate dev')
    .description('serve a project folder on loopback and redeploy what you edit (= serve --watch --host 127.0.0.1)')
    .argument('[dir]', 'project folder', '.')
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_PORT)
    .option('--data-dir <dir>', 'where state lives (default: <dir>/.fngate)')
    .addHelpText('after', examples('fngate dev .                                        # the project in this folder', 'fngate dev examples --port 8080'))
    .action((dir: string, options: { port: number; dataDir?: string }) => serveCommand(dir, { ...options, host: DEV_HOST, watch: true }));
  configure(program.command('invoke'), 'fngate invoke')
    .description('invoke a function and print its result (exit 1 on an error status)')
    .argument('<name>', 'function name')
    .option('--event <file>', 'event JSON file, or - for standard input')
    .option('--qualifier <qualifier>', 'version or alias', '$LATEST')
    .option('--namespace <namespace>', 'namespace', 'default')
    .option('--type <type>', 'RequestResponse (sync) or Event (async)', 'RequestResponse')
    .option('--url <url>', 'gateway URL', parseUrl, DEFAULT_URL)
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addHelpText(
      'after',
      examples(
        'fngate invoke hello --event event.json',
        `echo '{"name":"fngate"}' | fngate invoke hello --event -`,
        'fngate invoke hello --type Event                   # async: prints the RequestId',
        'fngate invoke hello --url http://10.0.0.5:9000 --qualifier 2',
      ),
    )
    .action(invokeCommand);
  configure(program.command('logs'), 'fngate logs')
    .description("print a function's framed logs")
    .argument('<name>', 'function name')
    .option('--request-id <id>', 'only this invocation')
    .option('--namespace <namespace>', 'namespace', 'default')
    .option('--limit <n>', 'most recent lines')
    .option('--url <url>', 'gateway URL', parseUrl, DEFAULT_URL)
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addHelpText('after', examples('fngate logs hello', 'fngate logs hello --data-dir examples/.fngate    # the gateway of fngate serve examples', 'fngate logs hello --request-id 6c1b7f2e-3a8d-4c1e-9a55-2f0d8e4b7c10', 'fngate logs hello --limit 50'))
    .action(logsCommand);
  configure(program.command('load'), 'fngate load')
    .description("load-test a function's invocation path and report throughput, latency, status codes and cold starts")
    .argument('<function>', 'function name')
    .option('--url <url>', `a running gateway (default ${DEFAULT_URL})`, parseUrl)
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
    .option('--data-dir <dir>', `with --url: ${DATA_DIR_HELP}`)
    .addHelpText(
      'after',
      examples('fngate load hello --serve examples --duration 10s', 'fngate load hello --connections 100 --requests 20000', 'fngate load hello --rate 500 --duration 1m --json'),
    )
    .action(loadCommand);
  addLifecycleCommands(program, configure, examples);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for: 0. Anything else commander refuses (including no command at all): usage.
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(errorLine(error.message, error.fix));
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
}
