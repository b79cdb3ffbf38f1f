// The busy main thread of a gateway profile (node --cpu-prof, bench/cpu-budget.ts node --cpu-prof) split by
// phase of the Node.js invoke path, in µs per request. Each sample goes to the phase of the deepest frame
// of the project's own code on its stack (so node's writev counts for the response write that calls it);
// samples without one (node:http parsing the request, timers) are split by node's own modules.
//
//   node bench/profile/cpuprofile-phases.mjs <file.cpuprofile> <requests> [last-seconds]
import { readFileSync } from 'node:fs';

/** Phase, and what names it: a function name and/or a URL fragment. First rule that matches a frame wins. */
const PHASES = [
  ['isolate call (apply: arguments, scheduling, stack capture; outcome)', (fn, url) => url.includes('runtimes/node/') || url.includes('isolated-vm')],
  ['response write (writeHead, end, writev)', (fn, url) => url.includes('gateway/respond.ts')],
  ['recording (store hand-off, batch writer, piscina)', (fn, url) => url.includes('/store/') || url.includes('piscina')],
  ['log framing (log-frame.ts)', (fn, url) => url.includes('invoke/log-frame.ts')],
  ['pool acquire / release', (fn, url) => url.includes('runtimes/pool.ts')],
  ['pipeline wrappers (recording, concurrency, framing, lease, execution)', (fn, url) => /gateway\/(invoke\/|concurrency\.ts)|runtimes\/cancellation\.ts/.test(url)],
  ['body read and event validation', (fn, url) => url.includes('gateway/body.ts')],
  ['invoke API (request id, lookup, answer)', (fn, url) => /gateway\/(invoke-api|registry)\.ts|internal\/crypto\/random/.test(url)],
  ['web-function check (host, /web/)', (fn, url) => /gateway\/(web-target\.ts|routes\/web\.ts)/.test(url)],
];
/** For samples with no frame of the phases above. */
const NODE_PHASES = [
  ['HTTP parsing and dispatch (node:http, listener)', (fn, url) => /node:_http|node:net|internal\/streams|gateway\/listener\.ts|stream_base_commons|node:events/.test(url)],
  ['timers (timeouts, socket timers)', (fn, url) => url.includes('internal/timers') || url === 'node:timers'],
  ['GC', (fn) => fn === '(garbage collector)'],
];

const [file, requestsText, lastText] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const requests = Number(requestsText);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/** The phase of the deepest frame from `id` up to the root that one of `rules` names. */
function deepest(id, rules) {
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url } = byId.get(at).callFrame;
    const found = rules.find(([, test]) => test(functionName, url));
    if (found) return found[0];
  }
  return undefined;
}
const phaseOf = new Map();
function phase(id) {
  if (!phaseOf.has(id)) phaseOf.set(id, deepest(id, PHASES) ?? deepest(id, NODE_PHASES) ?? `other: ${byId.get(id).callFrame.functionName || '(anonymous)'}`);
  return phaseOf.get(id);
}

const totals = new Map();
const from = lastText ? profile.endTime - Number(lastText) * 1e6 : -Infinity;
let at = profile.startTime;
let busy = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at < from) return;
  const name = byId.get(id).callFrame.functionName;
  if (name === '(idle)') return;
  const key = name === '(program)' ? '(program): native work outside JS' : phase(id);
  totals.set(key, (totals.get(key) ?? 0) + delta);
  busy += delta;
});
console.log(`busy main thread ${(busy / requests).toFixed(1)} µs/request (profiled; the profiler inflates, shares are what count)`);
for (const [key, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  if (us / requests < 0.5) continue;
  console.log(`${(us / requests).toFixed(1).padStart(8)} µs  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${key}`);
}
