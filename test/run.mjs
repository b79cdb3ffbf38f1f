// Runs the tap suite and ends with the plain line CI reads: `N passed, N failed[, N skipped]`.
// A "test" is one t.test() case of a test file; a file that dies before its cases counts as one failure.
// Two phases: the suite (tap's `include`/`exclude` in package.json), then the tests that must run alone
// because they load the whole machine (test/fresh-clone: `npm ci` compiles native modules). Arguments
// given to `npm test -- …` go to the first phase only, and skip the second.
import { spawn } from 'node:child_process';

const tapBin = new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname;
const ALONE = ['test/fresh-clone/readme.test.ts'];

let passed = 0;
let failed = 0;
let skipped = 0;

function runTap(args) {
  let casesInFile = 0;
  let buffered = '';
  const onLine = (line) => {
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
      if (fileResult[1] && casesInFile === 0) failed++;
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
      resolve(code);
    });
  });
}

const extra = process.argv.slice(2);
let code = await runTap(extra);
if (extra.length === 0) code = (await runTap(ALONE)) || code;
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
