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
