/**
 * A burst of N concurrent requests to a cold, sandboxed Python function (bench/fixtures/python-hello), the
 * gateway started from the sources in this process: when the first and the last answer came, how many
 * instances served the burst, the event loop's longest stall, and how long closing took
 * (bench/results/python-budget.md, "A cold burst"). Pin it as the benchmarks do:
 *
 *   taskset -c 0 node --no-node-snapshot --import tsx bench/profile/cold-burst.mts [N=50]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startGateway } from '../../gateway/server.ts';
const requests = Number(process.argv[2] ?? 50);
const dataDir = mkdtempSync(join(tmpdir(), 'cold-burst-'));
const project = fileURLToPath(new URL('../fixtures/python-hello', import.meta.url));
const gateway = await startGateway({ dir: project, port: 0, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const sentAt = performance.now();
const answeredAfterMs: number[] = [];
await Promise.all(
  Array.from({ length: requests }, async () => {
    const response = await fetch(`${gateway.url}/functions/python-hello/invoke`, { method: 'POST', body: '{}' });
    await response.text();
    if (response.status !== 200) console.log(`status ${response.status}`);
    answeredAfterMs.push(performance.now() - sentAt);
  }),
);
loopDelay.disable();
answeredAfterMs.sort((a, b) => a - b);
const instances = gateway.services.registry.lookup('default', 'python-hello').pool.size;
const ms = (value: number): string => `${value.toFixed(0)} ms`;
console.log(
  `${requests} requests: first answer ${ms(answeredAfterMs[0]!)}, p50 ${ms(answeredAfterMs[requests >> 1]!)}, last ${ms(answeredAfterMs[requests - 1]!)}; ` +
    `${instances} instances; event loop's longest stall ${ms(loopDelay.max / 1e6)}`,
);
const closingAt = performance.now();
await gateway.close();
console.log(`closed in ${ms(performance.now() - closingAt)}`);
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
