/**
 * Row (a) of the `python-http` benchmark, the raw baseline: node:http (no framework: the body is read from
 * the request stream, as the issue asks of every baseline) and ONE python3 child answering NDJSON over its
 * pipes: each request's body goes in as one line, the child answers one
 * line, and answers come back in the order requests went in (the child handles one at a time). No
 * request ids, no context, no timeouts, no logs: the least any gateway in front of Python has to do.
 */
import { createServer } from 'node:http';
import { BENCH_HOST, portFromArgv } from './args.ts';
import { startPipeLoop } from './python-pipe-loop.ts';

const { python, ask } = startPipeLoop();
python.once('exit', (code, signal) => {
  console.error(`python exited (${signal ?? code})`);
  process.exit(1);
});
// The bench harness stops this server's process group, python included; a lone SIGTERM ends both too.
process.once('SIGTERM', () => {
  python.kill();
  process.exit(0);
});

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void ask(Buffer.concat(chunks).toString('utf8')).then((answer) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
      response.end(answer);
    });
  });
}).listen(portFromArgv(), BENCH_HOST);
