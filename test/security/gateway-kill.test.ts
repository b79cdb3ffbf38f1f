// `kill -9` of the gateway leaves no function process behind (issue 9 §5, the sandbox's part): every
// sandbox dies with the gateway (bwrap --die-with-parent), whatever its function started and detached, and
// so does its pasta (setpriv --pdeathsig).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { stringify } from 'yaml';
import { hasTool, requireTool } from '../helpers/toolchain.ts';
import { descendantsOf, isRunning, processesWith, uniqueSleep, waitFor } from './helpers.ts';

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
    const invoke = async (name: string, event: unknown): Promise<number> =>
      (await fetch(`${url}/functions/${name}/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })).status;
    const markers = { python: uniqueSleep(), custom: uniqueSleep() };
    t.equal(await invoke('python', { op: 'escape', marker: markers.python }), 200);
    t.equal(await invoke('custom', markers.custom), 200);
    for (const [name, marker] of Object.entries(markers)) {
      t.ok(await waitFor(() => processesWith(marker).length > 0, 10_000), `${name}: its detached process runs`);
    }
    // This gateway's function processes only: other test files run interpreters (bootstrap.py) meanwhile.
    const ownBootstraps = new Set(processesWith('bootstrap'));
    const functionProcesses = descendantsOf(child.pid!).filter((pid) => ownBootstraps.has(pid));
    t.ok(functionProcesses.length > 0, 'the function processes run');
    // Each sandbox's pasta (network.ts), where pasta is installed: it must not outlive the gateway either.
    const ownPastas = new Set(processesWith('--config-net'));
    const pastas = descendantsOf(child.pid!).filter((pid) => ownPastas.has(pid));
    if (hasTool('pasta')) t.ok(pastas.length >= 2, `each sandbox has its pasta (${pastas.length})`);
    child.kill('SIGKILL');
    for (const [name, marker] of Object.entries(markers)) {
      t.ok(await waitFor(() => processesWith(marker).length === 0, 10_000), `${name}: its detached process is gone`);
    }
    t.ok(await waitFor(() => functionProcesses.every((pid) => !isRunning(pid)), 10_000), 'the function processes are gone');
    t.ok(await waitFor(() => pastas.every((pid) => !isRunning(pid)), 10_000), 'their pasta processes are gone');
  });
}
