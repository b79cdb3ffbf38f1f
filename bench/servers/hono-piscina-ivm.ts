/**
 * Row (e) of the `http` benchmark, the alternative design for running isolates: Hono plus a piscina pool
 * of worker threads (one per CPU), each holding one isolated-vm isolate that it calls synchronously.
 * Compared with row (b) (async calls from the main thread) it answers the design question of where
 * isolates should run. Needs `node --no-node-snapshot`.
 */
import { availableParallelism } from 'node:os';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Piscina } from 'piscina';
import { BENCH_HOST, portFromArgv } from './args.ts';

const pool = new Piscina({
  filename: new URL('./piscina-ivm-worker.mjs', import.meta.url).href,
  maxThreads: availableParallelism(),
  minThreads: availableParallelism(),
  // No tsx in the workers: the worker file is plain JS (--no-node-snapshot is process-wide already).
  execArgv: [],
});

const app = new Hono();
app.post('/functions/:name/invoke', async (c) => {
  const eventJson = await c.req.text();
  const result = (await pool.run(eventJson)) as string;
  return c.body(result, 200, { 'content-type': 'application/json' });
});

serve({ fetch: app.fetch, port: portFromArgv(), hostname: BENCH_HOST });
