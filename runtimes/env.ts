/**
 * The environment a function sees (SPEC §1): its own variables plus the built-ins. Built from the spec
 * alone, never from the gateway's own environment, so no secret of the host leaks into functions.
 */
import type { FunctionSpec } from './runtime.ts';

/** Where user code lives inside a sandbox; runtimes without one use the real code folder. */
export const SANDBOX_CODE_ROOT = '/var/user';

export interface BuiltinEnvOptions {
  /** The code folder as the function sees it. @default spec.codeDir */
  codeRoot?: string;
  /** Extra per-runtime variables (NODE_PATH, PYTHONPATH, PHP_INI_SCAN_DIR, CLASSPATH …). */
  runtimeVariables?: Record<string, string>;
}

export function builtinEnvironment(spec: FunctionSpec, options: BuiltinEnvOptions = {}): Record<string, string> {
  return {
    SCF_RUNTIME: spec.runtime,
    SCF_FUNCTIONNAME: spec.name,
    SCF_FUNCTIONVERSION: spec.version,
    SCF_NAMESPACE: spec.namespace,
    SCF_MEMORYSIZE: String(spec.memoryMb),
    SCF_TIMEOUT: String(Math.ceil(spec.timeoutMs / 1000)),
    TENCENTCLOUD_RUNENV: 'SCF',
    TENCENTCLOUD_REGION: spec.platform.region,
    TENCENTCLOUD_APPID: spec.platform.appId,
    TENCENTCLOUD_UIN: spec.platform.uin,
    USER_CODE_ROOT: options.codeRoot ?? spec.codeDir,
    _HANDLER: spec.handler,
    TZ: spec.environment.TZ ?? 'UTC',
    ...options.runtimeVariables,
  };
}

/** The function's full environment: built-ins first, the user's variables override all but the identity. */
export function functionEnvironment(spec: FunctionSpec, options: BuiltinEnvOptions = {}): Record<string, string> {
  const builtins = builtinEnvironment(spec, options);
  return { ...builtins, ...spec.environment, SCF_FUNCTIONNAME: spec.name, SCF_NAMESPACE: spec.namespace };
}

/** SPEC §2 context keys shared by every runtime's context object. */
export interface ScfContextFields {
  request_id: string;
  function_name: string;
  function_version: string;
  namespace: string;
  memory_limit_in_mb: number;
  time_limit_in_ms: number;
  environ: string;
  environment: string;
  tencentcloud_region: string;
  tencentcloud_appid: string;
  tencentcloud_uin: string;
}

export function scfContext(spec: FunctionSpec, requestId: string, env: Record<string, string>): ScfContextFields {
  return {
    request_id: requestId,
    function_name: spec.name,
    function_version: spec.version,
    namespace: spec.namespace,
    memory_limit_in_mb: spec.memoryMb,
    time_limit_in_ms: spec.timeoutMs,
    environ: Object.entries(env).map(([key, value]) => `${key}=${value}`).join(';'),
    environment: JSON.stringify(env),
    tencentcloud_region: spec.platform.region,
    tencentcloud_appid: spec.platform.appId,
    tencentcloud_uin: spec.platform.uin,
  };
}
