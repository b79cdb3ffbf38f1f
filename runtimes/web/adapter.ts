/**
 * The web runtime: serves `type: web` functions and image-style event functions (`eventInvoke: http`)
 * of any runtime, by running the function's own HTTP server. Where bubblewrap can build namespaces each
 * instance gets its own network namespace and port 9000; elsewhere the server runs on a host port given
 * as PORT, and a function gets one instance at most (an unmodified app hard-codes 9000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { findInterpreters } from './interpreters.ts';
import { WebInstance, type WebHostSetup } from './instance.ts';
import { probeBwrap } from '../sandbox/bwrap.ts';
import { DEFAULT_TMP_SIZE_BYTES } from '../sandbox/limits.ts';
import type { WebRuntimeOptions } from './options.ts';
import { PROCESS_STARTS } from '../start-gate.ts';

export { parseSandboxMode, type SandboxMode, type WebRuntimeOptions } from './options.ts';

const BRIDGE_SCRIPT = fileURLToPath(new URL('./bridge.mjs', import.meta.url));

export class WebRuntime implements RuntimeAdapter {
  readonly kind = 'web';
  readonly startGate = PROCESS_STARTS;
  readonly #options: WebRuntimeOptions;
  #sandbox: WebHostSetup['sandbox'] | null = null;
  #setup: Promise<WebHostSetup> | undefined;
  #runRoot: string | undefined;

  constructor(options: WebRuntimeOptions = {}) {
    this.#options = options;
  }

  /** Instances one function may have: unbounded with namespaces, one on the shared host loopback. */
  get maxInstances(): number {
    return this.#resolveSandbox() ? Infinity : 1;
  }

  /** Any runtime: the user's server is started by scf_bootstrap, whatever language it is in. */
  supports(): boolean {
    return true;
  }

  /**
   * Begin the once-per-adapter set-up (sandbox probe, interpreter discovery: 100-200 ms) now, so the
   * first request of a web function does not wait for it. Failures surface at the first start.
   */
  warm(): void {
    this.#prepare().catch(() => undefined);
  }

  createInstance(spec: FunctionSpec): Instance {
    return new WebInstance(spec, () => this.#prepare());
  }

  async close(): Promise<void> {
    await this.#setup?.catch(() => undefined);
    if (this.#runRoot) rmSync(this.#runRoot, { recursive: true, force: true });
    this.#runRoot = undefined;
    this.#setup = undefined;
  }

  #resolveSandbox(): WebHostSetup['sandbox'] {
    if (this.#sandbox !== null) return this.#sandbox;
    const mode = this.#options.sandbox ?? 'auto';
    const bwrap = this.#options.bwrapPath ?? 'bwrap';
    const notice = this.#options.onNotice ?? (() => undefined);
    if (mode === 'none') {
      this.#sandbox = undefined;
      notice('web functions run without a sandbox (sandbox: none): each server gets PORT on the host loopback, one instance per function', 'warn');
      return undefined;
    }
    const probe = probeBwrap(bwrap);
    if (probe.available) {
      const tmpSizeBytes = probe.tmpSize ? (this.#options.tmpSizeBytes ?? DEFAULT_TMP_SIZE_BYTES) : undefined;
      this.#sandbox = { bwrap, tmpSizeBytes };
      notice(
        `web functions run in bubblewrap sandboxes (own network namespace, port 9000)${probe.tmpSize ? '' : '; this bwrap has no --size, so /tmp is not capped'}`,
        probe.tmpSize ? 'info' : 'warn',
      );
      return this.#sandbox;
    }
    if (mode === 'bwrap') throw new Error(`web sandbox: bwrap does not work here: ${probe.reason}`);
    this.#sandbox = undefined;
    notice(
      `bubblewrap is unavailable (${probe.reason}): web functions get PORT on the host loopback and one instance each; apps that hard-code port 9000 need 9000 free on the host`,
      'warn',
    );
    return undefined;
  }

  #prepare(): Promise<WebHostSetup> {
    this.#setup ??= (async () => {
      const sandbox = this.#resolveSandbox();
      const interpreters = await findInterpreters(process.execPath);
      // Unix socket paths are limited to ~107 bytes: keep the folder short.
      this.#runRoot = mkdtempSync(join(this.#options.runParent ?? tmpdir(), 'fngate-web-'));
      return { sandbox, interpreters, runRoot: this.#runRoot, bridgeScript: BRIDGE_SCRIPT };
    })();
    return this.#setup;
  }
}
