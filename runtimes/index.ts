/**
 * The runtime adapters fngate knows, by runtime kind. Adapters for kinds whose toolchain is absent
 * are still listed; starting an instance reports what to install. Each adapter's module is loaded when
 * the first function of its kind is deployed: a gateway of Node.js functions never loads the Java or
 * web runtime, and start-up pays only for what it serves.
 */
import type { FunctionConfig, NodeRuntimeMode, RuntimeKind } from '../gateway/config.ts';
import type { RuntimeAdapter } from './runtime.ts';
import type { WebRuntime, WebRuntimeOptions } from './web/index.ts';

export type { RuntimeAdapter } from './runtime.ts';

/** [web] An adapter and the most instances it lets one function have (the web fallback allows one). */
export interface PlacedAdapter {
  adapter: RuntimeAdapter;
  maxInstances: number;
}

export interface AdapterSet {
  /**
   * The adapter that serves `config`: [web] the web runtime for `type: web` / `eventInvoke: http`; for
   * Node.js the one its `nodeRuntime` names; else by kind. Loads the adapter's module on first use.
   */
  forFunction(config: Pick<FunctionConfig, 'type' | 'eventInvoke' | 'runtimeKind' | 'nodeRuntime'>): Promise<PlacedAdapter | undefined>;
  close(): Promise<void>;
}

export interface AdapterSetOptions {
  /** [web] */
  web?: WebRuntimeOptions;
}

type AdapterName = RuntimeKind | 'node-process';

/** How each adapter is made, by the module that holds it. */
const LOADERS: Record<AdapterName, () => Promise<RuntimeAdapter>> = {
  nodejs: async () => (await import('./node/adapter.ts')).nodeRuntime,
  'node-process': async () => (await import('./node-process/adapter.ts')).nodeProcessRuntime(),
  python: async () => (await import('./python/adapter.ts')).pythonRuntime(),
  php: async () => (await import('./php/adapter.ts')).phpRuntime(),
  go: async () => (await import('./go/adapter.ts')).goRuntime(),
  java: async () => (await import('./java/adapter.ts')).javaRuntime(),
  custom: async () => (await import('./custom/adapter.ts')).customRuntime(),
};

/** The two ways to run a Node.js event function (fngate.yml `nodeRuntime`). */
const NODE_MODES: Record<NodeRuntimeMode, AdapterName> = { isolate: 'nodejs', process: 'node-process' };

export function createAdapters(options: AdapterSetOptions = {}): AdapterSet {
  const loaded = new Map<AdapterName, Promise<RuntimeAdapter>>();
  const adapter = (name: AdapterName): Promise<RuntimeAdapter> => {
    let made = loaded.get(name);
    if (made === undefined) {
      made = LOADERS[name]();
      loaded.set(name, made);
    }
    return made;
  };
  let web: Promise<WebRuntime> | undefined; // [web]
  return {
    forFunction: async (config) => {
      // [web] begin
      if (config.type === 'web' || config.eventInvoke === 'http') {
        web ??= import('./web/index.ts').then(({ WebRuntime }) => new WebRuntime(options.web));
        const runtime = await web;
        runtime.warm();
        return { adapter: runtime, maxInstances: runtime.maxInstances };
      }
      // [web] end
      const name = config.runtimeKind === 'nodejs' ? NODE_MODES[config.nodeRuntime] : config.runtimeKind;
      if (!(name in LOADERS)) return undefined;
      return { adapter: await adapter(name), maxInstances: Infinity };
    },
    close: async () => {
      const made = await Promise.allSettled([...loaded.values(), ...(web ? [web] : [])]);
      await Promise.allSettled(made.map((result) => (result.status === 'fulfilled' ? result.value.close?.() : undefined)));
    },
  };
}
