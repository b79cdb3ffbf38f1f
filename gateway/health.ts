/** `GET /healthz`'s answer, shared by the Hono route (routes/health.ts) and the node listener's fast path. */
import type { GatewayServices } from './services.ts';

export const HEALTH_PATH = '/healthz';

export interface Health {
  status: 'ok';
  /** Milliseconds since the gateway started. */
  uptimeMs: number;
  /** Deployed functions. */
  functions: number;
}

export function healthOf(services: Pick<GatewayServices, 'startedAt' | 'registry'>): Health {
  return { status: 'ok', uptimeMs: Date.now() - services.startedAt, functions: services.registry.list().length };
}
