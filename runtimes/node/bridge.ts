/**
 * The functions the isolate can call on the host. Calls that only report something (log lines, timers,
 * fetch starts, an invocation's outcome) are `ignored` callbacks: the isolate never waits for the host.
 * Calls that must answer (module resolution, URL parsing, random bytes, digests) are sync; each blocks the
 * isolate's thread until the host's event loop runs it, which is fine for these short, rare calls.
 * Stateless helpers are created once per process and shared by every isolate.
 */
import { createHash, createHmac, getHashes, getRandomValues } from 'node:crypto';
import { format as formatLegacyUrl, parse as parseLegacyUrl, resolve as resolveLegacyUrl } from 'node:url';
import ivm from 'isolated-vm';
import type { FetchRequestData } from './fetch.ts';
import type { ResolveRecord, SyntaxLocation } from './modules.ts';
import type { FunctionModules } from './virtual-modules.ts';

/** What the host sends into the isolate's `dispatch`; must match shim/invoke.js. */
export const DispatchKind = { TIMER: 0, FETCH_DONE: 1, FETCH_FAILED: 2, SERVICE: 3 } as const;

/** The per-instance side of the bridge. */
export interface InstanceHooks {
  /** One console write; `droppedBytes`/`droppedLines`: output the isolate only counted (over its budget). */
  log(text: string, time: number, droppedBytes?: number, droppedLines?: number): void;
  timerStart(id: number, delayMs: number, kind: number): void;
  timerClear(id: number): void;
  fetchStart(id: number, request: FetchRequestData): void;
  fetchAbort(id: number): void;
  exit(code: number): void;
  /** The outcome of the invocation in flight (shim/invoke.js: '0' + JSON result or '1' + described error). */
  done(outcome: string): void;
  /** The isolate ended (its death watch was abandoned: spares.ts). */
  died(): void;
  /** [used heap, total heap, external] bytes, as last measured (never asks the busy isolate). */
  memory(): [number, number, number];
  /** The callbacks of host service `name` (builtins/index.ts), made on first use; null for an unknown name. */
  service(name: string): Record<string, ivm.Callback | ivm.Reference> | null;
  /** The body function of on-demand shim part `name`, compiled in the instance's isolate; null for an unknown name. */
  shimPart(name: string): unknown;
}

/** The host object handed to the shim: every value is an ivm.Callback, a plain function inside. */
export type HostObject = Record<string, ivm.Callback>;

const URL_FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;
type UrlField = (typeof URL_FIELDS)[number];
const SETTABLE_URL_FIELDS = new Set<string>(URL_FIELDS.filter((field) => field !== 'origin'));
/** Largest random request served in one call (the shim pools 4 KB at a time). */
const MAX_RANDOM_BYTES = 1 << 20;

function urlParts(url: URL): string[] {
  return URL_FIELDS.map((field) => url[field]);
}

function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

let shared: HostObject | undefined;

function sharedCallbacks(): HostObject {
  shared ??= {
    urlParse: new ivm.Callback((input: string, base?: string): string[] | null => {
      const url = URL.parse(input, base);
      return url === null ? null : urlParts(url);
    }),
    urlSet: new ivm.Callback((href: string, field: string, value: string): string[] | null => {
      if (!SETTABLE_URL_FIELDS.has(field)) return null;
      const url = URL.parse(field === 'href' ? value : href);
      if (url === null) return null;
      if (field !== 'href') url[field as Exclude<UrlField, 'origin'>] = value;
      return urlParts(url);
    }),
    urlLegacyParse: new ivm.Callback((input: string, slashesDenoteHost: boolean) => ({ ...parseLegacyUrl(input, false, slashesDenoteHost) })),
    urlLegacyFormat: new ivm.Callback((parts: Record<string, unknown>) => formatLegacyUrl(parts)),
    urlLegacyResolve: new ivm.Callback((from: string, to: string) => resolveLegacyUrl(from, to)),
    randomBytes: new ivm.Callback((size: number) => getRandomValues(new Uint8Array(Math.min(Math.max(0, size | 0), MAX_RANDOM_BYTES)))),
    hashes: new ivm.Callback(() => getHashes()),
    hash: new ivm.Callback((algorithm: string, key: Uint8Array | null, data: Uint8Array) => {
      const hash = key === null ? createHash(algorithm) : createHmac(algorithm, key);
      return bytesOf(hash.update(data).digest());
    }),
    // A string: BigInt does not cross into the isolate.
    hrtime: new ivm.Callback(() => String(process.hrtime.bigint())),
    processFacts: new ivm.Callback(() => ({ versions: { ...process.versions }, release: { ...process.release }, features: { ...process.features } })),
  };
  return shared;
}

