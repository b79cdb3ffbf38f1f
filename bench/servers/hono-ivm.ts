/**
 * Row (b) of the `http` benchmark, the naive sandbox baseline: Hono plus ONE isolated-vm isolate. Every
 * request copies the body string into the isolate, awaits the handler's promise and copies the JSON
 * string back; no pooling, no batching. Needs `node --no-node-snapshot`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import ivm from 'isolated-vm';
import { BENCH_HOST, portFromArgv } from './args.ts';

const ISOLATE_MEMORY_MB = 128;
const HANDLER_SOURCE = `
globalThis.handler = async (eventJson) => {
  const event = JSON.parse(eventJson);
  return JSON.stringify({ hello: event.name ?? 'world' });
};
`;

const isolate = new ivm.Isolate({ memoryLimit: ISOLATE_MEMORY_MB });
const context = await isolate.createContext();
await context.eval(HANDLER_SOURCE);
const handlerRef: ivm.Reference<(eventJson: string) => Promise<string>> = await context.global.get('handler', { reference: true });

const app = new Hono();
app.post('/functions/:name/invoke', async (c) => {
  const eventJson = await c.req.text();
  const result = await handlerRef.apply(undefined, [eventJson], { arguments: { copy: true }, result: { promise: true, copy: true } });
  return c.body(result, 200, { 'content-type': 'application/json' });
});

serve({ fetch: app.fetch, port: portFromArgv(), hostname: BENCH_HOST });
