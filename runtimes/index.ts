/**
 * The runtime adapters fngate knows, by runtime kind. Adapters for kinds whose toolchain is absent
 * are still listed; starting an instance reports what to install.
 */
import type { FunctionConfig, NodeRuntimeMode, RuntimeKind } from '../gateway/config.ts';
import type { RuntimeAdapter } from './runtime.ts';
import { customRuntime } from './custom/adapter.ts';
import { goRuntime } from './go/adapter.ts';
import { javaRuntime } from './java/adapter.ts';
import { nodeRuntime } from './node/adapter.ts';
import { nodeProcessRuntime } from './node-process/adapter.ts';
import { phpRuntime } from './php/adapter.ts';
import { pythonRuntime } from './python/adapter.ts';
// [web] web functions and image-style event functions run the user's own server, whatever the runtime.
import { WebRuntime, type WebRuntimeOptions } from './web/index.ts';

export type { RuntimeAdapter } from './runtime.ts';

/** [web] An adapter and the most instances it lets one function have (the web fallback allows one). */
export interface PlacedAdapter {
  adapter: RuntimeAdapter;
  maxInstances: number;
}

export interface AdapterSet {
  get(kind: RuntimeKind): RuntimeAdapter | undefined;
  /**
   * The adapter that serves `config`: [web] the web runtime for `type: web` / `eventInvoke: http`; for
   * Node.js the one its `nodeRuntime` names; else by kind.
   */
  forFunction(config: Pick<FunctionConfig, 'type' | 'eventInvoke' | 'runtimeKind' | 'nodeRuntime'>): PlacedAdapter | undefined;
  close(): Promise<void>;
}

export interface AdapterSetOptions {
  /** [web] */
  web?: WebRuntimeOptions;
}

export function createAdapters(options: AdapterSetOptions = {}): AdapterSet {
  const adapters = new Map<RuntimeKind, RuntimeAdapter>([
    ['nodejs', nodeRuntime],
    ['python', pythonRuntime()],
    ['php', phpRuntime()],
    ['go', goRuntime()],
    ['java', javaRuntime()],
    ['custom', customRuntime()],
  ]);
  // The two ways to run a Node.js event function (fngate.yml `nodeRuntime`); `get('nodejs')` is the default.
  const nodeModes: Record<NodeRuntimeMode, RuntimeAdapter> = { isolate: nodeRuntime, process: nodeProcessRuntime() };
  const web = new WebRuntime(options.web); // [web]
  const get = (kind: RuntimeKind): RuntimeAdapter | undefined => adapters.get(kind);
  return {
    get,
    // [web] begin
    forFunction: (config) => {
      if (config.type === 'web' || config.eventInvoke === 'http') {
        web.warm();
        return { adapter: web, maxInstances: web.maxInstances };
      }
      const adapter = config.runtimeKind === 'nodejs' ? nodeModes[config.nodeRuntime] : get(config.runtimeKind);
      return adapter && { adapter, maxInstances: Infinity };
    },
    // [web] end
    close: async () => {
      await Promise.allSettled([...new Set([...adapters.values(), ...Object.values(nodeModes), web])].map((adapter) => adapter.close?.()));
    },
  };
}
