// Summarise a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the most
// inclusive time, in µs per request when the request count of the measured window is given.
//
//   node bench/profile/cpuprofile-top.mjs <file.cpuprofile> [requests] [rows] [last-seconds]
//
// With last-seconds only the samples of the profile's last seconds count (the measured wrk window, not
// the start-up and warm-up); requests is then the measured window's request count. `busiestN` instead of
// a number takes the N seconds with the most non-idle samples, wherever they sit; `A-B` the samples from
// second A to second B of the profile.
import { readFileSync } from 'node:fs';

const [file, requestsText, rowsText = '40', lastText] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const requests = Number(requestsText) || 0;
const rows = Number(rowsText);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// Time per sample: the deltas; self time per node.
const self = new Map();
/** The [from, to) window of samples that count: the last seconds, or the busiest seconds (`busiestN`). */
function sampleWindow() {
  if (!lastText) return [-Infinity, Infinity];
  const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(lastText);
  if (range) return [profile.startTime + Number(range[1]) * 1e6, profile.startTime + Number(range[2]) * 1e6];
  const busiest = /^busiest(\d+(?:\.\d+)?)$/.exec(lastText);
  if (!busiest) return [profile.endTime - Number(lastText) * 1e6, Infinity];
  // The window of that length holding the most non-idle sample time (the measured load, wherever it sits).
  const span = Number(busiest[1]) * 1e6;
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  const times = [];
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    times.push([t, idle.has(id) ? 0 : profile.timeDeltas[i] ?? 0]);
  });
  let best = [-Infinity, Infinity];
  let bestBusy = -1;
  let busy = 0;
  let tail = 0;
  for (const [time, us] of times) {
    busy += us;
    while (times[tail][0] <= time - span) busy -= times[tail++][1];
    if (busy > bestBusy) {
      bestBusy = busy;
      best = [time - span, time + 1];
    }
  }
  return best;
}
const [from, to] = sampleWindow();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= from && at < to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(webpath|main)\//, '').replace(/^file:\/\//, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};

const selfByLabel = new Map();
const totalByLabel = new Map();
let total = 0;
for (const [id, us] of self) {
  total += us;
  const node = byId.get(id);
  selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + us);
  // Inclusive: every distinct label on the stack once.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = label(byId.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    totalByLabel.set(name, (totalByLabel.get(name) ?? 0) + us);
  }
}
const per = (us) => (requests ? `${(us / requests).toFixed(1).padStart(7)} µs/req` : `${(us / 1000).toFixed(0).padStart(7)} ms`);
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total ${per(total)} (${(total / 1e6).toFixed(2)} s of samples)`);
console.log('--- self');
for (const [name, us] of [...selfByLabel].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${per(us)} ${pct(us)}  ${name}`);
console.log('--- inclusive');
for (const [name, us] of [...totalByLabel].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${per(us)} ${pct(us)}  ${name}`);
