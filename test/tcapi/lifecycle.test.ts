/**
 * The TencentCloud API 3.0 actions over the function catalog (issue 11 §4 and its Proof), with the
 * official SDK from npm as the client: functions created from base64 zips, code and configuration
 * updates seen by the next invoke, versions, aliases (weights), triggers, namespaces, layers under /opt,
 * concurrency and async-retry configuration, and the bad input the cloud refuses (invalid names, zips
 * with `../` or a symlink pointing out, a 60 MB zip, unknown function/version/alias, deleting a version
 * an alias points at).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { strToU8, zipSync, type Zippable } from 'fflate';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { callAction, codeOf, eventually, sdkClient } from './client.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tcapi/${name}`, import.meta.url));
const RUNTIME = 'Nodejs18.15';
/** Unix `os` and a symlink's mode in the external attributes of a zip entry. */
const UNIX = 3;
const SYMLINK_ATTRS = (0o120777 << 16) >>> 0;

const zipBase64 = (files: Zippable): string => Buffer.from(zipSync(files)).toString('base64');
const codeZip = (version: 'basic' | 'v2'): string => zipBase64({ 'index.js': strToU8(readFileSync(`${fixture(version)}/index.js`, 'utf8')) });

const gateway = await startTestGateway(t, { functions: {} });
const client = sdkClient(gateway.url);

async function invokeResult(name: string, options: { Qualifier?: string; Namespace?: string; event?: unknown } = {}): Promise<any> {
  const answer = await client.Invoke({ FunctionName: name, Qualifier: options.Qualifier, Namespace: options.Namespace, ClientContext: JSON.stringify(options.event ?? {}) });
  if (answer.Result!.InvokeResult !== 0) throw new Error(`${name}${options.Qualifier ? `:${options.Qualifier}` : ''} failed: ${answer.Result!.ErrMsg}`);
  return JSON.parse(answer.Result!.RetMsg!);
}

const create = (name: string, extra: Record<string, unknown> = {}): Promise<unknown> =>
  client.CreateFunction({ FunctionName: name, Code: { ZipFile: codeZip('basic') }, Runtime: RUNTIME, Handler: 'index.main_handler', ...extra });

t.test('CreateFunction, GetFunction, ListFunctions, Invoke, and bad input', async (t) => {
  await create('made', { MemorySize: 256, Timeout: 5, Description: 'made by the SDK', Environment: { Variables: [{ Key: 'GREETING', Value: 'hi' }] } });
  const made = await client.GetFunction({ FunctionName: 'made' });
  t.match(made, { FunctionName: 'made', Namespace: 'default', Runtime: RUNTIME, Handler: 'index.main_handler', MemorySize: 256, Timeout: 5, Description: 'made by the SDK', FunctionVersion: '$LATEST', Type: 'Event', Status: 'Active' });
  t.same(made.Environment!.Variables, [{ Key: 'GREETING', Value: 'hi' }]);
  t.ok(made.CodeSize! > 0);
  t.match(made.AddTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.same(await invokeResult('made', { event: { a: 1 } }), { ok: true, code: 'v1', event: { a: 1 } });

  await create('another');
  const listed = await client.ListFunctions({ Orderby: 'FunctionName', Order: 'ASC' });
  const names = listed.Functions!.map((fn) => fn.FunctionName!);
  t.ok(names.includes('made') && names.includes('another'));
  t.same(names, [...names].sort(), 'ordered by name');
  t.equal(listed.TotalCount, names.length);
  t.same((await client.ListFunctions({ SearchKey: 'mad' })).Functions!.map((fn) => fn.FunctionName), ['made']);
  t.equal((await client.ListFunctions({ Limit: 1 })).Functions!.length, 1);

  t.equal(await codeOf(create('made')), 'ResourceInUse.Function', 'the name is taken');
  t.match(await codeOf(create('1-starts-with-a-digit')), /^InvalidParameterValue/);
  t.match(await codeOf(create('has space')), /^InvalidParameterValue/);
  t.equal(await codeOf(callAction(client, 'CreateFunction', { FunctionName: 'nocode', Runtime: RUNTIME })), 'MissingParameter');
  t.equal(await codeOf(callAction(client, 'CreateFunction', { FunctionName: 'nocode', Code: {} })), 'MissingParameter.Code');
  t.equal(await codeOf(callAction(client, 'CreateFunction', { FunctionName: 'nocode', Code: { ZipFile: 'not base64 at all!' } })), 'InvalidParameterValue.ZipFile');
  t.equal(await codeOf(callAction(client, 'CreateFunction', { FunctionName: 'nocode', Code: { CosBucketName: 'b', CosObjectName: 'o.zip' } })), 'InvalidParameterValue.CodeSource');
  t.equal(await codeOf(create('badmem', { MemorySize: 'lots' })), 'InvalidParameterValue.MemorySize');
  t.match(await codeOf(create('badmem', { MemorySize: 100 })), /^InvalidParameterValue/, 'not a memory size SCF offers');
  t.match(await codeOf(create('badruntime', { Runtime: 'Cobol85' })), /^InvalidParameterValue/);
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'nope' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'made', Qualifier: '9' })), 'ResourceNotFound.Version');
});

