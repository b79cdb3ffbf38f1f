/**
 * Every runtime reports the version that ran: the handler's context (`function_version`, Go's
 * FunctionVersion, Java's getFunctionVersion()), SCF_FUNCTIONVERSION (custom runtimes), and a web
 * function's `X-Scf-Version` request header, for `$LATEST` and for a published version invoked by
 * qualifier through the real gateway.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { findOnPath, javaShimJar } from '../../runtimes/java/shim-build.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { buildGoPrograms } from '../helpers/go.ts';
import { compileJava } from '../helpers/java.ts';
import { hasTool } from '../helpers/toolchain.ts';
import { NEEDS_SANDBOX, webFixture } from '../web/helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'fngate-runtime-versions-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const nodeCode = folder('node', {
  'index.js': 'exports.main_handler = async (event, context) => ({ version: context.function_version, env: process.env.SCF_FUNCTIONVERSION });\n',
});

interface Case {
  name: string;
  tool?: string;
  fn: () => Promise<Record<string, unknown>>;
  /** The version the handler saw, from its result. */
  seen: (result: any) => unknown[];
}

const customDir = folder('custom', {
  'index.sh': 'function main_handler () {\n  printf \'{"env": "%s"}\\n\' "$SCF_FUNCTIONVERSION"\n}\n',
});
copyFileSync(fileURLToPath(new URL('../fixtures/custom/cases/env/bootstrap', import.meta.url)), join(customDir, 'bootstrap'));
chmodSync(join(customDir, 'bootstrap'), 0o755);

/** A function of an interpreted runtime: one source file reporting its context's and environment's version. */
function scripted(name: string, tool: string, runtime: string, file: string, text: string): Case {
  return { name, tool, fn: async () => ({ src: folder(name, { [file]: text }), runtime }), seen: (r) => [r.version, r.env] };
}

const cases: Case[] = [
  { name: 'nodeisolate', fn: async () => ({ src: nodeCode, runtime: 'Nodejs18.15' }), seen: (r) => [r.version, r.env] },
  { name: 'nodeprocess', fn: async () => ({ src: nodeCode, runtime: 'Nodejs18.15', nodeRuntime: 'process' }), seen: (r) => [r.version, r.env] },
  scripted('python', 'python3', 'Python3.9', 'index.py', 'import os\n\ndef main_handler(event, context):\n    return {"version": context["function_version"], "env": os.environ.get("SCF_FUNCTIONVERSION")}\n'),
  scripted('php', 'php', 'Php8.0', 'index.php', '<?php\nfunction main_handler($event, $context) {\n  return ["version" => $context->function_version, "env" => getenv("SCF_FUNCTIONVERSION")];\n}\n'),
  {
    name: 'go',
    tool: 'go',
    fn: async () => {
      const bin = join(work, 'go');
      await buildGoPrograms(['./functions/context'], bin);
      return { src: bin, runtime: 'Go1', handler: 'context' };
    },
    seen: (r) => [r.context.FunctionVersion, r.startup.FUNCTION_VERSION],
  },
  {
    name: 'java',
    tool: 'javac',
    fn: async () => {
      const source = folder('java-src', {
        'example/Version.java': [
          'package example;',
          'import com.qcloud.scf.runtime.Context;',
          'import java.util.LinkedHashMap;',
          'import java.util.Map;',
          'public class Version {',
          '  public Map<String, Object> handle(Map<String, Object> event, Context context) throws Exception {',
          '    Map<String, Object> result = new LinkedHashMap<>();',
          '    result.put("version", context.getClass().getMethod("getFunctionVersion").invoke(context));',
          '    result.put("env", System.getenv("SCF_FUNCTIONVERSION"));',
          '    return result;',
          '  }',
          '}',
        ].join('\n'),
      });
      const out = join(work, 'java');
      const shim = await javaShimJar(await realpath((await findOnPath('java'))!));
      await compileJava(shim, [{ sourceDir: source, outDir: out }]);
      return { src: out, runtime: 'Java11', handler: 'example.Version::handle', timeout: 30, initTimeout: 30 };
    },
    seen: (r) => [r.version, r.env],
  },
  { name: 'custom', fn: async () => ({ src: customDir, runtime: 'CustomRuntime', initTimeout: 10 }), seen: (r) => [r.env] },
];

const available = cases.filter((c) => c.tool === undefined || hasTool(c.tool));
const functions: Record<string, unknown> = {};
// Generous limits: a loaded CI machine starts interpreters slowly; this file is about what the handler sees.
for (const c of available) functions[c.name] = { timeout: 30, initTimeout: 30, ...(await c.fn()) };
const web = NEEDS_SANDBOX.skip === undefined;
if (web) {
  functions.site = {
    src: webFixture('node'),
    runtime: 'Nodejs18.15',
    type: 'web',
    events: [{ apigw: { parameters: { endpoints: [{ path: '/v1', method: 'GET', function: { functionQualifier: '1' } }] } } }],
  };
}

const gateway = await startTestGateway(t, { functions });
const registry = gateway.services.registry;
for (const name of Object.keys(functions)) {
  const config = registry.lookup('default', name).config;
  await registry.putVersion({ ...config }, '1');
}

for (const c of cases) {
  t.test(`${c.name}: the handler sees the version that ran`, { skip: available.includes(c) ? false : `${c.tool} is not installed` }, async (t) => {
    for (const version of ['$LATEST', '1']) {
      const response = await gateway.invoke(c.name, {}, { qualifier: version });
      t.equal(response.status, 200, `${version}: ${response.text}`);
      t.equal(response.headers.get('x-scf-version'), version, `${version}: X-Scf-Version`);
      t.same(c.seen(response.json), c.seen(response.json).map(() => version), `${version}: ${JSON.stringify(response.json).slice(0, 300)}`);
    }
  });
}

t.test('web: the server gets X-Scf-Version of the version that runs', { skip: NEEDS_SANDBOX.skip }, async (t) => {
  const latest = await fetch(`${gateway.url}/web/site/`);
  t.equal(latest.status, 200);
  t.equal(((await latest.json()) as any).headers['x-scf-version'], '$LATEST');
  const published = await fetch(`${gateway.url}/v1`);
  t.equal(published.status, 200);
  t.equal(((await published.json()) as any).headers['x-scf-version'], '1', 'an API gateway trigger naming version 1');
});