/**
 * One isolate's host object and the switch that connects it to an instance. The object is made with the
 * spare isolate (spares.ts), before any function is known, so the shim can be set up ahead of need; its
 * per-instance callbacks reach nothing until `attach` connects the instance that took the isolate. Each
 * isolate has its own link, and a link is attached once: an isolate only ever reaches its own instance.
 */
export interface HostLink {
  readonly host: HostObject;
  attach(hooks: InstanceHooks, resolver: FunctionModules): void;
  /** Tells the attached instance, if any, that the isolate ended. */
  died(): void;
}

/** What a link's callbacks reach before `attach`: the shim's set-up calls none of them. */
const DETACHED_HOOKS: InstanceHooks = {
  log: () => {},
  timerStart: () => {},
  timerClear: () => {},
  fetchStart: () => {},
  fetchAbort: () => {},
  exit: () => {},
  done: () => {},
  died: () => {},
  memory: () => [0, 0, 0],
  service: () => null,
  shimPart: () => null,
};
const DETACHED_RESOLVER: FunctionModules = {
  resolve: (request) => ({ code: 'MODULE_NOT_FOUND', message: `Cannot find module '${request}'` }),
  syntaxLocation: () => null,
};

export function createHostLink(): HostLink {
  let hooks = DETACHED_HOOKS;
  let resolver = DETACHED_RESOLVER;
  const host: HostObject = {
    ...sharedCallbacks(),
    log: new ivm.Callback((text: string, time: number, droppedBytes?: number, droppedLines?: number) => hooks.log(text, time, droppedBytes, droppedLines), {
      ignored: true,
    }),
    timerStart: new ivm.Callback((id: number, delay: number, kind: number) => hooks.timerStart(id, delay, kind), { ignored: true }),
    timerClear: new ivm.Callback((id: number) => hooks.timerClear(id), { ignored: true }),
    fetchStart: new ivm.Callback(
      (id: number, url: string, method: string, headers: Array<[string, string]>, body: Uint8Array | null, redirect: string) =>
        hooks.fetchStart(id, { url, method, headers, body, redirect }),
      { ignored: true },
    ),
    fetchAbort: new ivm.Callback((id: number) => hooks.fetchAbort(id), { ignored: true }),
    exit: new ivm.Callback((code: number) => hooks.exit(code), { ignored: true }),
    done: new ivm.Callback((outcome: string) => hooks.done(outcome), { ignored: true }),
    memory: new ivm.Callback(() => hooks.memory()),
    service: new ivm.Callback((name: string) => hooks.service(name)),
    shimPart: new ivm.Callback((name: string) => hooks.shimPart(name)),
    resolve: new ivm.Callback((request: string, parentDir: string, pathOnly: boolean): ResolveRecord => resolver.resolve(request, parentDir, pathOnly)),
    syntaxLocation: new ivm.Callback((filename: string): SyntaxLocation | null => resolver.syntaxLocation(filename)),
  };
  return {
    host,
    attach(instanceHooks, instanceResolver) {
      if (hooks !== DETACHED_HOOKS) throw new Error('this isolate already serves an instance');
      hooks = instanceHooks;
      resolver = instanceResolver;
    },
    died: () => hooks.died(),
  };
}
