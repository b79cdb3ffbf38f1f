// isolated-vm with a counting Isolate constructor (see count.mjs). isolated-vm's exports are frozen, so
// this is an object inheriting from them with its own `Isolate`.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const ivm = createRequire(process.cwd() + '/')('isolated-vm');
const made = [];
const Isolate = new Proxy(ivm.Isolate, {
  construct(target, args, newTarget) {
    const isolate = Reflect.construct(target, args, newTarget);
    made.push(isolate);
    return isolate;
  },
});
let atSigterm;
// Before the gateway's own handler starts shutting down (which disposes every isolate).
process.prependListener('SIGTERM', () => {
  atSigterm ??= { made: made.length, disposed: made.filter((isolate) => isolate.isDisposed).length };
});
process.on('exit', () => {
  if (process.env.ISOLATES_OUT) appendFileSync(process.env.ISOLATES_OUT, `${JSON.stringify({ pid: process.pid, atSigterm, made: made.length })}\n`);
});

export default Object.create(ivm, { Isolate: { value: Isolate, enumerable: true } });
