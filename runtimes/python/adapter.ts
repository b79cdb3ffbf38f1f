/**
 * Python 3 functions (SPEC §2 `def main_handler(event, context)`), run by shim/bootstrap.py in a
 * function process. Built-ins per SCF's Python images: PYTHONPATH (code folder, then each layer and
 * its python/ folder, in binding order) and PYTHONDONTWRITEBYTECODE.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FunctionSpec } from '../runtime.ts';
import { ShimRuntime, type Interpreter, type InterpreterProfile, type ShimRuntimeAdapter, type ShimRuntimeOptions } from '../subprocess/shim-adapter.ts';

export const PYTHON_SHIM = fileURLToPath(new URL('./shim/bootstrap.py', import.meta.url));
/** The interpreter looked up on the gateway's PATH unless an adapter option names another. */
export const DEFAULT_PYTHON = 'python3';
/** How long resolving the interpreter may take (a pyenv shim runs a shell script first). */
const RESOLVE_TIMEOUT_MS = 10_000;

const run = promisify(execFile);

/**
 * `-s -S`: no user site and no `site` module. SCF's Python 3.7+ images give functions no system
 * site-packages, and site's .pth hooks are the bulk of start-up here (measured on the dev host, Python
 * 3.11.7 under pyenv, 20 runs: `-c pass` 62 ms with site, 12.9 ms with -s -S, 11.2 ms with -I -S).
 * `-u`: stdout/stderr unbuffered, the log sees output as it happens and nothing is lost in a crash.
 * `-B`: no .pyc files written into the code folder, which is the user's and read-only (SCF sets
 * PYTHONDONTWRITEBYTECODE too). Not `-E`/`-I`: PYTHON* variables a function sets keep their meaning.
 */
export const PYTHON_ARGS = ['-u', '-s', '-S', '-B'];

/** Variables Python reads only at start-up, beyond those the shim applies itself at `load`. */
function isStartupVariable(key: string): boolean {
  return key.startsWith('PYTHON') && key !== 'PYTHONPATH' && key !== 'PYTHONDONTWRITEBYTECODE';
}

export const pythonProfile: InterpreterProfile = {
  kind: 'python',

  supports: (runtime) => /^python3/i.test(runtime),

  async resolve(command) {
    // The real binary, not a pyenv shim: the shim is a shell script costing ~150 ms per start here.
    const { stdout } = await run(command, ['-s', '-S', '-c', 'import sys; print(sys.executable)'], {
      timeout: RESOLVE_TIMEOUT_MS,
    });
    const executable = stdout.trim();
    if (!executable) throw new Error(`${command} did not report its executable`);
    return { command: executable, binDirs: [dirname(executable)] } satisfies Interpreter;
  },

  args: () => [...PYTHON_ARGS, PYTHON_SHIM],

  async runtimeVariables(spec: FunctionSpec) {
    const path = [spec.codeDir, ...spec.layerDirs.flatMap((layer) => [layer, join(layer, 'python')])];
    return { PYTHONPATH: path.join(':'), PYTHONDONTWRITEBYTECODE: 'x' };
  },

  neutralVariables: () => ({ PYTHONDONTWRITEBYTECODE: 'x' }),

  canAdopt: (spec) => !Object.keys(spec.environment).some(isStartupVariable),
};

export type PythonRuntimeOptions = ShimRuntimeOptions;

export function pythonRuntime(options: PythonRuntimeOptions = {}): ShimRuntimeAdapter {
  return new ShimRuntime(pythonProfile, DEFAULT_PYTHON, options);
}
