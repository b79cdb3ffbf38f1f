/**
 * Module resolution in the function's own paths: the isolate asks with and gets back `/var/user/…` and
 * `/opt/…` filenames (so `__filename`, `__dirname`, `require.resolve`, `module.paths` and stack traces read
 * as on SCF), while ModuleResolver works on the host folders behind them.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CODE_ROOT, FunctionLayout, LAYER_ROOT } from './layout.ts';
import { ModuleResolver, type ResolveRecord, type SyntaxLocation } from './modules.ts';

/** What the bridge needs from a resolver (bridge.ts `resolve` / `syntaxLocation`). */
export interface FunctionModules {
  resolve(request: string, parentDir: string, pathOnly: boolean): ResolveRecord;
  syntaxLocation(filename: string): SyntaxLocation | null;
}

/** NODE_PATH as SCF sets it for Node.js (without its runtime's own folder), plus the layers' `nodejs/node_modules`. */
export const VIRTUAL_NODE_PATH = [CODE_ROOT, `${CODE_ROOT}/node_modules`, LAYER_ROOT, `${LAYER_ROOT}/node_modules`, `${LAYER_ROOT}/nodejs/node_modules`].join(':');

export class VirtualModules implements FunctionModules {
  readonly #resolver: ModuleResolver;
  readonly #layout: FunctionLayout;
  /** [host folder, virtual root] pairs, longest host folder first, to rewrite paths inside messages. */
  readonly #prefixes: Array<[string, string]>;

  constructor(codeDir: string, layerDirs: readonly string[]) {
    this.#resolver = new ModuleResolver(codeDir, layerDirs);
    this.#layout = new FunctionLayout(codeDir, layerDirs, () => {
      throw new Error('modules never load from /tmp');
    });
    this.#prefixes = [[resolve(codeDir), CODE_ROOT] as [string, string], ...layerDirs.map((dir): [string, string] => [resolve(dir), LAYER_ROOT])].sort((a, b) => b[0].length - a[0].length);
  }

  resolveEntry(file: string): ResolveRecord | null {
    const record = this.#resolver.resolveEntry(file);
    return record === null ? null : this.#record(record);
  }

  resolve(request: string, parentDir: string, pathOnly: boolean): ResolveRecord {
    const parents = this.#hostCandidates(parentDir);
    const requests = request.startsWith('/') ? this.#hostCandidates(request) : [request];
    let record: ResolveRecord = { code: 'MODULE_NOT_FOUND', message: `Cannot find module '${request}'` };
    for (const hostParent of parents.length > 0 ? parents : [parentDir]) {
      for (const hostRequest of requests) {
        record = this.#resolver.resolve(hostRequest, hostParent, pathOnly);
        if (record.code === undefined) return this.#record(record);
      }
    }
    return record.code === 'MODULE_NOT_FOUND' ? { code: record.code, message: `Cannot find module '${request}'` } : this.#record(record);
  }

  syntaxLocation(filename: string): SyntaxLocation | null {
    for (const host of this.#layout.toHost(filename)) {
      const found = this.#resolver.syntaxLocation(host);
      if (found !== null) return { location: this.#rewrite(found.location), excerpt: found.excerpt };
    }
    return null;
  }

  /** Host paths for a virtual one, existing ones first (a folder may exist in several layers). */
  #hostCandidates(virtual: string): string[] {
    const all = this.#layout.toHost(virtual);
    return all.length > 1 ? [...all.filter((path) => existsSync(path)), ...all.filter((path) => !existsSync(path))] : all;
  }

  #record(record: ResolveRecord): ResolveRecord {
    if (record.code !== undefined) return { code: record.code, message: this.#rewrite(record.message) };
    return { ...record, filename: this.#layout.toVirtual(record.filename) ?? record.filename };
  }

  #rewrite(text: string): string {
    let out = text;
    for (const [host, virtual] of this.#prefixes) out = out.replaceAll(host, virtual);
    return out;
  }
}
