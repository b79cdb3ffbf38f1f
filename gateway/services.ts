/** What the HTTP routes need from the rest of the gateway, passed down explicitly. */
import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';
import type { AsyncService } from './async/service.ts';
import type { Authenticator } from './auth/authenticate.ts';
import type { InvokeStep } from './invoke/invocation.ts';
import type { LifecycleService, ManifestReconciler } from './lifecycle/contract.ts';
import type { ConcurrencyLimiter } from './concurrency.ts';
import type { FunctionRegistry } from './registry.ts';

export interface GatewayServices {
  registry: FunctionRegistry;
  store: Store;
  invoke: InvokeStep;
  logger: Logger;
  startedAt: number;
  /** Async invocation: the queue, its dispatcher, topics and timer triggers. */
  async: AsyncService;
  /** Checks the credentials of management calls and of invokes of `invokeAuth: token` functions. */
  auth: Authenticator;
  /** The gateway-wide limit of invocations in flight (`gateway.concurrencyLimit`). */
  globalLimiter: ConcurrencyLimiter;
  /** `gateway.recordInvocations`: whether invocations leave records and framed logs in the store. */
  recordInvocations: boolean;
  /** Functions, versions, aliases, namespaces and layers: what the REST routes, API 3.0 and the CLI change. */
  lifecycle: LifecycleService;
  /** Applies a reloaded fngate.yml (hot reload). */
  reconciler: ManifestReconciler;
}
