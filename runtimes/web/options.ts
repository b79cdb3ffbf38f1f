/**
 * How the web runtime is set up: options and the sandbox mode. Apart from the adapter so the gateway can
 * read them at start-up without loading the runtime, which loads with the first web function.
 */
export type SandboxMode = 'auto' | 'bwrap' | 'none';

export interface WebRuntimeOptions {
  /** `auto`: bubblewrap when it works here, else the host-port fallback. @default 'auto' */
  sandbox?: SandboxMode;
  /** @default 'bwrap' (looked up on PATH) */
  bwrapPath?: string;
  /** Size cap of each instance's /tmp. @default 512 MiB */
  tmpSizeBytes?: number;
  /** Folder for the per-instance socket folders. @default os.tmpdir() */
  runParent?: string;
  /** Told once how instances are isolated (the gateway logs it at start-up). */
  onNotice?: (message: string, level: 'info' | 'warn') => void;
}

/** Parse FNGATE_WEB_SANDBOX-style text; unknown values are an error naming the value. */
export function parseSandboxMode(value: string | undefined): SandboxMode {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'bwrap' || value === 'none') return value;
  throw new Error(`web sandbox mode must be auto, bwrap or none, not "${value}"`);
}
