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

/** The loop's python3, and `ask`: one line in, its answer line out, answers in the order lines went in. */
export function startPipeLoop(): { python: ChildProcess; ask(line: string): Promise<string> } {
  const python = spawn('python3', [...PYTHON_LOOP_ARGS, '-c', PYTHON_LOOP], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<(line: string) => void> = [];
  let buffered = '';
  python.stdout!.setEncoding('utf8');
  python.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.(line);
    }
  });
  const ask = (line: string): Promise<string> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      // A raw newline in JSON text can only be whitespace (inside strings it must be escaped).
      python.stdin!.write(`${line.replace(/[\r\n]/g, ' ')}\n`);
    });
  return { python, ask };
}
