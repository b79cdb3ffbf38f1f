/**
 * Hot reload's ManifestReconciler: the catalog's reconcile (gateway/lifecycle/reconcile.ts) decides by
 * configuration, and a folder `src` or a layer folder is used in place, so an edit inside one changes no
 * configuration. This one adds to `touched` every declared function whose code or layer files changed
 * since the last reconcile (a fingerprint of paths, sizes and modification times), then hands over.
 */
import type { GatewayConfig } from '../config.ts';
import type { ManifestReconciler, ReconcileReport } from '../lifecycle/contract.ts';
import { functionKey } from '../registry.ts';
import { codeFingerprint } from './fingerprint.ts';

export class CodeChangeReconciler implements ManifestReconciler {
  readonly #next: ManifestReconciler;
  /** The code fingerprint of each declared function as last applied. */
  #applied = new Map<string, string>();

  constructor(next: ManifestReconciler) {
    this.#next = next;
  }

  /** Record the code of `config` as what runs now (the gateway applied it at start), applying nothing. */
  async prime(config: GatewayConfig): Promise<void> {
    this.#applied = await fingerprints(config);
  }

  async reconcile(config: GatewayConfig, touched: ReadonlySet<string> = new Set()): Promise<ReconcileReport> {
    const now = await fingerprints(config);
    const changed = new Set(touched);
    for (const [key, code] of now) {
      const before = this.#applied.get(key);
      if (before !== undefined && before !== code) changed.add(key);
    }
    const report = await this.#next.reconcile(config, changed);
    // Only what was applied counts: a function that failed keeps its old fingerprint and is retried.
    for (const key of [...report.deployed, ...report.unchanged]) {
      const code = now.get(key);
      if (code !== undefined) this.#applied.set(key, code);
    }
    for (const key of report.removed) this.#applied.delete(key);
    return report;
  }
}

async function fingerprints(config: GatewayConfig): Promise<Map<string, string>> {
  const entries = await Promise.all(config.functions.map(async (fn) => [functionKey(fn.namespace, fn.name), await codeFingerprint(fn)] as const));
  return new Map(entries);
}
