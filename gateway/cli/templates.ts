/**
 * What `fngate init` writes for each runtime: a minimal handler in SCF's own form (SPEC §2, the templates of
 * the SCF docs), for event functions, and an `scf_bootstrap` with its server for web functions (SPEC §4).
 * Every event handler greets `event.name`, so the scaffold's event.json shows a round trip.
 */
import type { RuntimeKind } from '../config.ts';

export interface TemplateFile {
  /** Relative to the function's code folder. */
  path: string;
  content: string;
  executable?: boolean;
}

export interface Template {
  files: TemplateFile[];
  /** The handler fngate.yml names; undefined: the runtime's default. */
  handler: string;
  /** A step to run in the code folder before serving (compiling), if any. */
  build?: string;
}

const NODE_EVENT = `'use strict';
// An SCF event function: return (or throw) from an async handler. Code outside the handler runs once per
// instance (cold start); its state is reused by later invocations.
exports.main_handler = async (event, context) => {
  console.log('event:', JSON.stringify(event));
  return { message: \`Hello, \${event.name ?? 'world'}!\`, requestId: context.request_id };
};
`;

const PYTHON_EVENT = `# -*- coding: utf8 -*-
# An SCF event function: return any JSON-serialisable value; raise to fail the invocation.
import json


def main_handler(event, context):
    print("event: " + json.dumps(event))
    return {"message": "Hello, %s!" % event.get("name", "world"), "requestId": context["request_id"]}
`;

const PHP_EVENT = `<?php
// An SCF event function: $event and $context are objects; return any JSON-encodable value.
function main_handler($event, $context)
{
    print("event: " . json_encode($event) . "\\n");
    $name = isset($event->name) ? $event->name : 'world';
    return ['message' => "Hello, $name!", 'requestId' => $context->request_id];
}
`;

const GO_EVENT = `// An SCF event function in Go: built against github.com/tencentyun/scf-go-lib, which serves the handler.
package main

import (
	"context"
	"fmt"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

type Event struct {
	Name string \`json:"name"\`
}

func hello(ctx context.Context, event Event) (map[string]string, error) {
	name := event.Name
	if name == "" {
		name = "world"
	}
	fmt.Println("event name:", event.Name)
	return map[string]string{"message": fmt.Sprintf("Hello, %s!", name)}, nil
}

func main() {
	cloudfunction.Start(hello)
}
`;

const goMod = (name: string): string => `module ${name}

go 1.18
`;

const JAVA_EVENT = `package example;

import java.util.HashMap;
import java.util.Map;

/** An SCF event function in Java: handler example.Hello::mainHandler, the event mapped to a Map. */
public class Hello {
    public Map<String, Object> mainHandler(Map<String, Object> event) {
        Object name = event.getOrDefault("name", "world");
        System.out.println("event: " + event);
        Map<String, Object> result = new HashMap<>();
        result.put("message", "Hello, " + name + "!");
        return result;
    }
}
`;

// SCF's Custom Runtime bash sample: the bootstrap speaks the Runtime API (SPEC §3) with curl.
const CUSTOM_BOOTSTRAP = `#!/bin/bash
# A Custom Runtime: this bootstrap loads the handler file, reports ready, then serves events from the
# Runtime API one at a time (SPEC §3; SCF's bash sample). Needs curl.
set -euo pipefail

source ./"$(echo "$_HANDLER" | cut -d. -f1).sh"

API="http://$SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT/runtime"
curl -sS -X POST -d " " "$API/init/ready" > /dev/null

while true; do
  EVENT_DATA=$(curl -sS "$API/invocation/next")
  if RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA"); then
    curl -sS -X POST -d "$RESPONSE" "$API/invocation/response" > /dev/null
  else
    curl -sS -X POST -d "$RESPONSE" "$API/invocation/error" > /dev/null
  fi
done
`;

