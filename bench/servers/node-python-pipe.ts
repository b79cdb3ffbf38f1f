/**
 * Rows a and a1 of the `python-http` benchmark, the raw baselines: node:http (no framework: the body is read from
 * the request stream, as the issue asks of every baseline) and ONE python3 child answering NDJSON over its
 * pipes: each request's body goes in as one line, the child answers one
 * line, and answers come back in the order requests went in (the child handles one at a time). No
 * request ids, no context, no timeouts, no logs: the least any gateway in front of Python has to do.
 * With `--one-in-flight` (row a1) a line goes to the child only once the answer before it is back: one
 * request in the child at a time, SCF's one invocation per instance, and the least an SCF gateway has to do.
 *
 *   node-python-pipe.ts <port> [--one-in-flight]
 */
import { createServer } from 'node:http';
import { BENCH_HOST, portFromArgv } from './args.ts';
import { startPipeLoop } from './python-pipe-loop.ts';

const { python, ask } = startPipeLoop({ oneInFlight: process.argv[3] === '--one-in-flight' });
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
