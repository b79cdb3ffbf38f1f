// fngate embedded in a Hono application: the app calls a function directly (gateway.invoke) and mounts the
// whole fngate API under /fngate (gateway.fetch). Run: npm start (node --no-node-snapshot server.mjs).
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createGateway, InvokeError } from 'fngate';

const gateway = await createGateway({
  dir: fileURLToPath(new URL('.', import.meta.url)),
  functions: { hello: { src: './functions/hello', handler: 'index.main_handler', runtime: 'Nodejs18.15' } },
  dataDir: fileURLToPath(new URL('./.fngate', import.meta.url)),
});

const app = new Hono();
app.get('/', (c) => c.text('my app, with fngate under /fngate'));
app.get('/greet/:name', async (c) => {
  try {
    return c.json(await gateway.invoke('hello', { name: c.req.param('name') }));
  } catch (error) {
    if (error instanceof InvokeError) return c.json({ error: error.message }, error.statusCode);
    throw error;
  }
});
app.mount('/fngate', gateway.fetch);

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => gateway.close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
