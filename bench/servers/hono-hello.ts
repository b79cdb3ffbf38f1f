/** Row (a) of the `http` benchmark: bare Hono on @hono/node-server, parse the POSTed JSON, answer JSON. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { BENCH_HOST, portFromArgv } from './args.ts';

const app = new Hono();
app.post('/functions/:name/invoke', async (c) => {
  const event = (await c.req.json()) as { name?: string };
  return c.json({ hello: event.name ?? 'world' });
});

serve({ fetch: app.fetch, port: portFromArgv(), hostname: BENCH_HOST });
