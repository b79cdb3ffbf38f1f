/** `GET /healthz`'s answer, shared by the Hono route (routes/health.ts) and the node listener's fast path. */
import type { GatewayServices } from './services.ts';

export const HEALTH_PATH = '/healthz';

export interface Health {
  status: 'ok' | 'unhealthy';
  /** Milliseconds since the gateway started. */
  uptimeMs: number;
  /** Deployed functions. */
  functions: number;
  /** Why the store cannot take writes (disk full, read-only …), when it cannot. */
  store?: string;
}

/** 200, or 503 while the store cannot write: a full or read-only data dir must not look healthy. */
export async function healthOf(services: Pick<GatewayServices, 'startedAt' | 'registry' | 'store'>): Promise<{ status: 200 | 503; body: Health }> {
  const facts = { uptimeMs: Date.now() - services.startedAt, functions: services.registry.list().length };
  try {
    // A real write, cached for a second by the store.
    await services.store.checkWritable();
  } catch (error) {
    return { status: 503, body: { status: 'unhealthy', ...facts, store: error instanceof Error ? error.message : String(error) } };
  }
  return { status: 200, body: { status: 'ok', ...facts } };
}
