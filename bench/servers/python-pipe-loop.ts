import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The python-http baseline's interpreter: the hello handler inline and a loop that answers one NDJSON line per
 * line, started with the flags fngate starts Python with (runtimes/python/adapter.ts PYTHON_ARGS). Used by
 * the baseline server (node-python-pipe.ts) and by bench/profile/python-instance.ts.
 */
export const PYTHON_LOOP = `
import json, sys

def main_handler(event, context):
    return {"hello": event.get("name", "world")}

read, write, flush = sys.stdin.readline, sys.stdout.write, sys.stdout.flush
while True:
    line = read()
    if not line:
        break
    write(json.dumps(main_handler(json.loads(line), None)) + "\\n")
    flush()
`;
/** The flags fngate starts Python with (runtimes/python/adapter.ts PYTHON_ARGS). */
export const PYTHON_LOOP_ARGS = ['-u', '-s', '-S', '-B'];

/**
 * The loop's python3, and `ask`: one line in, its answer line out, answers in the order lines went in.
 * By default every line is written as it comes, so the child finds many waiting at each read (the
 * fastest a pipe can be used). `oneInFlight` writes a line only once the answer to the one before it
 * is back: the child handles one request at a time and sleeps between them, as an SCF instance (one
 * invocation in flight) does.
 */
export function startPipeLoop(options: { oneInFlight?: boolean } = {}): { python: ChildProcess; ask(line: string): Promise<string> } {
  const python = spawn('python3', [...PYTHON_LOOP_ARGS, '-c', PYTHON_LOOP], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<(line: string) => void> = [];
  /** Lines not yet written (oneInFlight only): the first of `waiting` is the one in the child. */
  const unsent: string[] = [];
  let buffered = '';
  // A raw newline in JSON text can only be whitespace (inside strings it must be escaped).
  const send = (line: string): void => void python.stdin!.write(`${line.replace(/[\r\n]/g, ' ')}\n`);
  python.stdout!.setEncoding('utf8');
  python.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.(line);
      const next = unsent.shift();
      if (next !== undefined) send(next);
    }
  });
  const ask = (line: string): Promise<string> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      if (options.oneInFlight && waiting.length > 1) unsent.push(line);
      else send(line);
    });
  return { python, ask };
}
