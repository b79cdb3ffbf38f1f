/**
 * The two ends of a measuring child's protocol with the harness (harness.ts `runMeasurement`): its
 * configuration is JSON in the file named by BENCH_MEASURE_CONFIG, its figures go as JSON to the file
 * named by BENCH_MEASURE_OUT. Its stdout and stderr are only a log.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { FunctionSpec } from '../../runtimes/runtime.ts';

export function readMeasureConfig<T>(): T {
  const file = process.env.BENCH_MEASURE_CONFIG;
  if (!file) throw new Error('BENCH_MEASURE_CONFIG is not set: run this through the bench harness');
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function writeMeasureOutput(value: unknown): void {
  const file = process.env.BENCH_MEASURE_OUT;
  if (!file) throw new Error('BENCH_MEASURE_OUT is not set: run this through the bench harness');
  writeFileSync(file, JSON.stringify(value));
}

/** The platform identity the gateway would give functions by default; the figures do not depend on it. */
const BENCH_PLATFORM = { region: 'ap-guangzhou', appId: '1250000000', uin: '100000000001' };

/** A fully resolved spec for a bench function, as the gateway's registry would build it. */
export function benchSpec(codeDir: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    namespace: 'default',
    name: 'bench',
    version: '$LATEST',
    runtime: 'Nodejs18.15',
    type: 'event',
    handler: 'index.main_handler',
    handlerStyle: 'scf',
    initializer: undefined,
    codeDir,
    layerDirs: [],
    memoryMb: 128,
    timeoutMs: 3_000,
    initTimeoutMs: 30_000,
    environment: {},
    platform: BENCH_PLATFORM,
    ...overrides,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
