/**
 * Which API gateway endpoint a request reaches, as Tencent's API gateway decides it. Its FAQ ("API 命中
 * 优先级如何确定", cloud.tencent.com/document/product/628/11939) documents nginx `location` rules:
 *
 *   1. a path starting with `=` matches that path exactly, and wins over everything;
 *   2. a path starting with `^~` is a preferential prefix;
 *   3. a path with parameters (`/users/{id}`) is a regular expression;
 *   4. a plain path is a prefix, the longest matching one wins — which is how a framework app deployed
 *      behind one `/` endpoint with method ANY receives every sub-path.
 *
 * Parameters (same FAQ, "前后端参数如何映射") are greedy and may span `/`: `/{a}/{b}` on `/x/y/z` gives
 * a = `x/y`, b = `z`. Inferred where the FAQ is silent: a plain path equal to the request path is an
 * exact match and ranks right after `=` paths (the intuitive reading, and what the cloud console shows);
 * a plain prefix matches at a segment boundary (`/api` takes `/api` and `/api/x`, not `/apix`; a path
 * ending in `/` takes anything under it); among parameter paths the one with more literal characters
 * wins, then the earlier one; for one path an endpoint with the request's method wins over ANY. A path
 * that matches with no endpoint for the method does not stop the search: a `/` ANY endpoint still takes
 * the request. No match at all is a 404.
 */

export const ANY_METHOD = 'ANY';

/** Match classes, best first. */
const Rank = { Exact: 0, PlainExact: 1, PreferredPrefix: 2, Parameters: 3, Prefix: 4 } as const;
type Rank = (typeof Rank)[keyof typeof Rank];

interface CompiledEndpoint<T> {
  value: T;
  method: string;
  index: number;
  rank: Rank;
  /** Exact/prefix paths: the literal path (without `=` / `^~`). */
  literal: string;
  /** Parameter paths. */
  pattern: RegExp | undefined;
  names: string[];
  /** Longer prefixes and more literal characters win within a rank. */
  weight: number;
}

export interface EndpointMatch<T> {
  value: T;
  pathParameters: Record<string, string>;
  /**
   * The path the backend sees relative to the endpoint (FAQ "根据后端 path 如何确定后端 URL"): the part
   * after a plain or `^~` endpoint's path, as an absolute path; the whole path for `=` and parameter
   * endpoints (inferred: the FAQ only shows a prefix).
   */
  relativePath: string;
}

const PARAMETER = /\{([^}/]+)\}/g;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function compile<T>(path: string, method: string, value: T, index: number): CompiledEndpoint<T> {
  const base = { value, method: method.toUpperCase(), index, pattern: undefined, names: [] as string[] };
  if (path.startsWith('=')) return { ...base, rank: Rank.Exact, literal: path.slice(1), weight: path.length - 1 };
  if (path.startsWith('^~')) return { ...base, rank: Rank.PreferredPrefix, literal: path.slice(2), weight: path.length - 2 };
  if (!path.includes('{')) return { ...base, rank: Rank.Prefix, literal: path, weight: path.length };
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const match of path.matchAll(PARAMETER)) {
    source += escapeRegExp(path.slice(last, match.index)) + '(.+)';
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  source += `${escapeRegExp(path.slice(last))}$`;
  return { ...base, rank: Rank.Parameters, literal: path, pattern: new RegExp(source), names, weight: path.replace(PARAMETER, '').length };
}

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/' || prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The endpoints of one gateway, compiled once; `match` is a pure function of method and path. */
export class EndpointMatcher<T> {
  readonly #endpoints: CompiledEndpoint<T>[];

  constructor(endpoints: ReadonlyArray<{ path: string; method: string; value: T }>) {
    this.#endpoints = endpoints.map((endpoint, index) => compile(endpoint.path, endpoint.method, endpoint.value, index));
  }

  match(method: string, path: string): EndpointMatch<T> | undefined {
    const wanted = method.toUpperCase();
    let best: { endpoint: CompiledEndpoint<T>; rank: Rank; parameters: Record<string, string> } | undefined;
    for (const endpoint of this.#endpoints) {
      if (endpoint.method !== wanted && endpoint.method !== ANY_METHOD) continue;
      const found = this.#test(endpoint, path);
      if (!found) continue;
      if (!best || better(endpoint, found.rank, best.endpoint, best.rank)) best = { endpoint, ...found };
    }
    if (!best) return undefined;
    const { endpoint, rank, parameters } = best;
    let relativePath = path;
    if (rank === Rank.Prefix || rank === Rank.PlainExact || rank === Rank.PreferredPrefix) {
      const rest = path.slice(endpoint.literal.length);
      relativePath = rest.startsWith('/') ? rest : `/${rest}`;
    }
    return { value: endpoint.value, pathParameters: parameters, relativePath };
  }

  #test(endpoint: CompiledEndpoint<T>, path: string): { rank: Rank; parameters: Record<string, string> } | undefined {
    switch (endpoint.rank) {
      case Rank.Exact:
        return path === endpoint.literal ? { rank: Rank.Exact, parameters: {} } : undefined;
      case Rank.PreferredPrefix:
        return prefixMatches(endpoint.literal, path) ? { rank: Rank.PreferredPrefix, parameters: {} } : undefined;
      case Rank.Parameters: {
        const match = endpoint.pattern!.exec(path);
        if (!match) return undefined;
        const parameters: Record<string, string> = {};
        endpoint.names.forEach((name, i) => (parameters[name] = decode(match[i + 1]!)));
        return { rank: Rank.Parameters, parameters };
      }
      default:
        if (path === endpoint.literal) return { rank: Rank.PlainExact, parameters: {} };
        return prefixMatches(endpoint.literal, path) ? { rank: Rank.Prefix, parameters: {} } : undefined;
    }
  }
}

function better<T>(a: CompiledEndpoint<T>, aRank: Rank, b: CompiledEndpoint<T>, bRank: Rank): boolean {
  if (aRank !== bRank) return aRank < bRank;
  if (a.weight !== b.weight) return a.weight > b.weight;
  const aAny = a.method === ANY_METHOD;
  if (aAny !== (b.method === ANY_METHOD)) return !aAny;
  return a.index < b.index;
}
