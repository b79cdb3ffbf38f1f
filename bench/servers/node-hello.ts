/**
 * The HTTP ceiling without a framework: node:http, the POSTed body read from the request stream and
 * parsed as the event, `{"hello": name}` answered. What one server CPU does for any POST when nothing
 * bridges node's request to web Request/Response objects (Hono's bridge alone costs several times this).
 */
import { createServer } from 'node:http';
import { BENCH_HOST, portFromArgv } from './args.ts';

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let name = 'world';
    try {
      name = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { name?: string }).name ?? name;
    } catch {
      response.writeHead(400).end();
      return;
    }
    const body = JSON.stringify({ hello: name });
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  });
}).listen(portFromArgv(), BENCH_HOST);
