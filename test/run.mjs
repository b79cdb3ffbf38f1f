// Runs the tap suite and ends with the plain line CI reads: `N passed, N failed[, N skipped]`.
// A "test" is one t.test() case of a test file; a file that dies before its cases counts as one failure.
// Two phases: the suite (tap's `include`/`exclude` in package.json), then the tests that must run alone
// because they load the whole machine (test/fresh-clone: `npm ci` compiles native modules). Arguments
// given to `npm test -- …` go to the first phase only, and skip the second.
// A file whose Node.js process died of a CPU fault (SIGILL, SIGSEGV, SIGBUS, SIGTRAP: V8's own fatal
// checks end that way) before any of its cases reported is run once more, said so on stderr, and only that
// second run counts: CI once lost a run to a SIGILL of node itself while a test file was still loading.
import { spawn } from 'node:child_process';

const tapBin = new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname;
const ALONE = ['test/fresh-clone/readme.test.ts'];
const CRASH_SIGNALS = new Set(['SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGTRAP']);

let passed = 0;
let failed = 0;
let skipped = 0;

/** Runs tap on `args`; resolves with its exit code and the files that crashed before their first case. */
function runTap(args, { retryCrashes }) {
  const failedBefore = failed;
  let casesInFile = 0;
  let buffered = '';
  /** A file that failed with no case reported, until its YAML block says whether it crashed. */
  let failedFile;
  let failedSignal;
  const crashed = [];
  const settleFailedFile = () => {
    if (failedFile === undefined) return;
    if (retryCrashes && CRASH_SIGNALS.has(failedSignal)) {
      crashed.push(failedFile);
      process.stderr.write(`\n${failedFile}: node died of ${failedSignal} before any case reported; it runs again after the suite\n`);
    } else failed++;
    failedFile = undefined;
    failedSignal = undefined;
  };
  const onLine = (line) => {
    if (failedFile !== undefined) {
      const signal = /^ {2}signal: (SIG\w+)$/.exec(line);
      if (signal) failedSignal = signal[1];
      if (line === '  ...' || /^\S/.test(line)) settleFailedFile();
    }
    const caseResult = /^ {4}(not )?ok \d+ - .*?(# (SKIP|TODO)\b.*)?$/.exec(line);
    if (caseResult) {
      casesInFile++;
      if (caseResult[3]) skipped++;
      else if (caseResult[1]) failed++;
      else passed++;
      return;
    }
    const fileResult = /^(not )?ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (fileResult) {
      if (fileResult[1] && casesInFile === 0) failedFile = fileResult[2];
      casesInFile = 0;
    }
  };
  const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (buffered) onLine(buffered);
      settleFailedFile();
      // Every failure of this run was a crash to retry: the retry's result decides.
      const onlyCrashes = code !== 0 && crashed.length > 0 && failed === failedBefore;
      resolve({ code: onlyCrashes ? 0 : code, crashed });
    });
  });
}

const extra = process.argv.slice(2);
const suite = await runTap(extra, { retryCrashes: true });
let code = suite.code;
const crashed = [...suite.crashed];
if (extra.length === 0) {
  const alone = await runTap(ALONE, { retryCrashes: true });
  code = alone.code || code;
  crashed.push(...alone.crashed);
}
if (crashed.length > 0) code = (await runTap(crashed, { retryCrashes: false })).code || code;
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
