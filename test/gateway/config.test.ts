import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../gateway/config.ts';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fngate-config-'));
  mkdirSync(join(root, 'code'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

t.test('defaults fill every key', async (t) => {
  const config = loadConfig(project({ 'fngate.yml': 'functions:\n  hello:\n    src: ./code\n' }));
  t.equal(config.functions.length, 1);
  t.match(config.functions[0], {
    namespace: 'default',
    name: 'hello',
    runtime: 'Nodejs18.15',
    runtimeKind: 'nodejs',
    handler: 'index.main_handler',
    memoryMb: 128,
    timeoutMs: 3000,
    reservedConcurrency: 100,
    instanceConcurrency: 1,
    retryNum: 2,
    maxEventAgeS: 21600,
    environment: {},
    nodeRuntime: 'isolate',
  });
  t.equal(config.gateway.concurrencyLimit, 1000);
});

t.test('per-runtime default handlers, web init timeout, variables as strings', async (t) => {
  const config = loadConfig(
    project({
      'fngate.yml': [
        'functions:',
        '  go-fn: { src: ./code, runtime: Go1 }',
        '  java-fn: { src: ./code, runtime: Java17 }',
        '  web-fn: { src: ./code, runtime: Nodejs18.15, type: web, environment: { variables: { N: 5, B: true } } }',
      ].join('\n'),
    }),
  );
  const byName = Object.fromEntries(config.functions.map((fn) => [fn.name, fn]));
  t.equal(byName['go-fn']!.handler, 'main');
  t.equal(byName['java-fn']!.handler, 'example.Hello::mainHandler');
  t.equal(byName['web-fn']!.initTimeoutMs, 65000);
  t.same(byName['web-fn']!.environment, { N: '5', B: 'true' });
});

t.test('nodeRuntime: isolate by default, process on request, Node.js event functions only', async (t) => {
  const config = loadConfig(project({ 'fngate.yml': 'functions:\n  fa: { src: ./code, nodeRuntime: process }\n  fb: { src: ./code, nodeRuntime: isolate }\n' }));
  t.same(config.functions.map((fn) => fn.nodeRuntime), ['process', 'isolate']);
});

t.test('errors name the function and the key', async (t) => {
  const cases = [
    { yml: 'functions:\n  hello: { src: ./code, nodeRuntime: thread }', key: /function "hello": key "nodeRuntime"/ },
    { yml: 'functions:\n  hello: { src: ./code, runtime: Python3.9, nodeRuntime: process }', key: /function "hello": key "nodeRuntime": only valid for Node\.js event functions/ },
    { yml: 'functions:\n  hello: { src: ./code, type: web, nodeRuntime: process }', key: /function "hello": key "nodeRuntime": only valid for Node\.js event functions/ },
    { yml: 'functions:\n  hello: { src: ./code, memorySize: lots }', key: /function "hello": key "memorySize"/ },
    { yml: 'functions:\n  hello: { src: ./code, colour: blue }', key: /function "hello".*colour/ },
    { yml: 'functions:\n  hello: { src: ./code, runtime: Cobol85 }', key: /function "hello": key "runtime": unsupported runtime "Cobol85"/ },
    { yml: 'functions:\n  hello: { src: ./missing }', key: /function "hello": key "src": .* does not exist/ },
    { yml: 'functions:\n  hello: { src: ./code, timeout: -1 }', key: /function "hello": key "timeout"/ },
    { yml: 'functions:\n  hello: { src: ./code, environment: { variables: { A: [1] } } }', key: /function "hello": key "environment.variables.A"/ },
    { yml: 'functions:\n  "1bad": { src: ./code }', key: /function "1bad": key "name"/ },
    { yml: 'functions:\n  hello: { src: ./code, layers: [{ name: common, version: 1 }] }', key: /function "hello": key "layers.0"/ },
    { yml: 'functions: [', key: /not valid YAML/ },
  ];
  for (const c of cases) {
    t.throws(() => loadConfig(project({ 'fngate.yml': c.yml })), { name: 'ConfigError', message: c.key }, c.yml);
  }
});

t.test('gateway.sandboxNetwork: host loopback on and the host\'s resolver by default; checked like every key', async (t) => {
  const defaults = loadConfig(project({ 'fngate.yml': 'functions:\n  hello: { src: ./code }\n' }));
  t.same(defaults.gateway.sandboxNetwork, { hostLoopback: true, dns: [] });
  const set = loadConfig(
    project({ 'fngate.yml': 'gateway:\n  sandboxNetwork: { hostLoopback: false, dns: [192.0.2.53, "2001:db8::53"] }\nfunctions:\n  hello: { src: ./code }\n' }),
  );
  t.same(set.gateway.sandboxNetwork, { hostLoopback: false, dns: ['192.0.2.53', '2001:db8::53'] });
  for (const [yml, key] of [
    ['gateway:\n  sandboxNetwork: { hostLoopback: maybe }', /sandboxNetwork\.hostLoopback/],
    ['gateway:\n  sandboxNetwork: { dns: [dns.example] }', /sandboxNetwork\.dns\.0.*IP address/],
    ['gateway:\n  sandboxNetwork: { firewall: on }', /sandboxNetwork.*firewall/],
  ] as const) {
    t.throws(() => loadConfig(project({ 'fngate.yml': `${yml}\nfunctions:\n  hello: { src: ./code }\n` })), { name: 'ConfigError', message: key }, yml);
  }
});

t.test('cloud-only keys load with one warning each', async (t) => {
  const config = loadConfig(project({ 'fngate.yml': 'functions:\n  hello: { src: ./code, region: ap-shanghai, vpcConfig: { vpcId: v } }' }));
  t.same(config.warnings, [
    'function "hello": key "region" only applies on the cloud; ignored',
    'function "hello": key "vpcConfig" only applies on the cloud; ignored',
  ]);
});

t.test('a folder holding only an SCF serverless.yml is one function', async (t) => {
  const config = loadConfig(
    project({
      'serverless.yml': [
        'component: scf',
        'name: scfdemo',
        'inputs:',
        '  name: scf-demo',
        '  src: ./code',
        '  handler: index.main_handler',
        '  runtime: Nodejs16.13',
        '  region: ap-guangzhou',
        '  events:',
        '    - apigw:',
        '        parameters:',
        '          endpoints:',
        '            - path: /',
        '              method: GET',
      ].join('\n'),
    }),
  );
  t.equal(config.functions[0]!.name, 'scf-demo');
  t.equal(config.functions[0]!.runtime, 'Nodejs16.13');
  t.equal(config.functions[0]!.events.length, 1);
});

t.test('no manifest at all', async (t) => {
  t.throws(() => loadConfig(project({})), ConfigError);
});

t.test('the component form resolves ${name}, ${stage}, ${app}, ${org} and ${env:X} as the framework does', async (t) => {
  const root = project({
    'serverless.yml': [
      'component: scf',
      'name: demo',
      'org: acme',
      'inputs:',
      '  name: ${name}-${stage}-${app}',
      '  description: by ${org} for ${env:FNGATE_T_OWNER}',
      '  handler: index.main_handler',
      '  memorySize: ${env:FNGATE_T_MEMORY}',
      '  environment:',
      '    variables:',
      '      FROM_STAGE_FILE: ${env:FNGATE_T_STAGED}',
      '      FROM_DOTENV: ${env:FNGATE_T_DOTENV}',
      '      FALLBACK: ${env:FNGATE_T_UNSET, "plan-b"}',
    ].join('\n'),
    '.env': 'FNGATE_T_DOTENV=from-dotenv\nFNGATE_T_STAGED=from-dotenv\nFNGATE_T_MEMORY=256\n',
    '.env.dev': 'FNGATE_T_STAGED=from-stage-file\n',
  });
  const config = loadConfig(root, { FNGATE_T_OWNER: 'ops', FNGATE_T_MEMORY: '512' });
  const fn = config.functions[0]!;
  t.equal(fn.name, 'demo-dev-demo', 'stage defaults to dev, app to name');
  t.equal(fn.description, 'by acme for ops');
  t.equal(fn.memoryMb, 512, 'the environment wins over .env; a numeric string from ${env:X} is read as a number');
  t.same(fn.environment, { FROM_STAGE_FILE: 'from-stage-file', FROM_DOTENV: 'from-dotenv', FALLBACK: 'plan-b' });
  t.equal(fn.src, root, 'without inputs.src the project folder is the code');

  const staged = loadConfig(
    project({ 'serverless.yml': 'component: scf\nname: demo\napp: shop\nstage: prod\ninputs:\n  name: ${app}-${stage}\n  src: ./code\n' }),
    {},
  );
  t.equal(staged.functions[0]!.name, 'shop-prod');
});

t.test('an unresolvable variable is a config error naming it and its key', async (t) => {
  const cases: Array<{ yml: string; message: RegExp }> = [
    { yml: 'component: scf\nname: demo\ninputs:\n  name: demo\n  src: ./code\n  description: ${env:FNGATE_T_MISSING}', message: /variable "\$\{env:FNGATE_T_MISSING\}" at key "inputs.description" cannot be resolved: the environment variable FNGATE_T_MISSING is not set/ },
    { yml: 'component: scf\nname: demo\ninputs:\n  name: ${nope}\n  src: ./code', message: /variable "\$\{nope\}" at key "inputs.name" cannot be resolved/ },
    { yml: 'component: scf\nname: demo\ninputs:\n  name: demo\n  src: ./code\n  description: ${output:dev:app:vpc.id}', message: /"\$\{output:dev:app:vpc.id\}" at key "inputs.description": outputs of other instances/ },
    { yml: 'component: scf\nname: demo\ninputs:\n  name: ${self:name}\n  src: ./code', message: /"\$\{self:name\}" at key "inputs.name": serverless components do not support this variable/ },
    { yml: 'service: shop\nprovider: { name: tencent }\nfunctions:\n  a: { handler: index.main_handler, timeout: "${opt:timeout}" }', message: /"\$\{opt:timeout\}" at key "functions.a.timeout" cannot be resolved: fngate takes no CLI options/ },
    { yml: 'service: shop\nprovider: { name: tencent }\nfunctions:\n  a: { handler: "${file(./x.yml)}" }', message: /"\$\{file\(.\/x.yml\)\}" at key "functions.a.handler": the source/ },
    { yml: 'service: shop\nprovider: { name: tencent }\ncustom: { a: "${self:custom.b}", b: "${self:custom.a}" }\nfunctions:\n  a: { description: "${self:custom.a}" }', message: /refer to each other in a loop/ },
  ];
  for (const c of cases) {
    t.throws(() => loadConfig(project({ 'serverless.yml': c.yml }), {}), { name: 'ConfigError', message: c.message }, c.yml);
  }
});

t.test('the serverless-tencent-scf plugin form: service, provider defaults, functions with events', async (t) => {
  const root = project({
    'serverless.yml': [
      'service: shop',
      'provider:',
      '  name: tencent',
      '  runtime: Nodejs16.13',
      '  stage: ${opt:stage, "test"}',
      '  memorySize: 256',
      '  timeout: 10',
      '  region: ap-shanghai',
      '  credentials: ~/credentials',
      '  environment:',
      '    variables:',
      '      SHARED: yes-${self:service}',
      '      OVERRIDDEN: provider',
      'custom:',
      '  table: orders-${sls:stage}',
      'plugins:',
      '  - serverless-tencent-scf',
      'functions:',
      '  api:',
      '    handler: index.main_handler',
      '    timeout: 5',
      '    environment:',
      '      variables:',
      '        OVERRIDDEN: function',
      '        TABLE: ${self:custom.table}',
      '    events:',
      '      - apigw:',
      '          name: shop_apigw',
      '          parameters:',
      '            stageName: release',
      '            httpMethod: ANY',
      '            path: /',
      '            integratedResponse: true',
      '      - timer:',
      '          name: nightly',
      '          parameters: { cronExpression: "0 0 2 * * * *", enable: true }',
      '      - cmq: { name: cmq_trigger, parameters: { name: orders, enable: true } }',
      '      - ckafka: { name: ckafka-1, parameters: { name: ckafka-1, topic: clicks, maxMsgNum: 50, offset: latest, enable: true } }',
      '      - cos: { name: bucket, parameters: { bucket: b.cos.ap-guangzhou.myqcloud.com, events: "cos:ObjectCreated:*", enable: true } }',
      '  worker:',
      '    handler: worker.run',
      '    runtime: Python3.9',
      '    environment: { FLAT: flat-form }',
      '    events:',
      '      - apigw: { name: w, parameters: { httpMethod: POST } }',
    ].join('\n'),
  });
  const config = loadConfig(root, {});
  const byName = Object.fromEntries(config.functions.map((fn) => [fn.name, fn]));
  t.same(Object.keys(byName).sort(), ['shop-test-api', 'shop-test-worker'], 'named <service>-<stage>-<key> as the plugin deploys them');
  const api = byName['shop-test-api']!;
  t.match(api, { runtime: 'Nodejs16.13', memoryMb: 256, timeoutMs: 5000, handler: 'index.main_handler', src: root });
  t.same(api.environment, { SHARED: 'yes-shop', OVERRIDDEN: 'function', TABLE: 'orders-test' });
  t.same(api.events.map((event) => Object.keys(event)[0]), ['apigw', 'timer', 'cmq', 'ckafka'], 'cos is cloud-only');
  t.match(api.events[0], { apigw: { name: 'shop_apigw', parameters: { environment: 'release', endpoints: [{ path: '/', method: 'ANY', function: { isIntegratedResponse: true }, serviceTimeout: 10 }] } } });
  const worker = byName['shop-test-worker']!;
  t.match(worker, { runtime: 'Python3.9', memoryMb: 256, timeoutMs: 10000, handler: 'worker.run' });
  t.same(worker.environment, { SHARED: 'yes-shop', OVERRIDDEN: 'provider', FLAT: 'flat-form' });
  t.match(worker.events[0], { apigw: { parameters: { environment: 'release', endpoints: [{ path: '/shop-test-worker', method: 'POST', function: { isIntegratedResponse: false } }] } } }, "the plugin's default path");
  t.same(config.warnings, [
    'provider: key "region" only applies on the cloud; ignored',
    'provider: key "credentials" only applies on the cloud; ignored',
    'function "api": cos triggers only apply on the cloud; ignored',
  ]);
  const devStage = loadConfig(project({ 'serverless.yml': 'service: s\nprovider: { name: tencent }\nfunctions:\n  f: { description: "${self:provider.stage}/${sls:stage}" }\n' }), {});
  t.equal(devStage.functions[0]!.name, 's-dev-f', 'provider.stage defaults to dev');
  t.equal(devStage.functions[0]!.description, 'dev/dev');
});
