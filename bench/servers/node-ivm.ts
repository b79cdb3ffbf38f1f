/**
 * The isolate baselines of the `http` benchmark, on plain node:http (no framework; the body is read from the
 * request stream and is the event). `pool`: one isolate per request in flight, kept in a LIFO pool and grown
 * on demand, as SCF runs one invocation per instance at a time — fngate's semantics without its features
 * (no records, no logs, no limits). `one`: every request goes into the same isolate. Needs
 * `node --no-node-snapshot`. Usage: node-ivm.ts <port> pool|one
 */
import { createServer } from 'node:http';
import ivm from 'isolated-vm';
import { BENCH_HOST, portFromArgv } from './args.ts';

const ISOLATE_MEMORY_MB = 128;
const HANDLER_SOURCE = `
globalThis.handler = async (eventJson) => {
  const event = JSON.parse(eventJson);
  return JSON.stringify({ hello: event.name ?? 'world' });
};
`;
const CALL_OPTIONS = { arguments: { copy: true }, result: { promise: true, copy: true } } as const;

type Handler = ivm.Reference<(eventJson: string) => Promise<string>>;

function newHandler(): Handler {
  const isolate = new ivm.Isolate({ memoryLimit: ISOLATE_MEMORY_MB });
  const context = isolate.createContextSync();
  context.evalSync(HANDLER_SOURCE);
  return context.global.getSync('handler', { reference: true }) as Handler;
}

const mode = process.argv[3] ?? 'pool';
if (mode !== 'pool' && mode !== 'one') throw new Error(`usage: node-ivm.ts <port> pool|one (got ${mode})`);
const shared = mode === 'one' ? newHandler() : undefined;
const idle: Handler[] = [];

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const handler = shared ?? idle.pop() ?? newHandler();
    const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
    handler.apply(undefined, [text], CALL_OPTIONS).then(
      (result) => {
        if (!shared) idle.push(handler);
        const text = result as unknown as string;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      },
    );
  });
}).listen(portFromArgv(), BENCH_HOST);

// Exit normally on SIGTERM, so that `node --cpu-prof` writes its profile (bench/cpu-budget.ts).
process.once('SIGTERM', () => process.exit(0));
