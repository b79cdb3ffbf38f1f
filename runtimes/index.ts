/**
 * The runtime adapters fngate knows, by runtime kind. Adapters for kinds whose toolchain is absent
 * are still listed; starting an instance reports what to install.
 */
import type { RuntimeKind } from '../gateway/config.ts';
import type { RuntimeAdapter } from './runtime.ts';
import { nodeRuntime } from './node/adapter.ts';

export type { RuntimeAdapter } from './runtime.ts';

export interface AdapterSet {
  get(kind: RuntimeKind): RuntimeAdapter | undefined;
  close(): Promise<void>;
}

export function createAdapters(): AdapterSet {
  const adapters = new Map<RuntimeKind, RuntimeAdapter>([['nodejs', nodeRuntime]]);
  return {
    get: (kind) => adapters.get(kind),
    close: async () => {
      await Promise.allSettled([...adapters.values()].map((adapter) => adapter.close?.()));
    },
  };
}