const CUSTOM_HANDLER = `# The handler of the bootstrap: the event JSON is $1; what it prints is the result.
function main_handler () {
  echo "event: $1" 1>&2
  echo "{\\"message\\": \\"Hello from a custom runtime!\\", \\"event\\": $1}"
}
`;

// Web functions: scf_bootstrap starts the server, which listens on port 9000 (PORT where fngate runs
// without a sandbox). fngate puts the runtime's interpreter first on PATH, as SCF's /var/lang/<runtime>/bin.
const NODE_WEB_BOOTSTRAP = `#!/bin/bash
exec node app.js
`;

const NODE_WEB_APP = `'use strict';
// A web function: any HTTP server on port 9000; requests arrive as they were sent.
const http = require('node:http');

const port = Number(process.env.PORT || 9000);
http
  .createServer((req, res) => {
    const body = JSON.stringify({ message: 'Hello from a web function!', method: req.method, path: req.url });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  })
  .listen(port, '0.0.0.0', () => console.log(\`listening on \${port}\`));
`;

const PYTHON_WEB_BOOTSTRAP = `#!/bin/bash
exec python3 -u app.py
`;

const PYTHON_WEB_APP = `# A web function: any HTTP server on port 9000; requests arrive as they were sent.
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"message": "Hello from a web function!", "method": "GET", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port = int(os.environ.get("PORT", "9000"))
print("listening on %d" % port)
ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
`;

const PHP_WEB_BOOTSTRAP = `#!/bin/bash
exec php -S "0.0.0.0:\${PORT:-9000}" index.php
`;

const PHP_WEB_APP = `<?php
// A web function: PHP's built-in server runs this file for every request.
header('Content-Type: application/json');
echo json_encode(['message' => 'Hello from a web function!', 'method' => $_SERVER['REQUEST_METHOD'], 'path' => $_SERVER['REQUEST_URI']]);
`;

/** Runtimes `init` has a web template for. */
export const WEB_KINDS: readonly RuntimeKind[] = ['nodejs', 'python', 'php'];

export function templateFor(kind: RuntimeKind, type: 'event' | 'web', name: string): Template {
  if (type === 'web') {
    const bootstrap = (content: string): TemplateFile => ({ path: 'scf_bootstrap', content, executable: true });
    switch (kind) {
      case 'nodejs':
        return { handler: 'index.main_handler', files: [bootstrap(NODE_WEB_BOOTSTRAP), { path: 'app.js', content: NODE_WEB_APP }] };
      case 'python':
        return { handler: 'index.main_handler', files: [bootstrap(PYTHON_WEB_BOOTSTRAP), { path: 'app.py', content: PYTHON_WEB_APP }] };
      case 'php':
        return { handler: 'index.main_handler', files: [bootstrap(PHP_WEB_BOOTSTRAP), { path: 'index.php', content: PHP_WEB_APP }] };
      default:
        throw new Error(`no web template for ${kind}`);
    }
  }
  switch (kind) {
    case 'nodejs':
      return { handler: 'index.main_handler', files: [{ path: 'index.js', content: NODE_EVENT }] };
    case 'python':
      return { handler: 'index.main_handler', files: [{ path: 'index.py', content: PYTHON_EVENT }] };
    case 'php':
      return { handler: 'index.main_handler', files: [{ path: 'index.php', content: PHP_EVENT }] };
    case 'go':
      return {
        handler: 'main',
        files: [
          { path: 'main.go', content: GO_EVENT },
          { path: 'go.mod', content: goMod(name) },
        ],
        build: 'go mod tidy && CGO_ENABLED=0 go build -o main .',
      };
    case 'java':
      return { handler: 'example.Hello::mainHandler', files: [{ path: 'example/Hello.java', content: JAVA_EVENT }], build: 'javac -d . example/Hello.java' };
    case 'custom':
      return {
        handler: 'index.main_handler',
        files: [
          { path: 'bootstrap', content: CUSTOM_BOOTSTRAP, executable: true },
          { path: 'index.sh', content: CUSTOM_HANDLER },
        ],
      };
  }
}
