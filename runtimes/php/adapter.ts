/**
 * PHP functions (SPEC §2 `function main_handler($event, $context)`), run by shim/bootstrap.php under
 * php-cli in a function process.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FunctionSpec } from '../runtime.ts';
import { ShimRuntime, type Interpreter, type InterpreterProfile, type ShimRuntimeAdapter, type ShimRuntimeOptions } from '../subprocess/shim-adapter.ts';

export const PHP_SHIM = fileURLToPath(new URL('./shim/bootstrap.php', import.meta.url));
/** The interpreter looked up on the gateway's PATH unless an adapter option names another. */
export const DEFAULT_PHP = 'php';
/** Folder of extra .ini files in the code folder and in each layer (SCF's PHP images). */
export const PHP_EXTENSION_DIR = 'php_extension';
const RESOLVE_TIMEOUT_MS = 10_000;

const run = promisify(execFile);

/**
 * Errors go to stderr once (logged, not displayed: CLI would print them to stdout as well), no output
 * buffering so the log sees output as it happens, no time limit (fngate enforces the timeout).
 */
export const PHP_ARGS = [
  '-d', 'display_errors=0',
  '-d', 'log_errors=1',
  '-d', 'html_errors=0',
  '-d', 'output_buffering=0',
  '-d', 'implicit_flush=1',
  '-d', 'max_execution_time=0',
];

export interface PhpInterpreter extends Interpreter {
  /** The scan folder compiled into php (Debian: /etc/php/8.2/cli/conf.d), where its extensions load from. */
  systemScanDir: string;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

export const phpProfile: InterpreterProfile<PhpInterpreter> = {
  kind: 'php',

  supports: (runtime) => /^php/i.test(runtime),

  async resolve(command) {
    const { stdout } = await run(command, ['-n', '-r', 'echo PHP_BINARY, "\\n", PHP_CONFIG_FILE_SCAN_DIR;'], {
      timeout: RESOLVE_TIMEOUT_MS,
    });
    const [binary = '', systemScanDir = ''] = stdout.split('\n');
    if (!binary) throw new Error(`${command} did not report its binary`);
    return { command: binary, binDirs: [dirname(binary)], systemScanDir };
  },

  args: () => [...PHP_ARGS, PHP_SHIM],

  // PHP cannot dup2 without extensions, and echo + error_log() must stay in order in the log.
  mergeStderr: true,

  /**
   * PHP_INI_SCAN_DIR: the code folder's php_extension, then each layer's, as SCF's PHP 8 image orders
   * them, after the system scan folder. Setting the variable replaces php's compiled-in scan folder, and
   * on distribution builds that is where extensions such as posix are enabled, so it stays first.
   */
  async runtimeVariables(spec: FunctionSpec, interpreter) {
    const candidates = [spec.codeDir, ...spec.layerDirs].map((dir) => join(dir, PHP_EXTENSION_DIR));
    const present = await Promise.all(candidates.map(isDirectory));
    const dirs = candidates.filter((_, index) => present[index]);
    return { PHP_INI_SCAN_DIR: [interpreter.systemScanDir, ...dirs].filter(Boolean).join(':') };
  },

  neutralVariables: (interpreter) => ({ PHP_INI_SCAN_DIR: interpreter.systemScanDir }),

  // php reads its .ini files once, at start-up: a function with its own must start its own process.
  canAdopt: (spec, environment, interpreter) =>
    environment.PHP_INI_SCAN_DIR === interpreter.systemScanDir && !('PHPRC' in spec.environment),
};

export type PhpRuntimeOptions = ShimRuntimeOptions;

export function phpRuntime(options: PhpRuntimeOptions = {}): ShimRuntimeAdapter {
  return new ShimRuntime(phpProfile, DEFAULT_PHP, options);
}
