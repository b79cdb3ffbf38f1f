/** Node.js instances driven directly through a RuntimeAdapter (both modes: isolate and process). */
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import type { LogLine } from '../../runtimes/instance-log.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../../runtimes/runtime.ts';

export const NODE_FIXTURES = fileURLToPath(new URL('../fixtures/node/', import.meta.url));

/** The spec of fixture folder `test/fixtures/node/<fixture>`. */
export function nodeSpec(fixture: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    namespace: 'default',
    name: `node-${fixture}`,
    version: '$LATEST',
    runtime: 'Nodejs18.15',
    type: 'event',
    handler: 'index.main_handler',
    handlerStyle: 'scf',
    initializer: undefined,
    codeDir: `${NODE_FIXTURES}${fixture}`,
    layerDirs: [],
    memoryMb: 128,
    timeoutMs: 3000,
    // Generous: a process-mode start that finds no spare boots a Node.js process, slow on a busy machine.
    initTimeoutMs: 15000,
    environment: {},
    platform: { region: 'ap-guangzhou', appId: '1250000000', uin: '100000000001' },
    ...overrides,
  };
}

/** Creates and starts an instance that the test closes when it ends. */
export async function startedWith(adapter: RuntimeAdapter, t: Test, fnSpec: FunctionSpec): Promise<Instance> {
  const instance = adapter.createInstance(fnSpec);
  t.teardown(() => instance.close());
  await instance.start();
  return instance;
}

export interface Call {
  result: Promise<string>;
  controller: AbortController;
}

export function call(instance: Instance, event: unknown = {}, timeoutMs = 3000, requestId = 'req-1'): Call {
  const controller = new AbortController();
  const result = instance.invoke({ requestId, payload: JSON.stringify(event), deadline: Date.now() + timeoutMs, signal: controller.signal });
  return { result, controller };
}

export async function invoke(instance: Instance, event: unknown = {}, timeoutMs = 3000): Promise<unknown> {
  return JSON.parse(await call(instance, event, timeoutMs).result);
}

export async function failure(promise: Promise<unknown>): Promise<FnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FnError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

export function collect(instance: Instance): LogLine[] {
  const lines: LogLine[] = [];
  instance.log.attach((line) => lines.push(line));
  return lines;
}

export const texts = (lines: LogLine[]): string[] => lines.map((line) => line.text);
