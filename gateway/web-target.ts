/**
 * Which web function a request is for (SPEC §4), decided from the Host header first, then the path:
 *
 *   Host `<name>.<namespace>.localhost[:port]`, `<name>.localhost` (namespace default), or a host listed
 *   in the function's `domains`     → the full path and query go to the function unchanged;
 *   `/web/<name>/<path…>` (namespace default) or `/web/<name>.<namespace>/<path…>`
 *                                   → the function sees `/<path…>` and the query.
 *
 * Function and namespace names cannot contain dots, so both forms are unambiguous. Host-based targets
 * win over every other route; a Host that names no web function falls through to the normal routes.
 */
import { FnError } from './errors.ts';
import { DEFAULT_NAMESPACE, type DeployedFunction, type FunctionRegistry } from './registry.ts';

export const WEB_PATH_PREFIX = '/web/';
export const LOCAL_WEB_SUFFIX = '.localhost';
/** The custom-domain index is rebuilt at most this often, so requests do not scan every function. */
const DOMAIN_INDEX_TTL_MS = 1000;

export interface WebTarget {
  fn: DeployedFunction;
  /** Path and query as the function's server sees them. */
  path: string;
}

/** The host name of a Host header, lowercased, without port or trailing dot; undefined for IP literals in brackets. */
export function hostName(host: string | undefined): string | undefined {
  if (!host || host.startsWith('[')) return undefined;
  const name = host.split(':', 1)[0]!.toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export class WebTargets {
  readonly #registry: FunctionRegistry;
  #domains = new Map<string, DeployedFunction>();
  #domainsBuiltAt = Number.NEGATIVE_INFINITY;
  #domainsGeneration = -1;

  constructor(registry: FunctionRegistry) {
    this.#registry = registry;
  }

  /** The target of a request, undefined when it is not for a web function; throws 435/436 under /web/. */
  resolve(host: string | undefined, url: string): WebTarget | undefined {
    const byHost = this.byHost(host);
    if (byHost) return { fn: byHost, path: url };
    return this.byPath(url);
  }

  byHost(host: string | undefined): DeployedFunction | undefined {
    const name = hostName(host);
    if (!name) return undefined;
    if (name.endsWith(LOCAL_WEB_SUFFIX)) {
      const labels = name.slice(0, -LOCAL_WEB_SUFFIX.length).split('.');
      if (labels.length === 1) return this.#find(labels[0]!, DEFAULT_NAMESPACE);
      if (labels.length === 2) return this.#find(labels[0]!, labels[1]!);
      return undefined;
    }
    return this.#domainIndex().get(name);
  }

  byPath(url: string): WebTarget | undefined {
    if (!url.startsWith(WEB_PATH_PREFIX)) return undefined;
    const rest = url.slice(WEB_PATH_PREFIX.length);
    const end = rest.search(/[/?]/);
    const segment = end < 0 ? rest : rest.slice(0, end);
    let target: string;
    try {
      target = decodeURIComponent(segment);
    } catch {
      throw new FnError('INVALID_PARAMETER', `invalid function name in ${WEB_PATH_PREFIX}${segment}`);
    }
    const dot = target.indexOf('.');
    const name = dot < 0 ? target : target.slice(0, dot);
    const namespace = dot < 0 ? DEFAULT_NAMESPACE : target.slice(dot + 1);
    const fn = this.#registry.lookup(namespace, name);
    if (fn.config.type !== 'web') {
      throw new FnError('INVALID_PARAMETER', `function ${name} is not a web function (type: ${fn.config.type})`);
    }
    const path = end < 0 ? '' : rest.slice(end);
    return { fn, path: path.startsWith('/') ? path : `/${path}` };
  }

  /** Host names are case-insensitive; function names are matched the same way here. */
  #find(name: string, namespace: string): DeployedFunction | undefined {
    return this.#registry
      .list()
      .find(
        (fn) =>
          fn.config.type === 'web' &&
          fn.config.name.toLowerCase() === name &&
          fn.config.namespace.toLowerCase() === namespace,
      );
  }

  #domainIndex(): Map<string, DeployedFunction> {
    const now = Date.now();
    // A redeploy (registry generation) rebuilds it at once: its entries are the versions that serve.
    const generation = this.#registry.generation;
    if (now - this.#domainsBuiltAt < DOMAIN_INDEX_TTL_MS && generation === this.#domainsGeneration) return this.#domains;
    const index = new Map<string, DeployedFunction>();
    for (const fn of this.#registry.list()) {
      if (fn.config.type !== 'web') continue;
      for (const domain of fn.config.domains) index.set(hostName(domain) ?? domain, fn);
    }
    this.#domains = index;
    this.#domainsBuiltAt = now;
    this.#domainsGeneration = generation;
    return index;
  }
}