t.test('zips the cloud refuses: ../ entries, a symlink pointing out, 60 MB', async (t) => {
  // Random bytes, stored: the zip itself is 60 MB.
  const big = Buffer.from(zipSync({ 'index.js': strToU8('exports.main_handler = () => 1;'), 'blob.bin': [randomBytes(60 * 1024 * 1024), { level: 0 }] })).toString('base64');
  const escape = zipBase64({ 'index.js': strToU8('exports.main_handler = () => 1;'), '../escape.js': strToU8('boom') });
  t.match(await codeOf(client.CreateFunction({ FunctionName: 'escaper', Code: { ZipFile: escape }, Runtime: RUNTIME })), /^InvalidParameterValue/);
  const link = zipBase64({ 'index.js': strToU8('exports.main_handler = () => 1;'), 'passwd': [strToU8('/etc/passwd'), { os: UNIX, attrs: SYMLINK_ATTRS }] });
  t.match(await codeOf(client.CreateFunction({ FunctionName: 'linker', Code: { ZipFile: link }, Runtime: RUNTIME })), /^InvalidParameterValue/);
  const error = await client.CreateFunction({ FunctionName: 'huge', Code: { ZipFile: big }, Runtime: RUNTIME }).then(
    () => undefined,
    (failure: { code?: string; message: string }) => failure,
  );
  t.equal(error?.code, 'RequestSizeLimitExceeded');
  t.match(error?.message, /50 MB/, 'the message names the limit');
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'huge' })), 'ResourceNotFound.Function', 'nothing was created');
});

t.test('UpdateFunctionCode and UpdateFunctionConfiguration: the next invoke runs the change', async (t) => {
  await create('changing', { Environment: { Variables: [{ Key: 'GREETING', Value: 'first' }] } });
  t.equal((await invokeResult('changing')).code, 'v1');
  await client.UpdateFunctionCode({ FunctionName: 'changing', ZipFile: codeZip('v2') });
  t.match(await invokeResult('changing'), { code: 'v2', greeting: 'first' });
  await client.UpdateFunctionConfiguration({ FunctionName: 'changing', Environment: { Variables: [{ Key: 'GREETING', Value: 'second' }] }, Timeout: 7 });
  t.match(await invokeResult('changing'), { code: 'v2', greeting: 'second' });
  t.equal((await client.GetFunction({ FunctionName: 'changing' })).Timeout, 7);
  await client.UpdateFunctionCode({ FunctionName: 'changing', Code: { ZipFile: codeZip('basic') } });
  t.equal((await invokeResult('changing')).code, 'v1', 'Code.ZipFile works as well as ZipFile');
  // New code whose handler file has another name, with the Handler that names it: one change, never the new
  // code under the old handler.
  const renamed = zipBase64({ 'app.js': strToU8(readFileSync(`${fixture('v2')}/index.js`, 'utf8')) });
  await client.UpdateFunctionCode({ FunctionName: 'changing', ZipFile: renamed, Handler: 'app.main_handler' });
  t.equal((await invokeResult('changing')).code, 'v2', 'the code and its handler change together');
  t.equal((await client.GetFunction({ FunctionName: 'changing' })).Handler, 'app.main_handler');
  t.match(await codeOf(callAction(client, 'UpdateFunctionCode', { FunctionName: 'changing', ZipFile: codeZip('basic'), Handler: 'nodot' })), /^InvalidParameterValue/);
  t.equal((await invokeResult('changing')).code, 'v2', 'a refused update changes nothing');

  t.equal(await codeOf(client.UpdateFunctionCode({ FunctionName: 'nope', ZipFile: codeZip('v2') })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.UpdateFunctionCode({ FunctionName: 'changing' })), 'MissingParameter.Code');
  t.equal(await codeOf(client.UpdateFunctionConfiguration({ FunctionName: 'nope', Timeout: 3 })), 'ResourceNotFound.Function');
  t.equal(await codeOf(callAction(client, 'UpdateFunctionConfiguration', { FunctionName: 'changing', Timeout: -3 })), 'InvalidParameterValue.Timeout');
  t.equal(await codeOf(callAction(client, 'UpdateFunctionConfiguration', { FunctionName: 'changing', Environment: { Variables: [{ Value: 'no key' }] } })), 'MissingParameter');
});

