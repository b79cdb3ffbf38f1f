/**
 * An alias as the registry's hot path reads it: the main version and the cumulative shares of the
 * others (SCF's `RoutingConfig.AdditionalVersionWeights`), so picking a version is one random number
 * and a short loop, with nothing allocated per call.
 */
import type { AliasRouting } from '../lifecycle/contract.ts';
import { FnError } from '../errors.ts';

export interface AliasRoute {
  main: string;
  /** Each other version with the upper bound of its share in [0, 1): `pick` walks them in order. */
  others: ReadonlyArray<{ version: string; upTo: number }>;
  /** Every version the alias can route to. */
  versions: readonly string[];
}

/** Checks the weights (each in [0, 1], their sum at most 1, no version twice) and compiles the route. */
export function compileAliasRoute(alias: string, routing: AliasRouting): AliasRoute {
  const others: Array<{ version: string; upTo: number }> = [];
  const versions = [routing.version];
  let total = 0;
  for (const { version, weight } of routing.additionalVersionWeights ?? []) {
    if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
      throw new FnError('INVALID_PARAMETER', `alias ${alias}: the weight of version ${version} must be between 0 and 1, not ${weight}`);
    }
    if (versions.includes(version)) {
      throw new FnError('INVALID_PARAMETER', `alias ${alias}: version ${version} is routed to twice`);
    }
    total += weight;
    if (total > 1 + 1e-9) throw new FnError('INVALID_PARAMETER', `alias ${alias}: the additional version weights add up to more than 1`);
    versions.push(version);
    others.push({ version, upTo: total });
  }
  return { main: routing.version, others, versions };
}

/** The version one request runs: another version with its weight's probability, else the main one. */
export function pickVersion(route: AliasRoute): string {
  const { others } = route;
  if (others.length === 0) return route.main;
  const draw = Math.random();
  for (let i = 0; i < others.length; i++) {
    if (draw < others[i]!.upTo) return others[i]!.version;
  }
  return route.main;
}
