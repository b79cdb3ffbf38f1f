/**
 * The measuring child of the `node-cold` subject (bench/node-cold.bench.ts), run as
 * `node --expose-gc --no-node-snapshot --import tsx` pinned to the server CPU, one child per mode so
 * that each process's RSS belongs to one measurement:
 *
 * - `cold`: fngate's Node cold start (createInstance → start() → first invoke result) and the bare
 *   isolated-vm baseline (new Isolate + createContext + evalSync of the same handler + one apply),
 *   interleaved sample by sample, the order alternating, after one discarded start of each.
 * - `memory-fngate` / `memory-ivm`: `instances` warm idle instances (or bare isolates) held at once;
 *   RSS growth of the process divided by their count, measured after gc, and the instances' own
 *   heap figure (fngate's memoryUsage(): used heap + external).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ivm from 'isolated-vm';
import { nodeRuntime } from '../../runtimes/node/adapter.ts';
import type { Instance, InvokeRequest } from '../../runtimes/runtime.ts';
import { benchSpec, readMeasureConfig, sleep, writeMeasureOutput } from './measure-io.ts';

export type NodeColdMode = 'cold' | 'memory-fngate' | 'memory-ivm';

export interface NodeColdConfig {
  mode: NodeColdMode;
  /** Code folder of the hello function (its index.js exports main_handler). */
  codeDir: string;
  payload: string;
  expected: string;
  /** Cold-start samples of each kind. */
  samples: number;
  /** Instances held at once for the memory modes. */
  instances: number;
  /** Pause between cold samples: the previous instance's asynchronous close finishes off the clock. */
  sampleGapMs: number;
  /** Pause before RSS is read: background heap-statistics refreshes and frees settle. */
  settleMs: number;
}

export interface ColdSample {
  totalMs: number;
  initRuntimeMs?: number;
  initFunctionMs?: number;
}

export interface NodeColdOutput {
  cold?: { fngate: ColdSample[]; ivm: ColdSample[]; fngateAnswer: string; ivmAnswer: string };
  memory?: { instances: number; rssBefore: number; rssAfter: number; perInstanceBytes: number; heapBytes: number[]; answer: string };
}

/** The isolate size fngate gives a 128 MB function (a limit, not a reservation). */
const MEMORY_LIMIT_MB = 128;
const INVOKE_TIMEOUT_MS = 3_000;

const config = readMeasureConfig<NodeColdConfig>();
const spec = benchSpec(config.codeDir, { name: 'hello' });
const handlerSource = readFileSync(join(config.codeDir, 'index.js'), 'utf8');
/** The handler file as a CommonJS module body, plus what fngate's invoke does around it: JSON text in and out. */
const baselineSource = `
const module = { exports: {} };
const exports = module.exports;
${handlerSource}
;globalThis.__invoke = async (json) => JSON.stringify(await module.exports.main_handler(JSON.parse(json)));
`;
const signal = new AbortController().signal;
let requestCount = 0;

function request(): InvokeRequest {
  return { requestId: `bench-${++requestCount}`, payload: config.payload, deadline: Date.now() + INVOKE_TIMEOUT_MS, signal };
}

function gc(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  globalThis.gc();
}

function check(answer: string, what: string): string {
  if (JSON.stringify(JSON.parse(answer)) !== config.expected) throw new Error(`${what} answered ${answer}, expected ${config.expected}`);
  return answer;
}

async function fngateCold(): Promise<{ sample: ColdSample; answer: string; instance: Instance }> {
  const started = performance.now();
  const instance = nodeRuntime.createInstance(spec);
  const timings = await instance.start();
  const answer = await instance.invoke(request());
  const totalMs = performance.now() - started;
  return { sample: { totalMs, initRuntimeMs: timings.initRuntimeMs, initFunctionMs: timings.initFunctionMs }, answer: check(answer, 'fngate'), instance };
}

interface BareIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  invoke: ivm.Reference<(json: string) => Promise<string>>;
}