t.test('versions and aliases: publish, invoke by version and alias, weights, refusals', async (t) => {
  await create('versioned');
  await client.UpdateFunctionCode({ FunctionName: 'versioned', ZipFile: codeZip('v2') });
  const published = await client.PublishVersion({ FunctionName: 'versioned', Description: 'the v2 code' });
  t.match(published, { FunctionVersion: '1', Description: 'the v2 code', Runtime: RUNTIME, Namespace: 'default' });
  await client.UpdateFunctionCode({ FunctionName: 'versioned', ZipFile: codeZip('basic') });
  t.equal((await invokeResult('versioned')).code, 'v1', '$LATEST has the new code');
  t.equal((await invokeResult('versioned', { Qualifier: '1' })).code, 'v2', 'version 1 keeps its snapshot');
  t.equal((await client.GetFunction({ FunctionName: 'versioned', Qualifier: '1' })).FunctionVersion, '1');
  t.equal((await client.PublishVersion({ FunctionName: 'versioned' })).FunctionVersion, '2');
  const versions = await client.ListVersionByFunction({ FunctionName: 'versioned' });
  t.same(versions.FunctionVersion, ['$LATEST', '1', '2']);
  t.same(versions.Versions!.map((version) => version.Version), ['$LATEST', '1', '2']);

  await client.CreateAlias({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '1', Description: 'production' });
  t.match(await client.GetAlias({ FunctionName: 'versioned', Name: 'prod' }), { Name: 'prod', FunctionVersion: '1', Description: 'production' });
  t.equal((await invokeResult('versioned', { Qualifier: 'prod' })).code, 'v2');
  await client.UpdateAlias({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 0.5 }] } });
  const weighted = await client.GetAlias({ FunctionName: 'versioned', Name: 'prod' });
  t.equal(weighted.FunctionVersion, '2');
  t.same(weighted.RoutingConfig!.AdditionalVersionWeights, [{ Version: '1', Weight: 0.5 }]);
  const codes = new Set<string>();
  for (let call = 0; call < 40; call++) codes.add((await invokeResult('versioned', { Qualifier: 'prod' })).code);
  t.same([...codes].sort(), ['v1', 'v2'], 'a 50/50 alias runs both versions over 40 calls');
  await client.CreateAlias({ FunctionName: 'versioned', Name: 'staging', FunctionVersion: '2' });
  t.same((await client.ListAliases({ FunctionName: 'versioned' })).Aliases!.map((alias) => alias.Name).sort(), ['prod', 'staging']);
  t.same((await client.ListAliases({ FunctionName: 'versioned', FunctionVersion: '2', Limit: '10' })).TotalCount, 2);

  t.equal(await codeOf(client.CreateAlias({ FunctionName: 'versioned', Name: 'broken', FunctionVersion: '9' })), 'ResourceNotFound.Version');
  t.equal(await codeOf(client.GetAlias({ FunctionName: 'versioned', Name: 'nope' })), 'ResourceNotFound.Alias');
  t.equal(await codeOf(client.UpdateAlias({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 1.5 }] } })), 'InvalidParameterValue.AdditionalVersionWeights');
  t.equal(
    await codeOf(client.UpdateAlias({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '2', RoutingConfig: { AddtionVersionMatchs: [{ Version: '1', Key: 'invoke.headers.User', Method: 'exact', Expression: 'a' }] } })),
    'InvalidParameterValue.RoutingConfig',
  );
  t.equal(await codeOf(client.DeleteFunctionVersion({ FunctionName: 'versioned', Qualifier: '1' })), 'ResourceInUse', 'an alias routes to version 1');
  t.equal(await codeOf(client.DeleteFunctionVersion({ FunctionName: 'versioned', Qualifier: '$LATEST' })), 'InvalidParameterValue.Qualifier');
  t.equal(await codeOf(callAction(client, 'DeleteFunctionVersion', { FunctionName: 'versioned' })), 'MissingParameter');

  await client.DeleteAlias({ FunctionName: 'versioned', Name: 'prod' });
  t.equal(await codeOf(client.GetAlias({ FunctionName: 'versioned', Name: 'prod' })), 'ResourceNotFound.Alias');
  await client.DeleteFunctionVersion({ FunctionName: 'versioned', Qualifier: '1' });
  t.equal(await codeOf(client.Invoke({ FunctionName: 'versioned', Qualifier: '1' })), 'ResourceNotFound.Version');
  t.equal((await client.PublishVersion({ FunctionName: 'versioned' })).FunctionVersion, '3', 'numbers are never reused');
  t.equal(await codeOf(client.PublishVersion({ FunctionName: 'nope' })), 'ResourceNotFound.Function');
});

