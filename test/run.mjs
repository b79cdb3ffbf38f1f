// Runs the tap suite and ends with the plain line CI reads: `N passed, N failed[, N skipped]`.
// A "test" is one t.test() case of a test file; a file that fails outside its cases counts as one failure.
// Two phases: the suite (tap's `include`/`exclude` in package.json), then the tests that must run alone
// because they load the whole machine (test/fresh-clone: `npm ci` compiles native modules). Arguments
// given to `npm test -- …` go to the first phase only, and skip the second.
// A file that fails outside its cases (its process exits non-zero or dies of a signal after every case
// passed, or before any reported) counts as one failed test: tap marks the file `not ok` with no case
// `not ok` inside, and CI once printed `665 passed, 0 failed` for such a run. Every failed file is named
// again at the end with tap's account of it (exit code, signal, error), where a truncated log still shows it.
// A file whose Node.js process died of a native crash (SIGILL, SIGSEGV, SIGBUS, SIGTRAP: V8's own fatal
// checks end that way; SIGABRT: a failed assert() in a native module) with no case failed, before its cases
// or after them, is run once more, said so on stderr, and only that second run counts: CI once lost a run to
// a SIGILL of node itself while a test file was still loading, once a file failed after all its cases had
// passed (which way, the log did not keep), and once to isolated-vm's assert in
// IsolateEnvironment::GetCurrent() as test/runtimes/node-net.test.ts exited after its 7 cases had passed
// (not seen again in 4 runs of that file alone).
import { spawn } from 'node:child_process';

const tapBin = new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname;
const ALONE = ['test/fresh-clone/readme.test.ts'];
const CRASH_SIGNALS = new Set(['SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGTRAP', 'SIGABRT']);

let passed = 0;
let failed = 0;
let skipped = 0;
/** Each failed file and tap's YAML account of it, for the recap at the end. */
const failures = [];
/** The last lines the test processes wrote to stderr (an uncaught error's stack), for the same recap. */
const STDERR_TAIL_LINES = 80;
let stderrTail = [];

/** Runs tap on `args`; resolves with its exit code and the files that crashed with none of their cases failed. */
function runTap(args, { retryCrashes }) {
  const failedBefore = failed;
  /** The cases of the file being reported, until its own `ok`/`not ok` line. */
  let inFile = { passed: 0, skipped: 0, failedCases: [] };
  let buffered = '';
  /** A failed file, until its YAML block (its exit code, signal, error) has been read. */
  let failedFile;
  const crashed = [];
  const settleFailedFile = () => {
    if (failedFile === undefined) return;
    const signal = /^ {2}signal: (SIG\w+)$/m.exec(failedFile.account)?.[1];
    if (failedFile.failedCases.length === 0 && retryCrashes && CRASH_SIGNALS.has(signal)) {
      crashed.push(failedFile.name);
      // The run again counts its cases afresh.
      passed -= failedFile.passed;
      skipped -= failedFile.skipped;
      const cases = failedFile.passed + failedFile.skipped;
      const when = cases === 0 ? 'before any case reported' : `after its ${cases} case(s) passed`;
      process.stderr.write(`\n${failedFile.name}: node died of ${signal} ${when}; it runs again after the suite\n`);
    } else {
      if (failedFile.failedCases.length === 0) failed++;
      failures.push(failedFile);
    }
    failedFile = undefined;
  };
  const onLine = (line) => {
    if (failedFile !== undefined) {
      if (/^\S/.test(line)) settleFailedFile();
      else {
        failedFile.account += `${line}\n`;
        if (line === '  ...') settleFailedFile();
      }
    }
    const caseResult = /^ {4}(not )?ok \d+ - .*?(# (SKIP|TODO)\b.*)?$/.exec(line);
    if (caseResult) {
      if (caseResult[3]) {
        skipped++;
        inFile.skipped++;
      } else if (caseResult[1]) {
        failed++;
        inFile.failedCases.push(line.trim());
      } else {
        passed++;
        inFile.passed++;
      }
      return;
    }
    const fileResult = /^(not )?ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (fileResult) {
      if (fileResult[1]) failedFile = { name: fileResult[2], ...inFile, account: '' };
      inFile = { passed: 0, skipped: 0, failedCases: [] };
    }
  };
  const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    stderrTail.push(...chunk.toString().split('\n'));
    if (stderrTail.length > 4 * STDERR_TAIL_LINES) stderrTail = stderrTail.slice(-STDERR_TAIL_LINES);
  });
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
for (const failure of failures) {
  const outside = failure.failedCases.length === 0 ? ` after ${failure.passed + failure.skipped} passing case(s), outside them` : `: ${failure.failedCases.join('; ')}`;
  const account = failure.account.split('\n').filter((line) => !/^ {2}(args:|command:|cwd:|stdio:|externalID:| {2}- )/.test(line));
  process.stdout.write(`\nfailed: ${failure.name}${outside}\n${account.join('\n')}`);
}
const stderrLines = stderrTail.slice(-STDERR_TAIL_LINES).filter((line) => line.trim() !== '');
if (failures.length > 0 && stderrLines.length > 0) process.stdout.write(`\nthe test processes' stderr, its last lines:\n${stderrLines.join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
