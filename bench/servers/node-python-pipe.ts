/**
 * Row (a) of the `python-http` benchmark, the raw baseline: node:http (no framework: the body is read from
 * the request stream, as the issue asks of every baseline) and ONE python3 child answering NDJSON over its
 * pipes: each request's body goes in as one line, the child answers one
 * line, and answers come back in the order requests went in (the child handles one at a time). No
 * request ids, no context, no timeouts, no logs: the least any gateway in front of Python has to do.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { BENCH_HOST, portFromArgv } from './args.ts';
import { PYTHON_LOOP, PYTHON_LOOP_ARGS } from './python-pipe-loop.ts';

const python = spawn('python3', [...PYTHON_LOOP_ARGS, '-c', PYTHON_LOOP], { stdio: ['pipe', 'pipe', 'inherit'] });
python.once('exit', (code, signal) => {
  console.error(`python exited (${signal ?? code})`);
  process.exit(1);
});
// The bench harness stops this server's process group, python included; a lone SIGTERM ends both too.
process.once('SIGTERM', () => {
  python.kill();
  process.exit(0);
});

const waiting: Array<(line: string) => void> = [];
let buffered = '';
python.stdout.setEncoding('utf8');
python.stdout.on('data', (chunk: string) => {
  buffered += chunk;
  let newline: number;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    waiting.shift()?.(line);
  }
});

function ask(event: string): Promise<string> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    // A raw newline in JSON text can only be whitespace (inside strings it must be escaped).
    python.stdin.write(`${event.replace(/[\r\n]/g, ' ')}\n`);
  });
}

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
