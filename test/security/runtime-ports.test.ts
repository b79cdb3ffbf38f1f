// The TCP ports runtimes speak to their instance over — scf-go-lib's net/rpc, the custom Runtime API —
// exist only inside the instance's network namespace (issue 9 §2): the host's loopback does not have
// them, and another function reaches them neither on its own 127.0.0.1 nor through the host (10.0.2.2).
// Before, one function took another's in-flight event from its Runtime API port.
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { buildGoPrograms } from '../helpers/go.ts';
import { canConnect } from '../helpers/services.ts';
import { requireTool } from '../helpers/toolchain.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));

/** `variable` in the environment of a live process whose environment has `SCF_FUNCTIONNAME=<name>`. */
function variableOf(functionName: string, variable: string): string | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!environ.includes(`SCF_FUNCTIONNAME=${functionName}`)) continue;
    const entry = environ.find((line) => line.startsWith(`${variable}=`));
    if (entry) return entry.slice(variable.length + 1);
  }
  return undefined;
}

if (requireTool(t, 'python3', 'python3') && requireTool(t, 'curl', 'curl') && requireTool(t, 'go', 'golang-go') && requireTool(t, 'socat', 'socat')) {
  const root = await mkdtemp(join(tmpdir(), 'fngate-ports-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await buildGoPrograms(['./functions/echo'], join(root, 'bin'));
  await mkdir(join(root, 'go'), { recursive: true, mode: 0o755 });
  await copyFile(join(root, 'bin', 'echo'), join(root, 'go', 'main'));
  const suffix = String(process.pid);
  const names = { custom: `victimcustom${suffix}`, go: `victimgo${suffix}` };
  const gateway = await startTestGateway(t, {
    functions: {
      [names.custom]: { src: fixture('custom-sleeper'), runtime: 'CustomRuntime' },
      [names.go]: { src: join(root, 'go'), runtime: 'Go1', handler: 'main' },
      hostile: { src: fixture('hostile'), runtime: 'Python3.9', timeout: 10 },
    },
  });

  t.test("no other function, and nothing on the host, reaches an instance's Runtime API or net/rpc port", async (t) => {
    t.equal((await gateway.invoke(names.custom, '1.5')).status, 200, 'the custom runtime serves');
    t.equal((await gateway.invoke(names.go, { hello: 'go' })).status, 200, 'the Go function serves');
    const ports = {
      'Runtime API': Number(variableOf(names.custom, 'SCF_RUNTIME_API_PORT')),
      'net/rpc': Number(variableOf(names.go, '_LAMBDA_SERVER_PORT')),
    };
    for (const [what, port] of Object.entries(ports)) {
      t.ok(port > 0, `${what}: the instance's port is ${port}`);
      // The custom runtime's port is the same in every sandbox (9001): only an unrelated host service could hold it.
      if (what === 'net/rpc') t.notOk(await canConnect(port), `${what}: not on the host's loopback`);
      for (const host of ['127.0.0.1', '10.0.2.2']) {
        const probe = await gateway.invoke('hostile', { op: 'connect', host, port });
        t.equal(probe.status, 200, probe.text);
        t.ok(probe.json.error, `${what}: another function gets no connection at ${host}:${port} (${probe.json.error ?? probe.json.reply})`);
      }
    }
    const api = await fetch(`http://127.0.0.1:${ports['Runtime API']}/runtime/invocation/next`, { signal: AbortSignal.timeout(2000) }).catch((error: Error) => error);
    t.ok(api instanceof Error || !api.headers.get('request_id'), 'the host gets no event from the Runtime API port');
    t.equal((await gateway.invoke(names.custom, '1.5')).status, 200, 'the custom runtime still serves its own caller');
  });
}