t.test('triggers: create, list, update, delete', async (t) => {
  await create('triggered');
  const created = await client.CreateTrigger({ FunctionName: 'triggered', TriggerName: 'nightly', Type: 'timer', TriggerDesc: '0 0 3 * * * *', CustomArgument: 'arg' });
  t.match(created.TriggerInfo, { TriggerName: 'nightly', Type: 'timer', Enable: 1, CustomArgument: 'arg' });
  t.same(JSON.parse((await client.ListTriggers({ FunctionName: 'triggered' })).Triggers![0]!.TriggerDesc!), { cron: '0 0 3 * * * *' });
  await client.CreateTrigger({ FunctionName: 'triggered', TriggerName: 'orders', Type: 'cmq' });
  t.equal((await client.ListTriggers({ FunctionName: 'triggered' })).TotalCount, 2);
  await client.UpdateTrigger({ FunctionName: 'triggered', TriggerName: 'nightly', Type: 'timer', Enable: 'CLOSE' });
  const nightly = (await client.GetFunction({ FunctionName: 'triggered' })).Triggers!.find((trigger) => trigger.TriggerName === 'nightly');
  t.match(nightly, { Enable: 0, CustomArgument: 'arg' }, 'what the update left out is kept');
  await client.DeleteTrigger({ FunctionName: 'triggered', TriggerName: 'orders', Type: 'cmq' });
  t.same((await client.ListTriggers({ FunctionName: 'triggered' })).Triggers!.map((trigger) => trigger.TriggerName), ['nightly']);

  t.equal(await codeOf(client.CreateTrigger({ FunctionName: 'triggered', TriggerName: 'nightly', Type: 'timer', TriggerDesc: '0 0 4 * * * *' })), 'ResourceInUse.Trigger');
  t.equal(await codeOf(client.DeleteTrigger({ FunctionName: 'triggered', TriggerName: 'orders', Type: 'cmq' })), 'ResourceNotFound.Trigger');
  t.equal(await codeOf(client.CreateTrigger({ FunctionName: 'triggered', TriggerName: 'bucket', Type: 'cos' })), 'InvalidParameterValue.Type');
  t.equal(await codeOf(client.CreateTrigger({ FunctionName: 'triggered', TriggerName: 'nocron', Type: 'timer' })), 'MissingParameter');
  t.equal(await codeOf(client.CreateTrigger({ FunctionName: 'nope', TriggerName: 'x', Type: 'timer', TriggerDesc: '0 0 3 * * * *' })), 'ResourceNotFound.Function');
});

