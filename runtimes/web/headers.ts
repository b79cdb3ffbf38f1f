/** SPEC §4: the platform headers every request to a web function (and every /event-invoke) carries. */
import type { FunctionSpec } from '../runtime.ts';

export const SCF_HEADER_PREFIX = 'x-scf-';

export function scfHeaders(spec: FunctionSpec, requestId: string): Record<string, string> {
  return {
    'X-Scf-Request-Id': requestId,
    'X-Scf-Memory': String(spec.memoryMb),
    'X-Scf-Timeout': String(spec.timeoutMs),
    'X-Scf-Version': spec.version,
    'X-Scf-Name': spec.name,
    'X-Scf-Namespace': spec.namespace,
    'X-Scf-Region': spec.platform.region,
    'X-Scf-Appid': spec.platform.appId,
    'X-Scf-Uin': spec.platform.uin,
  };
}
