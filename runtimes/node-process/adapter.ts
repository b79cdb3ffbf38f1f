/**
 * Node.js functions in process mode (fngate.yml `nodeRuntime: process`): each instance is a real Node.js
 * child process running shim/bootstrap.cjs under the gateway's own `node`, pooled, pre-warmed and limited
 * like the Python runtime (../subprocess/shim-adapter.ts). User code gets everything Node has: every
 * built-in, native addons (`.node`), child_process, worker_threads, listening sockets, ES module handler
 * files (`.mjs`, or `.js` in a `"type": "module"` package). The handler contract is the isolate mode's.
 *
 * The environment is the function's variables plus SPEC §1 built-ins and NODE_PATH (the code folder and
 * its node_modules, then each layer's `nodejs/node_modules`, `node_modules` and root, as the isolate mode
 * resolves them), never the gateway's; cwd is the code folder; HOME and TMPDIR a private folder removed
 * with the instance.
 *
 * Memory: RSS sampling of the process tree decides (434), as for every function process. V8's old space is
 * capped at the memory size as well (`--max-old-space-size`), so the JavaScript heap alone can never pass
 * it; the process's RSS (heap plus Node's own ~40 MB) reaches the limit first, and the sampler kills it.
 * Memory outside the heap (Buffers, native addons) has the other runtimes' RLIMIT_DATA backstop, set at
 * spawn through prlimit because Node cannot set an rlimit on itself: one huge Buffer fails at once with
 * "Array buffer allocation failed", which the shim reports as 434. A heap that outgrows V8's limit between
 * two samples is fatal in Node, with no JavaScript left to report it; Node's diagnostic report on fatal
 * errors is written instead (FATAL_REPORT_FILE in the process's private folder) and read as 434 here.
 * Heap size and rlimit are fixed when
 * the process starts, so pre-warmed spares are started for PREWARM_MEMORY_MB (the SCF default memory
 * size) and a function of another size gets a fresh process.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModuleResolver } from '../node/modules.ts';
import { FnError } from '../../gateway/errors.ts';
import type { FunctionSpec } from '../runtime.ts';
import { dataRlimitBytes } from '../subprocess/memory.ts';
import type { ExitInfo, FunctionProcess } from '../subprocess/process.ts';
import { ShimRuntime, type Interpreter, type InterpreterProfile, type ShimRuntimeAdapter, type ShimRuntimeOptions } from '../subprocess/shim-adapter.ts';

export const NODE_PROCESS_SHIM = fileURLToPath(new URL('./shim/bootstrap.cjs', import.meta.url));
/** Node's report of a fatal error, written by the shim's process into its private folder (as shim/bootstrap.cjs names it). */
export const FATAL_REPORT_FILE = 'fngate-fatal-report.json';
/** The report's trigger for V8 running out of heap (Node's `OOMErrorHandler`). */
const OOM_TRIGGER = 'OOMError';
/** The memory size pre-warmed spares are started for: SCF's (and fngate.yml's) default `memorySize`. */
export const PREWARM_MEMORY_MB = 128;

/**
 * Variables Node reads only while it starts (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, OpenSSL's configuration,
 * the libuv thread pool size …): a function setting one gets a fresh process spawned with it.
 * NODE_PATH is re-read by the shim at `load`; NODE_ENV is read by user code only.
 */
function isStartupVariable(key: string): boolean {
  return (/^(NODE_|UV_|OPENSSL_|SSL_CERT_)/.test(key) && key !== 'NODE_PATH' && key !== 'NODE_ENV');
}

/** Node's command-line options for a function of `memoryMb`. */
export function nodeOptions(memoryMb: number): string[] {
  return [`--max-old-space-size=${memoryMb}`];
}

export const nodeProcessProfile: InterpreterProfile = {
  kind: 'nodejs',

  supports: (runtime) => /^nodejs/i.test(runtime),

  // The gateway's own Node.js: the same binary whatever `Nodejs16/18/20` the function names.
  resolve: async (command) => ({ command, binDirs: [dirname(command)] }) satisfies Interpreter,

  args: (_interpreter, spec) => [...nodeOptions(spec?.memoryMb ?? PREWARM_MEMORY_MB), NODE_PROCESS_SHIM],

  // Node cannot dup2 stderr onto stdout, and console.log / console.error lines must keep their order.
  mergeStderr: true,

  dataLimitBytes: (spec) => dataRlimitBytes(spec?.memoryMb ?? PREWARM_MEMORY_MB),

  runtimeVariables: async (spec: FunctionSpec) => ({ NODE_PATH: new ModuleResolver(spec.codeDir, spec.layerDirs).nodePath }),

  neutralVariables: () => ({}),

  explainExit: (_info: ExitInfo, process: FunctionProcess, spec: FunctionSpec) => {
    const header = fatalReportHeader(process.tempDir);
    if (header?.trigger !== OOM_TRIGGER) return undefined;
    return new FnError('MEMORY_LIMIT', `the function ran out of memory (${header.event ?? 'heap limit reached'}); its memory size is ${spec.memoryMb} MB`);
  },

  canAdopt: (spec) => spec.memoryMb === PREWARM_MEMORY_MB && !Object.keys(spec.environment).some(isStartupVariable),
};

/** The header of the fatal-error report a dead process left, if any. */
function fatalReportHeader(tempDir: string): { trigger?: string; event?: string } | undefined {
  try {
    return (JSON.parse(readFileSync(join(tempDir, FATAL_REPORT_FILE), 'utf8')) as { header?: { trigger?: string; event?: string } }).header;
  } catch {
    return undefined;
  }
}

export type NodeProcessRuntimeOptions = ShimRuntimeOptions;

export function nodeProcessRuntime(options: NodeProcessRuntimeOptions = {}): ShimRuntimeAdapter {
  return new ShimRuntime(nodeProcessProfile, process.execPath, options);
}