t.test('concurrency and async-retry configuration', async (t) => {
  await create('limited', { MemorySize: 256 });
  await client.PutReservedConcurrencyConfig({ FunctionName: 'limited', ReservedConcurrencyMem: 512 });
  t.equal((await client.GetReservedConcurrencyConfig({ FunctionName: 'limited' })).ReservedMem, 512);
  t.equal(await codeOf(client.PutReservedConcurrencyConfig({ FunctionName: 'limited', ReservedConcurrencyMem: 300 })), 'InvalidParameterValue.ReservedConcurrencyMem');
  await client.DeleteReservedConcurrencyConfig({ FunctionName: 'limited' });
  t.equal((await client.GetReservedConcurrencyConfig({ FunctionName: 'limited' })).ReservedMem, 100 * 256, 'back to the default of 100 instances');

  await client.PutProvisionedConcurrencyConfig({ FunctionName: 'limited', Qualifier: '$LATEST', VersionProvisionedConcurrencyNum: 1 });
  const provisioned = await eventually(async () => {
    const config = await client.GetProvisionedConcurrencyConfig({ FunctionName: 'limited' });
    return config.Allocated![0]?.AvailableProvisionedConcurrencyNum === 1 ? config : undefined;
  });
  t.match(provisioned.Allocated![0], { Qualifier: '$LATEST', AllocatedProvisionedConcurrencyNum: 1, Status: 'Done' });
  t.equal(await codeOf(client.PutProvisionedConcurrencyConfig({ FunctionName: 'limited', Qualifier: '1', VersionProvisionedConcurrencyNum: 1 })), 'UnsupportedOperation');
  await client.DeleteProvisionedConcurrencyConfig({ FunctionName: 'limited', Qualifier: '$LATEST' });
  t.same((await client.GetProvisionedConcurrencyConfig({ FunctionName: 'limited' })).Allocated, []);
  t.equal(await codeOf(client.GetReservedConcurrencyConfig({ FunctionName: 'nope' })), 'ResourceNotFound.Function');

  await client.UpdateFunctionEventInvokeConfig({ FunctionName: 'limited', AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 1 }], MsgTTL: 3600 } });
  t.same((await client.GetFunctionEventInvokeConfig({ FunctionName: 'limited' })).AsyncTriggerConfig, { RetryConfig: [{ RetryNum: 1 }], MsgTTL: 3600 });
  t.equal(await codeOf(callAction(client, 'UpdateFunctionEventInvokeConfig', { FunctionName: 'limited' })), 'MissingParameter');
});

t.test('layers: publish, list, get, stacked under /opt, delete', async (t) => {
  const layer = (text: string): string => zipBase64({ 'layer.txt': strToU8(text) });
  const first = await client.PublishLayerVersion({ LayerName: 'greeting', CompatibleRuntimes: [RUNTIME], Content: { ZipFile: layer('from layer 1') }, Description: 'one' });
  t.equal(first.LayerVersion, 1);
  t.equal((await client.PublishLayerVersion({ LayerName: 'greeting', CompatibleRuntimes: [RUNTIME], Content: { ZipFile: layer('from layer 2') } })).LayerVersion, 2);
  t.same((await client.ListLayerVersions({ LayerName: 'greeting' })).LayerVersions!.map((version) => version.LayerVersion).sort(), [1, 2]);
  const got = await client.GetLayerVersion({ LayerName: 'greeting', LayerVersion: 1 });
  t.match(got, { LayerName: 'greeting', LayerVersion: 1, Description: 'one', CompatibleRuntimes: [RUNTIME], Status: 'Active' });
  t.match(got.CodeSha256, /^[0-9a-f]{64}$/);
  t.ok((await client.ListLayers({})).Layers!.some((entry) => entry.LayerName === 'greeting'));

  await create('layered');
  await client.UpdateFunctionCode({ FunctionName: 'layered', ZipFile: codeZip('v2') });
  await client.UpdateFunctionConfiguration({ FunctionName: 'layered', Layers: [{ LayerName: 'greeting', LayerVersion: 2 }] });
  t.equal((await invokeResult('layered')).layer, 'from layer 2', 'the layer is under /opt');
  t.equal(await codeOf(client.DeleteLayerVersion({ LayerName: 'greeting', LayerVersion: 2 })), 'ResourceInUse.LayerVersion', 'a function uses it');
  await client.DeleteLayerVersion({ LayerName: 'greeting', LayerVersion: 1 });
  t.equal(await codeOf(client.GetLayerVersion({ LayerName: 'greeting', LayerVersion: 1 })), 'ResourceNotFound.Layer');

  t.equal(await codeOf(callAction(client, 'PublishLayerVersion', { LayerName: 'x', Content: { ZipFile: layer('x') } })), 'MissingParameter');
  t.equal(await codeOf(callAction(client, 'PublishLayerVersion', { LayerName: 'x', CompatibleRuntimes: [RUNTIME] })), 'MissingParameter');
  t.equal(await codeOf(callAction(client, 'GetLayerVersion', { LayerName: 'greeting', LayerVersion: 'two' })), 'InvalidParameterValue.LayerVersion');
  t.match(await codeOf(client.UpdateFunctionConfiguration({ FunctionName: 'layered', Layers: [{ LayerName: 'missing', LayerVersion: 1 }] })), /^(ResourceNotFound|InvalidParameterValue)/);

  // A layer binds only to the runtimes it lists: on binding, on creation, and when the runtime changes.
  await client.PublishLayerVersion({ LayerName: 'pyonly', CompatibleRuntimes: ['Python3.9'], Content: { ZipFile: layer('python only') } });
  const bind = { Layers: [{ LayerName: 'pyonly', LayerVersion: 1 }] };
  t.match(await codeOf(client.UpdateFunctionConfiguration({ FunctionName: 'layered', ...bind })), /^InvalidParameterValue/);
  t.match(await codeOf(create('pylayered', bind)), /^InvalidParameterValue/);
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'pylayered' })), 'ResourceNotFound.Function', 'nothing was created');
  t.match(await codeOf(client.UpdateFunctionConfiguration({ FunctionName: 'layered', Runtime: 'Python3.9' })), /^InvalidParameterValue/, 'greeting lists only Node.js');
  t.equal((await invokeResult('layered')).layer, 'from layer 2', 'a refused change changes nothing');
});

