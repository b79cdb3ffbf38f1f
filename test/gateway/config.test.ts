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
