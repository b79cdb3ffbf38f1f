/**
 * Whether function processes run sandboxed on this machine, decided once per gateway process.
 * `FNGATE_SANDBOX` chooses: `auto` (default) sandboxes when bubblewrap works here and otherwise runs
 * processes unsandboxed after one loud warning on stderr (a developer machine without user namespaces
 * keeps working); `bwrap` makes a missing or broken bubblewrap an error at the first spawn; `none` turns
 * the sandbox off. CI and the image have bubblewrap.
 */
import { probeBwrap } from './bwrap.ts';
import { DEFAULT_TMP_SIZE_BYTES } from './limits.ts';

export interface SandboxHost {
  bwrap: string;
  /** Undefined when this bwrap has no `--size`. */
  tmpSizeBytes: number | undefined;
}

export type SandboxSetting = 'auto' | 'bwrap' | 'none';

export function parseSandboxSetting(value: string | undefined): SandboxSetting {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'bwrap' || value === 'none') return value;
  throw new Error(`FNGATE_SANDBOX must be auto, bwrap or none, not "${value}"`);
}

let resolved: { host: SandboxHost | undefined } | undefined;

/** The sandbox every function process gets, or undefined when processes run unsandboxed. */
export function sandboxHost(): SandboxHost | undefined {
  if (resolved) return resolved.host;
  const setting = parseSandboxSetting(process.env.FNGATE_SANDBOX);
  if (setting === 'none') {
    process.stderr.write('fngate: WARNING: FNGATE_SANDBOX=none: function processes run unsandboxed, as the gateway\'s own user\n');
    resolved = { host: undefined };
    return undefined;
  }
  const bwrap = process.env.FNGATE_BWRAP ?? 'bwrap';
  const probe = probeBwrap(bwrap);
  if (!probe.available) {
    if (setting === 'bwrap') throw new Error(`FNGATE_SANDBOX=bwrap, but bubblewrap does not work here: ${probe.reason}`);
    process.stderr.write(
      `fngate: WARNING: bubblewrap is unavailable (${probe.reason}): function processes run UNSANDBOXED, as the gateway's own user; ` +
        'install bubblewrap and allow user namespaces, or set FNGATE_SANDBOX=bwrap to refuse to run without it\n',
    );
    resolved = { host: undefined };
    return undefined;
  }
  resolved = { host: { bwrap, tmpSizeBytes: probe.tmpSize ? DEFAULT_TMP_SIZE_BYTES : undefined } };
  return resolved.host;
}
