/**
 * The lifecycle commands, over the REST routes of a running gateway (gateway/routes/lifecycle-*.ts):
 * `deploy`, `publish`, `alias set`, `functions`, `layers publish`.
 */
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { authHeaders, DATA_DIR_HELP, DEFAULT_URL, parseUrl, request } from './client.ts';
import { CliError, EXIT_FAILED } from './fail.ts';

interface ClientOptions {
  url: string;
  dataDir?: string;
  namespace: string;
}

type Configure = (command: Command, helpCommand: string) => Command;
type Examples = (...lines: string[]) => string;

/** A JSON call to the gateway: the parsed answer, or the one-line error naming the status and message. */
async function call(options: ClientOptions, what: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await request(options.url, path, {
    method,
    headers: { ...authHeaders(options.dataDir), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  if (!response.ok) {
    const type = response.headers.get('x-scf-error-type');
    const error = new CliError(
      `${what} failed with status ${response.status}${type ? ` ${type}` : ''}: ${parsed.errorMessage ?? response.statusText}`,
      response.status === 401 ? `set FNGATE_API_TOKEN, or pass --data-dir <the gateway's data dir>` : `see fngate ${what} --help`,
      EXIT_FAILED,
    );
    Object.assign(error, { errorType: type });
    throw error;
  }
  return parsed;
}

/** A folder zipped or a zip read (cli/pack.ts), loaded when a command uploads code: `serve` never does. */
async function readCode(path: string): Promise<Buffer> {
  return (await import('./pack.ts')).readCode(path);
}

const ns = (namespace: string): string => `namespace=${encodeURIComponent(namespace)}`;
const fnPath = (name: string, rest = ''): string => `/functions/${encodeURIComponent(name)}${rest}`;

async function deployCommand(path: string, options: ClientOptions & { name?: string; runtime?: string; handler?: string }): Promise<void> {
  const name = options.name ?? basename(path).replace(/\.zip$/, '');
  const zipFile = (await readCode(path)).toString('base64');
  const settings = { ...(options.runtime ? { runtime: options.runtime } : {}), ...(options.handler ? { handler: options.handler } : {}) };
  let view: any;
  try {
    view = await call(options, 'deploy', 'POST', '/functions', { name, namespace: options.namespace, ...settings, zipFile });
  } catch (error) {
    if ((error as { errorType?: string }).errorType !== 'ResourceAlreadyExists') throw error;
    // It exists: new code, then the settings given.
    view = await call(options, 'deploy', 'PUT', fnPath(name, `/code?${ns(options.namespace)}`), { zipFile });
    if (Object.keys(settings).length > 0) view = await call(options, 'deploy', 'PATCH', fnPath(name, `?${ns(options.namespace)}`), settings);
  }
  process.stdout.write(`deployed ${view.namespace}/${view.name} $LATEST (${view.runtime}, ${view.handler}, code sha256 ${view.codeSha256.slice(0, 12)}…, ${view.codeSize} bytes)\n`);
}

async function publishCommand(name: string, options: ClientOptions & { description?: string }): Promise<void> {
  const view = await call(options, 'publish', 'POST', fnPath(name, `/versions?${ns(options.namespace)}`), { description: options.description });
  process.stdout.write(`published ${view.namespace}/${view.name} version ${view.version}\n`);
}

/** `1`, or `1,2=0.1`: the main version and, optionally, a second one with its share of requests. */
export function parseRouting(value: string): { version: string; additionalVersionWeights?: Array<{ version: string; weight: number }> } {
  const [main, extra, ...rest] = value.split(',');
  if (!main || rest.length > 0) throw new InvalidArgumentError('expected <version> or <version>,<version2>=<weight 0-1>');
  if (extra === undefined) return { version: main };
  const match = /^([^=]+)=(\d*\.?\d+)$/.exec(extra);
  const weight = Number(match?.[2]);
  if (!match || !(weight >= 0 && weight <= 1)) throw new InvalidArgumentError(`"${extra}" is not <version2>=<weight 0-1>`);
  return { version: main, additionalVersionWeights: [{ version: match[1]!, weight }] };
}

async function aliasSetCommand(
  name: string,
  alias: string,
  routing: ReturnType<typeof parseRouting>,
  options: ClientOptions & { description?: string },
): Promise<void> {
  const body = { version: routing.version, additionalVersionWeights: routing.additionalVersionWeights ?? [], ...(options.description ? { description: options.description } : {}) };
  const view = await call(options, 'alias set', 'PUT', fnPath(name, `/aliases/${encodeURIComponent(alias)}?${ns(options.namespace)}`), body);
  const extra = (view.additionalVersionWeights as Array<{ version: string; weight: number }>).map((w) => `, version ${w.version} ${Math.round(w.weight * 100)}%`).join('');
  const mainShare = 100 - Math.round((view.additionalVersionWeights as Array<{ weight: number }>).reduce((sum, w) => sum + w.weight, 0) * 100);
  process.stdout.write(`alias ${view.name} of ${view.namespace}/${view.functionName}: version ${view.version} ${mainShare}%${extra}\n`);
}

async function functionsCommand(options: Omit<ClientOptions, 'namespace'>): Promise<void> {
  const body = await call({ ...options, namespace: '' }, 'functions', 'GET', '/functions');
  const rows = (body.functions as Array<Record<string, unknown>>).map((fn) => [
    fn.namespace === 'default' ? String(fn.name) : `${fn.namespace}/${fn.name}`,
    String(fn.runtime),
    String(fn.type),
    `${fn.memorySize}MB`,
    `${fn.timeout}s`,
    `${fn.instances} instance(s)`,
  ]);
  const widths = rows.reduce((max, row) => max.map((width, i) => Math.max(width, row[i]!.length)), [0, 0, 0, 0, 0, 0]);
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  if (rows.length === 0) process.stdout.write('(no functions)\n');
}

async function layersPublishCommand(name: string, path: string, options: Omit<ClientOptions, 'namespace'> & { runtimes: string; description?: string }): Promise<void> {
  const compatibleRuntimes = options.runtimes.split(',').map((runtime) => runtime.trim()).filter(Boolean);
  const view = await call({ ...options, namespace: '' }, 'layers publish', 'POST', `/layers/${encodeURIComponent(name)}/versions`, {
    zipFile: (await readCode(path)).toString('base64'),
    compatibleRuntimes,
    ...(options.description ? { description: options.description } : {}),
  });
  process.stdout.write(`published layer ${view.name} version ${view.version} (${view.codeSize} bytes; ${view.compatibleRuntimes.join(', ')})\n`);
}

/** The client options every lifecycle command takes. */
function clientOptions(command: Command, withNamespace = true): Command {
  if (withNamespace) command.option('--namespace <namespace>', 'namespace', 'default');
  return command.option('--url <url>', 'gateway URL', parseUrl, DEFAULT_URL).option('--data-dir <dir>', DATA_DIR_HELP);
}

export function addLifecycleCommands(program: Command, configure: Configure, examples: Examples): void {
  clientOptions(
    configure(program.command('deploy'), 'fngate deploy')
      .description('create a function from a folder or zip on a running gateway, or give an existing one new code')
      .argument('<path>', 'code folder or .zip')
      .option('--name <name>', 'function name (default: the folder or zip name)')
      .option('--runtime <runtime>', 'runtime, e.g. Nodejs18.15, Python3.9 (default Nodejs18.15 on create)')
      .option('--handler <handler>', 'handler, e.g. index.main_handler'),
  )
    .addHelpText('after', examples('fngate deploy ./hello', 'fngate deploy build/api.zip --name api --runtime Python3.9', 'fngate deploy ./hello --url http://10.0.0.5:9000 --data-dir /srv/fngate/.fngate'))
    .action(deployCommand);
  clientOptions(
    configure(program.command('publish'), 'fngate publish')
      .description("publish a function's $LATEST (code and configuration) as its next version")
      .argument('<function>', 'function name')
      .option('--description <text>', 'what this version is'),
  )
    .addHelpText('after', examples('fngate publish hello', 'fngate publish hello --description "release 3"'))
    .action(publishCommand);
  const alias = configure(program.command('alias'), 'fngate alias')
    .description('manage aliases')
    .addHelpText('after', examples('fngate alias set hello prod 1', 'fngate alias set --help'));
  clientOptions(
    configure(alias.command('set'), 'fngate alias set')
      .description('point an alias at a version, or split traffic between two by weight')
      .argument('<function>', 'function name')
      .argument('<alias>', 'alias name')
      .argument('<routing>', '<version> or <version>,<version2>=<weight 0-1>', parseRouting)
      .option('--description <text>', 'what the alias is for'),
  )
    .addHelpText('after', examples('fngate alias set hello prod 1', 'fngate alias set hello prod 1,2=0.1          # 90% version 1, 10% version 2'))
    .action(aliasSetCommand);
  clientOptions(configure(program.command('functions'), 'fngate functions').description('list the functions a running gateway serves'), false)
    .addHelpText('after', examples('fngate functions --url http://10.0.0.5:9000', 'fngate functions --data-dir examples/.fngate'))
    .action(functionsCommand);
  const layers = configure(program.command('layers'), 'fngate layers')
    .description('manage layers')
    .addHelpText('after', examples('fngate layers publish common ./layers/common', 'fngate layers publish --help'));
  clientOptions(
    configure(layers.command('publish'), 'fngate layers publish')
      .description('publish a folder or zip as the next version of a layer')
      .argument('<name>', 'layer name')
      .argument('<path>', 'layer folder or .zip (its files appear under /opt)')
      .option('--runtimes <list>', 'compatible runtimes, comma-separated', 'Nodejs18.15')
      .option('--description <text>', 'what the layer holds'),
    false,
  )
    .addHelpText('after', examples('fngate layers publish common ./layers/common', 'fngate layers publish pylibs libs.zip --runtimes Python3.9,Python3.10'))
    .action(layersPublishCommand);
}
