/**
 * The environment of a web function's server: SPEC §1 built-ins and the function's own variables
 * (runtimes/env.ts), `SERVERLESS=1` that templates test, `PORT`, and a PATH of its own. Nothing comes from
 * the gateway's environment.
 */
import { dirname } from 'node:path';
import { functionEnvironment, SANDBOX_CODE_ROOT } from '../env.ts';
import type { FunctionSpec } from '../runtime.ts';
import { runtimeBinDir, type Interpreter } from './interpreters.ts';
import { SANDBOX_LAYER_ROOT } from '../sandbox/bwrap.ts';

/** The port the user's server is expected on inside its own network namespace. */
export const WEB_PORT = 9000;
const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];

export interface WebEnvironmentOptions {
  sandboxed: boolean;
  port: number;
  /** The instance's writable scratch folder as the server sees it (/tmp inside a sandbox). */
  tmpDir: string;
  interpreters: Interpreter[];
}

/** NODE_PATH / PYTHONPATH / PHP_INI_SCAN_DIR, as SCF sets them, for the paths the server sees. */
function runtimeVariables(runtime: string, codeRoot: string, layerRoots: string[]): Record<string, string> {
  if (/^nodejs/i.test(runtime)) {
    const paths = [codeRoot, `${codeRoot}/node_modules`, ...layerRoots, ...layerRoots.map((root) => `${root}/node_modules`)];
    return { NODE_PATH: paths.join(':') };
  }
  if (/^python/i.test(runtime)) {
    return { PYTHONPATH: [codeRoot, ...layerRoots].join(':'), PYTHONDONTWRITEBYTECODE: 'x' };
  }
  if (/^php/i.test(runtime)) {
    const paths = [codeRoot, ...layerRoots].map((root) => `${root}/php_extension`);
    return { PHP_INI_SCAN_DIR: paths.join(':') };
  }
  return {};
}

export function webEnvironment(spec: FunctionSpec, options: WebEnvironmentOptions): Record<string, string> {
  const codeRoot = options.sandboxed ? SANDBOX_CODE_ROOT : spec.codeDir;
  const layerRoots = options.sandboxed ? (spec.layerDirs.length > 0 ? [SANDBOX_LAYER_ROOT] : []) : spec.layerDirs;
  // Inside, /var/lang/<runtime>/bin comes first as on SCF; outside, the folders of the host interpreters.
  const first = options.sandboxed
    ? [runtimeBinDir(spec.runtime)].filter((dir): dir is string => dir !== undefined)
    : [...new Set(options.interpreters.map((i) => dirname(i.binary)))];
  return {
    PATH: [...first, ...SYSTEM_PATH].join(':'),
    HOME: options.tmpDir,
    TMPDIR: options.tmpDir,
    LANG: 'C.UTF-8',
    PORT: String(options.port),
    ...functionEnvironment(spec, { codeRoot, runtimeVariables: runtimeVariables(spec.runtime, codeRoot, layerRoots) }),
    SERVERLESS: '1',
  };
}
