/**
 * Gateway-wide settings made through the API, kept in the catalog across restarts: the total concurrency
 * (PutTotalConcurrencyConfig). fngate.yml's `gateway.concurrencyLimit` is the declared value; an API
 * change holds across restarts until the file's value changes, which then wins with one warning line (as
 * fngate.yml wins for the functions it names).
 */
import type { GatewayConfig } from '../config.ts';
import type { LifecycleContext } from './context.ts';
import { invalid } from './settings.ts';

const TOTAL_CONCURRENCY_KEY = 'totalConcurrency';

/** The limiter of every invocation in flight (gateway/concurrency.ts). */
export interface TotalConcurrencyLimit {
  readonly limit: number;
  setLimit(limit: number): void;
}

interface StoredTotalConcurrency {
  /** Concurrent invocations, set through the API. */
  limit: number;
  /** fngate.yml's value when it was set, so a later change of the file is seen. */
  declared: number | null;
}

/** At start: the limit the API set, unless fngate.yml declares another value than it did then. */
export async function applyTotalConcurrency(context: LifecycleContext, limiter: TotalConcurrencyLimit, config: GatewayConfig): Promise<void> {
  const text = context.catalog.getSetting(TOTAL_CONCURRENCY_KEY);
  if (text === undefined) return;
  const stored = JSON.parse(text) as StoredTotalConcurrency;
  const declared = config.gateway.concurrencyLimit;
  if (stored.declared === declared) {
    limiter.setLimit(stored.limit);
    return;
  }
  context.logger.warn(
    { declared, api: stored.limit },
    `total concurrency: fngate.yml's gateway.concurrencyLimit (${declared}) replaces the limit set through the API (${stored.limit})`,
  );
  await context.catalog.putSetting(TOTAL_CONCURRENCY_KEY, undefined, context.now());
}

export async function putTotalConcurrency(context: LifecycleContext, limiter: TotalConcurrencyLimit, declared: number | undefined, limit: number): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw invalid(`total concurrency ${limit} is invalid: at least 1 concurrent invocation`);
  const stored: StoredTotalConcurrency = { limit, declared: declared ?? null };
  await context.catalog.putSetting(TOTAL_CONCURRENCY_KEY, JSON.stringify(stored), context.now());
  limiter.setLimit(limit);
}
