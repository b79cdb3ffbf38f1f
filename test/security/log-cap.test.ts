// 200 MiB of console output in one call: the gateway's memory stays bounded while it streams, and the
// stored log is the head (at most the per-invocation cap) plus a marker saying how many bytes were cut.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MAX_LOG_LIMIT } from '../../gateway/routes/functions.ts';
import { MAX_LOG_BYTES_PER_INVOCATION } from '../../runtimes/instance-log.ts';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';

const OUTPUT_MB = 200;
/** What 200 MiB held whole would cost several times over; a bounded stream stays far under it. */
const MAX_RSS_GROWTH = 120 * 1024 * 1024;
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));

const functions: Record<string, unknown> = { 'node-noisy': { src: fixture('node-noisy'), runtime: 'Nodejs18.15', timeout: 120, memorySize: 256 } };
if (requireTool(t, 'python3', 'python3')) functions['python-noisy'] = { src: fixture('python-noisy'), runtime: 'Python3.9', timeout: 120 };
const gateway = await startTestGateway(t, { functions });

for (const name of Object.keys(functions)) {
  t.test(`${name}: ${OUTPUT_MB} MiB of output is capped while it streams`, async (t) => {
    await gateway.invoke(name, { mb: 1 }); // warm: the instance's own memory is not what is measured
    // An isolate runs in this process and its heap is the function's (capped by memorySize): for it the
    // gateway's own heap is measured; for a subprocess, the whole resident size.
    const measure = name.startsWith('node') ? () => process.memoryUsage().heapUsed : () => process.memoryUsage().rss;
    const before = measure();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, measure())), 20);
    const answer = await gateway.invoke(name, { mb: OUTPUT_MB });
    clearInterval(sampler);
    t.equal(answer.status, 200, answer.text);
    t.ok(peak - before < MAX_RSS_GROWTH, `gateway memory grew ${((peak - before) / 1024 / 1024).toFixed(0)} MiB`);
    await gateway.services.store.flush();
    const response = await fetch(`${gateway.url}/functions/${name}/logs?requestId=${answer.requestId}&limit=${MAX_LOG_LIMIT}`, { headers: AUTH_HEADERS });
    const lines = ((await response.json()) as { lines: Array<{ line: string }> }).lines.map((entry) => entry.line);
    t.ok(lines.length < MAX_LOG_LIMIT, 'the whole stored log is read');
    const stored = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    t.ok(stored < MAX_LOG_BYTES_PER_INVOCATION * 1.2, `stored ${stored} bytes`);
    const marker = lines.find((line) => line.includes('log truncated'));
    t.ok(marker, 'a marker says the log was cut');
    const dropped = Number(/(\d+) bytes \(/.exec(marker ?? '')?.[1]);
    const printed = OUTPUT_MB * 1024 * 1024;
    const userLines = lines.filter((line) => line.includes(` ${answer.requestId} x`));
    const kept = userLines.reduce((sum, line) => sum + line.slice(line.indexOf(' x') + 1).length + 1, 0);
    t.equal(kept + dropped, printed, `kept ${kept} + dropped ${dropped} bytes = all ${printed} printed`);
    t.match(lines[0], /^START RequestId/, 'the head is kept');
    t.match(lines[1], /x{1023}$/, 'the first user line is kept whole');
    t.match(lines.at(-2), /^END RequestId/);
  });
}
