// `kill -9` of the gateway leaves no function process behind (issue 9 §5, the sandbox's part): every
// sandbox dies with the gateway (bwrap --die-with-parent), whatever its function started and detached, and
// so does its pasta (setpriv --pdeathsig).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { stringify } from 'yaml';
import { buildGoPrograms } from '../helpers/go.ts';
import { hasTool, requireTool } from '../helpers/toolchain.ts';
import { webFixture } from '../web/helpers.ts';
import { descendantsMentioning, descendantsOf, isRunning, processesWith, uniqueSleep, waitFor } from './helpers.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));

if (requireTool(t, 'python3', 'python3') && requireTool(t, 'curl', 'curl')) {
  t.test('after kill -9 of the gateway no function process survives (Python, custom runtime)', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'fngate-kill9-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(
      join(root, 'fngate.yml'),
      stringify({
        functions: {
          python: { src: fixture('hostile'), runtime: 'Python3.9' },
          custom: { src: fixture('custom-sleeper'), runtime: 'CustomRuntime' },
        },
      }),
    );
    const { child, url } = await serveChild(t, root);
    const invoke = async (name: string, event: unknown): Promise<number> =>
      (await fetch(`${url}/functions/${name}/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })).status;
    const markers = { python: uniqueSleep(), custom: uniqueSleep() };
    t.equal(await invoke('python', { op: 'escape', marker: markers.python }), 200);
    t.equal(await invoke('custom', markers.custom), 200);
    for (const [name, marker] of Object.entries(markers)) {
      t.ok(await waitFor(() => processesWith(marker).length > 0, 10_000), `${name}: its detached process runs`);
    }
    // This gateway's function processes only: other test files run interpreters (bootstrap.py) meanwhile.
    const functionProcesses = descendantsMentioning(child.pid!, 'bootstrap');
    t.ok(functionProcesses.length > 0, 'the function processes run');
    // Each sandbox's pasta (network.ts), where pasta is installed: it must not outlive the gateway either.
    const pastas = descendantsMentioning(child.pid!, '--config-net');
    if (hasTool('pasta')) t.ok(pastas.length >= 2, `each sandbox has its pasta (${pastas.length})`);
    child.kill('SIGKILL');
    for (const [name, marker] of Object.entries(markers)) {
      t.ok(await waitFor(() => processesWith(marker).length === 0, 10_000), `${name}: its detached process is gone`);
    }
    t.ok(await waitFor(() => functionProcesses.every((pid) => !isRunning(pid)), 10_000), 'the function processes are gone');
    t.ok(await waitFor(() => pastas.every((pid) => !isRunning(pid)), 10_000), 'their pasta processes are gone');
  });
}

/** A gateway in a process of its own serving `root`, and its URL. */
async function serveChild(t: { teardown(fn: () => unknown): void }, root: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./serve-child.ts', import.meta.url)), root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8');
    let out = '';
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', () => reject(new Error('the gateway exited')));
  });
  return { child, url };
}

/** The command line of a process, or '' once it is gone. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

if (requireTool(t, 'go', 'golang-go')) {
  t.test('after kill -9 of the gateway no process of a Go, web or Node.js process-mode instance survives', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'fngate-kill9-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    await buildGoPrograms(['./functions/echo'], join(root, 'bin'));
    mkdirSync(join(root, 'go'));
    copyFileSync(join(root, 'bin', 'echo'), join(root, 'go', 'main'));
    writeFileSync(
      join(root, 'fngate.yml'),
      stringify({
        functions: {
          go: { src: './go', runtime: 'Go1', handler: 'main', timeout: 30, initTimeout: 30 },
          web: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', initTimeout: 30 },
          nodeprocess: { src: fileURLToPath(new URL('../fixtures/node/hello', import.meta.url)), runtime: 'Nodejs18.15', nodeRuntime: 'process', timeout: 30, initTimeout: 30 },
        },
      }),
    );
    const { child, url } = await serveChild(t, root);
    // Time limits of 30 s: a loaded CI machine starts these slowly; this test is about what is left after.
    for (const path of ['/functions/go/invoke', '/functions/nodeprocess/invoke']) {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      t.equal(response.status, 200, `${path}: ${await response.text()}`);
    }
    t.equal((await fetch(`${url}/web/web/`)).status, 200, 'the web function serves');
    // tsx's esbuild service is the test gateway's own, not a function's; pasta and socat are the instances'.
    const functionProcesses = descendantsOf(child.pid!).filter((pid) => !/\besbuild\b/.test(commandLine(pid)));
    const commands = functionProcesses.map(commandLine).join('\n');
    for (const [kind, marker] of [['Go', /\/main$/m], ['web', /bridge\.mjs/], ['Node.js process mode', /bootstrap\.cjs/]] as const) {
      t.match(commands, marker, `a ${kind} process runs`);
    }
    child.kill('SIGKILL');
    const gone = await waitFor(() => functionProcesses.every((pid) => !isRunning(pid)), 10_000);
    t.ok(gone, `every function process is gone; left: ${functionProcesses.filter(isRunning).map(commandLine).join('; ')}`);
  });
}