async function ivmCold(): Promise<{ sample: ColdSample; answer: string; bare: BareIsolate }> {
  const started = performance.now();
  const isolate = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB });
  const context = isolate.createContextSync();
  context.evalSync(baselineSource);
  const invoke = context.global.getSync('__invoke', { reference: true }) as ivm.Reference<(json: string) => Promise<string>>;
  const answer = (await invoke.apply(undefined, [config.payload], { arguments: { copy: true }, result: { promise: true, copy: true } })) as string;
  const totalMs = performance.now() - started;
  return { sample: { totalMs }, answer: check(answer, 'isolated-vm'), bare: { isolate, context, invoke } };
}

function disposeBare(bare: BareIsolate): void {
  bare.invoke.release();
  bare.context.release();
  bare.isolate.dispose();
}

async function measureCold(): Promise<NodeColdOutput['cold']> {
  // Discarded: the first start compiles the shim and fills its code cache, the first isolate warms ivm.
  await (await fngateCold()).instance.close();
  disposeBare((await ivmCold()).bare);
  const fngate: ColdSample[] = [];
  const bare: ColdSample[] = [];
  let fngateAnswer = '';
  let ivmAnswer = '';
  const takeFngate = async (): Promise<void> => {
    const run = await fngateCold();
    fngate.push(run.sample);
    fngateAnswer = run.answer;
    await run.instance.close();
  };
  const takeIvm = async (): Promise<void> => {
    const run = await ivmCold();
    bare.push(run.sample);
    ivmAnswer = run.answer;
    disposeBare(run.bare);
  };
  for (let i = 0; i < config.samples; i++) {
    // Alternating order: neither kind always runs right after the other's clean-up.
    for (const take of i % 2 === 0 ? [takeFngate, takeIvm] : [takeIvm, takeFngate]) {
      await take();
      await sleep(config.sampleGapMs);
    }
    if ((i + 1) % 10 === 0) console.log(`cold: ${i + 1}/${config.samples}`);
  }
  return { fngate, ivm: bare, fngateAnswer, ivmAnswer };
}

async function settledRss(): Promise<number> {
  gc();
  await sleep(config.settleMs);
  gc();
  return process.memoryUsage().rss;
}

async function measureMemory(kind: 'fngate' | 'ivm'): Promise<NodeColdOutput['memory']> {
  // One instance made and dropped first, so code loaded once per process (the shim, its cache) is in the "before".
  if (kind === 'fngate') await (await fngateCold()).instance.close();
  else disposeBare((await ivmCold()).bare);
  const rssBefore = await settledRss();
  const heapBytes: number[] = [];
  let answer = '';
  let rssAfter: number;
  if (kind === 'fngate') {
    const instances: Instance[] = [];
    for (let i = 0; i < config.instances; i++) {
      const run = await fngateCold();
      instances.push(run.instance);
      answer = run.answer;
    }
    // memoryUsage() refreshes in the background: ask, let the refresh land, read.
    for (const instance of instances) instance.memoryUsage();
    rssAfter = await settledRss();
    for (const instance of instances) heapBytes.push(instance.memoryUsage());
    for (const instance of instances) await instance.close();
  } else {
    const isolates: BareIsolate[] = [];
    for (let i = 0; i < config.instances; i++) {
      const run = await ivmCold();
      isolates.push(run.bare);
      answer = run.answer;
    }
    rssAfter = await settledRss();
    for (const bare of isolates) {
      const stats = bare.isolate.getHeapStatisticsSync();
      heapBytes.push(stats.used_heap_size + stats.externally_allocated_size);
    }
    for (const bare of isolates) disposeBare(bare);
  }
  return { instances: config.instances, rssBefore, rssAfter, perInstanceBytes: (rssAfter - rssBefore) / config.instances, heapBytes, answer };
}

const output: NodeColdOutput =
  config.mode === 'cold'
    ? { cold: await measureCold() }
    : { memory: await measureMemory(config.mode === 'memory-fngate' ? 'fngate' : 'ivm') };
writeMeasureOutput(output);
