import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

// Functions whose code cannot load, in every runtime family: the error must reach the function log.
const CASES = [
  { name: 'node-throw', fn: { src: fixture('node/throw-at-load'), runtime: 'Nodejs18.15' }, status: 443, lines: ['Error: module scope failure', /^    at .*\/var\/user\/index\.js:2:/] },
  { name: 'node-syntax', fn: { src: fixture('node/syntax'), runtime: 'Nodejs18.15' }, status: 443, lines: [/SyntaxError/] },
  { name: 'node-no-file', fn: { src: fixture('node/hello'), runtime: 'Nodejs18.15', handler: 'nope.main_handler' }, status: 437, lines: [/names no file nope\.js/] },
  { name: 'py-import', fn: { src: fixture('python/import-error'), runtime: 'Python3.9' }, status: 443, lines: ['Traceback (most recent call last):', /(import-error|\/var\/user)\/index\.py", line 1/, "ModuleNotFoundError: No module named 'fngate_no_such_dependency'"] },
  { name: 'py-no-handler', fn: { src: fixture('python/no-handler'), runtime: 'Python3.9' }, status: 437, lines: [/index has no function main_handler/] },
  { name: 'custom-exit', fn: { src: fixture('custom/exit-early'), runtime: 'CustomRuntime' }, status: 443, lines: ['cannot load index.sh: no such file', /exited with code 1 before it was ready/] },
];

const gateway = await startTestGateway(t, { functions: Object.fromEntries(CASES.map((c) => [c.name, c.fn])) });

t.test('a load error (443) or a missing handler (437) goes into the framed log of its request, message and stack', async (t) => {
  for (const c of CASES) {
    const response = await gateway.invoke(c.name, {});
    t.equal(response.status, c.status, `${c.name}: ${response.text}`);
    const requestId = response.requestId!;
    const lines = await gateway.logs(c.name, requestId);
    t.equal(lines[0], `START RequestId: ${requestId}`, c.name);
    t.match(lines.at(-2) ?? '', /^END RequestId: /, `${c.name}: framed`);
    const texts = lines.slice(1, -2).map((line) => {
      const prefix = /^\d{4}-\d\d-\d\dT[\d:.]+Z (\S+) /.exec(line);
      t.equal(prefix?.[1], requestId, `${c.name}: "${line}" carries the time and request id`);
      return line.slice(prefix?.[0].length ?? 0);
    });
    t.ok(texts.includes(`[fngate] the function failed to start: ${c.status} ${c.status === 437 ? 'HandlerNotFound' : 'UserCodeError'}`), `${c.name}: ${texts.join(' | ')}`);
    for (const expected of c.lines) {
      t.ok(texts.some((text) => (typeof expected === 'string' ? text === expected : expected.test(text))), `${c.name}: a line ${String(expected)} in ${JSON.stringify(texts)}`);
    }
    // The answer's message is in the log too (its first line, for messages carrying the process output).
    t.ok(texts.some((text) => text === response.json.errorMessage.split('\n')[0]) || texts.some((text) => response.json.stackTrace.includes(text) && text.length > 0), `${c.name}: the error message is logged`);
    t.equal(texts.filter((text) => text === texts.find((x) => !x.startsWith('[fngate]'))).length, 1, `${c.name}: nothing is logged twice`);
  }
});
