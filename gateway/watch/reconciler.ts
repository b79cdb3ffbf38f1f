/**
 * The registry-level ManifestReconciler: makes the running `$LATEST`s match a freshly loaded fngate.yml.
 * A function whose configuration or code/layer files changed, or that the watcher saw touched, gets a
 * new `$LATEST` (its old instances finish their requests, then end); a function gone from the manifest
 * is removed; the others keep their warm instances. Functions the manifest never declared (made through
 * the API) are left alone.
 */
import type { FunctionConfig, GatewayConfig } from '../config.ts';
import type { Deployments, ManifestReconciler, ReconcileReport } from '../lifecycle/contract.ts';
import { codeFingerprint, configFingerprint } from './fingerprint.ts';

interface DeployedState {
  namespace: string;
  name: string;
  config: string;
  code: string;
}

/** `namespace/name`, as ReconcileReport and `touched` name functions. */
export const functionKey = (config: Pick<FunctionConfig, 'namespace' | 'name'>): string => `${config.namespace}/${config.name}`;

export class RegistryReconciler implements ManifestReconciler {
  readonly #deployments: Deployments;
  /** What runs now of each function the manifest declared. */
  #deployed = new Map<string, DeployedState>();

  constructor(deployments: Deployments) {
    this.#deployments = deployments;
  }

  /** Record `config` as what runs now (the gateway deployed it at start), deploying nothing. */
  async prime(config: GatewayConfig): Promise<void> {
    for (const fn of config.functions) this.#deployed.set(functionKey(fn), await stateOf(fn));
  }

  /**
   * Applies every change it can; if some functions failed to deploy (their previous version keeps
   * serving and a later reconcile retries them), throws one error naming each after the rest is applied.
   */
  async reconcile(config: GatewayConfig, touched: ReadonlySet<string> = new Set()): Promise<ReconcileReport> {
    const report: ReconcileReport = { deployed: [], removed: [], unchanged: [] };
    const declared = new Set<string>();
    const changed: Array<{ fn: FunctionConfig; key: string; state: DeployedState }> = [];
    for (const fn of config.functions) {
      const key = functionKey(fn);
      declared.add(key);
      const state = await stateOf(fn);
      const before = this.#deployed.get(key);
      if (before && before.config === state.config && before.code === state.code && !touched.has(key)) report.unchanged.push(key);
      else changed.push({ fn, key, state });
    }
    const failures: string[] = [];
    const results = await Promise.allSettled(changed.map(({ fn }) => this.#deployments.putLatest(fn)));
    results.forEach((result, i) => {
      const { key, state } = changed[i]!;
      if (result.status === 'fulfilled') {
        this.#deployed.set(key, state);
        report.deployed.push(key);
      } else {
        failures.push(`${key}: ${(result.reason as Error)?.message ?? String(result.reason)}`);
      }
    });
    for (const [key, state] of [...this.#deployed]) {
      if (declared.has(key)) continue;
      await this.#deployments.removeFunction(state.namespace, state.name);
      this.#deployed.delete(key);
      report.removed.push(key);
    }
    if (failures.length > 0) throw new ReconcileError(failures, report);
    return report;
  }
}

/** Some functions could not be deployed; `report` says what was applied. */
export class ReconcileError extends Error {
  readonly report: ReconcileReport;

  constructor(failures: readonly string[], report: ReconcileReport) {
    super(`could not deploy ${failures.join('; ')}`);
    this.name = 'ReconcileError';
    this.report = report;
  }
}

async function stateOf(fn: FunctionConfig): Promise<DeployedState> {
  return { namespace: fn.namespace, name: fn.name, config: configFingerprint(fn), code: await codeFingerprint(fn) };
}
