// The `web` benchmark's baseline proxy: a naive Node reverse proxy (node:http server + http.request with a
// keep-alive agent, bodies streamed both ways with pipe, no framework) in front of the same user server
// fngate passes requests to. It starts that server itself, as its own child, so the harness measures both
// in one process group, as it does for fngate (gateway + bridge + server).
//
//   PORT=<proxy port> HOST=127.0.0.1 node bench/servers/web-naive-proxy.mjs <server script>
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const script = process.argv[2];
if (!script) throw new Error('usage: web-naive-proxy.mjs <server script>');

/** A free port for the user's server, from the kernel. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
}

function waitListening(target) {
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = net.connect(target, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => setTimeout(attempt, 10));
    };
    attempt();
  });
}

const target = await freePort();
const server = spawn(process.execPath, [script], { stdio: 'inherit', env: { PATH: process.env.PATH, PORT: String(target), HOST: '127.0.0.1' } });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (server.kill('SIGKILL'), process.exit(0)));
server.once('exit', () => process.exit(1));
await waitListening(target);

const agent = new http.Agent({ keepAlive: true });
http
  .createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  })
  .listen(port, host);