t.test('namespaces, and DeleteFunction', async (t) => {
  await client.CreateNamespace({ Namespace: 'team-a', Description: 'a team' });
  const listed = await client.ListNamespaces({});
  t.ok(listed.Namespaces!.some((namespace) => namespace.Name === 'default'));
  t.match(listed.Namespaces!.find((namespace) => namespace.Name === 'team-a'), { Description: 'a team' });
  t.same((await client.ListNamespaces({ SearchKey: [{ Key: 'Namespace', Value: 'team' }] })).Namespaces!.map((namespace) => namespace.Name), ['team-a']);
  await create('scoped', { Namespace: 'team-a' });
  t.equal((await invokeResult('scoped', { Namespace: 'team-a' })).code, 'v1');
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'scoped' })), 'ResourceNotFound.Function', 'not in default');
  t.same((await client.ListFunctions({ Namespace: 'team-a' })).Functions!.map((fn) => fn.FunctionName), ['scoped']);
  t.equal(await codeOf(client.DeleteNamespace({ Namespace: 'team-a' })), 'ResourceInUse.Namespace', 'it holds a function');
  t.match(await codeOf(client.DeleteNamespace({ Namespace: 'default' })), /^(ResourceInUse|FailedOperation|UnsupportedOperation|InvalidParameterValue)/);
  t.equal(await codeOf(client.CreateNamespace({ Namespace: 'team-a' })), 'ResourceInUse.Namespace');
  t.match(await codeOf(client.CreateNamespace({ Namespace: 'bad name!' })), /^InvalidParameterValue/);
  t.equal(await codeOf(client.ListNamespaces({ SearchKey: [{ Key: 'Color', Value: 'red' }] })), 'InvalidParameterValue.SearchKey');

  await client.DeleteFunction({ FunctionName: 'scoped', Namespace: 'team-a' });
  t.equal(await codeOf(client.GetFunction({ FunctionName: 'scoped', Namespace: 'team-a' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'scoped', Namespace: 'team-a' })), 'ResourceNotFound.Function');
  await client.DeleteNamespace({ Namespace: 'team-a' });
  t.notOk((await client.ListNamespaces({})).Namespaces!.some((namespace) => namespace.Name === 'team-a'));
  t.equal(await codeOf(client.DeleteFunction({ FunctionName: 'scoped' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.ListFunctions({ Namespace: 'team-a' })), 'ResourceNotFound.Namespace', 'a namespace that is gone');
});
