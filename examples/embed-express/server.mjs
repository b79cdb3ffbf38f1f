// fngate embedded in an Express application: the app calls a function directly (gateway.invoke) and mounts
// the whole fngate API under /fngate (gateway.listener, a node request listener). Run: npm start.
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createGateway, InvokeError } from 'fngate';

const gateway = await createGateway({
  dir: fileURLToPath(new URL('.', import.meta.url)),
  functions: { hello: { src: './functions/hello', handler: 'index.main_handler', runtime: 'Nodejs18.15' } },
  dataDir: fileURLToPath(new URL('./.fngate', import.meta.url)),
});

const app = express();
app.get('/', (req, res) => res.type('text').send('my app, with fngate under /fngate'));
app.get('/greet/:name', async (req, res, next) => {
  try {
    res.json(await gateway.invoke('hello', { name: req.params.name }));
  } catch (error) {
    if (error instanceof InvokeError) res.status(error.statusCode).json({ error: error.message });
    else next(error);
  }
});
// Express strips the mount path, so the gateway sees /functions/hello/invoke.
app.use('/fngate', gateway.listener);

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => gateway.close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
