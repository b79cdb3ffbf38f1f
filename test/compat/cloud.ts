/**
 * The local HTTP server the compatibility cases talk to instead of the internet: plain HTTP endpoints for
 * the HTTP clients, a WebSocket echo, and stand-ins for the two Tencent Cloud APIs the SDK cases call,
 * which check signatures and answer the way the cloud does:
 * - COS (XML API, `q-sign-algorithm=sha1` Authorization): PUT/GET/HEAD/DELETE objects kept in memory;
 *   a bad signature is 403 SignatureDoesNotMatch, a missing key 404 NoSuchKey.
 * - TencentCloud API 3.0 (`TC3-HMAC-SHA256`, action in X-TC-Action): ListFunctions, Invoke, GetFunction;
 *   errors in `Response.Error` as the cloud returns them.
 * Answers are deterministic (request ids derive from the request), so a case's result is the same in the
 * isolate, the process and the Node oracle.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface Cloud {
  url: string;
  host: string;
  secretId: string;
  secretKey: string;
  close(): Promise<void>;
}

const SECRET_ID = 'AKIDcompat0000000000000000000000000';
const SECRET_KEY = 'compat-secret-key-0000000000000000';

/** `fixtureRequire` resolves packages from the fixture's node_modules (the `ws` server). */
export async function startCloud(fixtureDir: string): Promise<Cloud> {
  const objects = new Map<string, { body: Buffer; type: string }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        if (req.headers['x-tc-action']) tencentCloudApi(req, res, body);
        else if (String(req.headers.authorization ?? '').startsWith('q-sign-algorithm=')) cos(req, res, body, objects);
        else plain(req, res, body);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String((error as Error).stack));
      }
    });
  });
  const fixtureRequire = createRequire(`${fixtureDir}/package.json`);
  const { WebSocketServer } = fixtureRequire('ws') as { WebSocketServer: new (options: object) => any };
  const sockets = new WebSocketServer({ server, path: '/ws' });
  sockets.on('connection', (socket: any) => {
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(value));
}

function plain(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://local');
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) {
    res.writeHead(Number(status[1]), { 'content-type': 'text/plain' }).end(`status ${status[1]}`);
  } else if (url.pathname === '/json') {
    json(res, 200, { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) });
  } else if (url.pathname === '/echo') {
    json(res, 200, { method: req.method, contentType: req.headers['content-type'] ?? null, case: req.headers['x-case'] ?? null, body: body.toString() });
  } else if (url.pathname === '/gzip') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ compressed: true, items: [1, 2, 3] })));
  } else if (url.pathname === '/multipart') {
    json(res, 200, { method: req.method, parts: parseMultipart(String(req.headers['content-type']), body) });
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

function parseMultipart(contentType: string, body: Buffer): Array<Record<string, string>> {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) return [];
  return body
    .toString('latin1')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const [head = '', ...rest] = part.replace(/^\r\n/, '').split('\r\n\r\n');
      const disposition = /content-disposition: form-data; name="([^"]+)"(?:; filename="([^"]+)")?/i.exec(head);
      const type = /content-type: (.+)/i.exec(head)?.[1] ?? '';
      return { name: disposition?.[1] ?? '', filename: disposition?.[2] ?? '', type, data: rest.join('\r\n\r\n').replace(/\r\n$/, '') };
    });
}

// --- COS ------------------------------------------------------------------------------------------

/** COS's URL encoding for signatures: encodeURIComponent plus !'()*. */
const cosEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function cosSignatureValid(req: IncomingMessage, path: string, query: URLSearchParams): boolean {
  const fields = new URLSearchParams(String(req.headers.authorization));
  const keyTime = fields.get('q-key-time') ?? '';
  if (fields.get('q-ak') !== SECRET_ID) return false;
  const list = (name: string) => (fields.get(name) ?? '').split(';').filter(Boolean);
  const lowerQuery = new Map([...query].map(([k, v]) => [k.toLowerCase(), v]));
  const params = list('q-url-param-list').map((k) => `${k}=${cosEncode(lowerQuery.get(k) ?? '')}`).join('&');
  const headers = list('q-header-list').map((k) => `${k}=${cosEncode(String(req.headers[k] ?? ''))}`).join('&');
  const httpString = `${req.method!.toLowerCase()}\n${decodeURIComponent(path)}\n${params}\n${headers}\n`;
  const stringToSign = `sha1\n${keyTime}\n${createHash('sha1').update(httpString).digest('hex')}\n`;
  const signKey = createHmac('sha1', SECRET_KEY).update(keyTime).digest('hex');
  const expected = createHmac('sha1', signKey).update(stringToSign).digest('hex');
  const given = fields.get('q-signature') ?? '';
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

function cosError(res: ServerResponse, status: number, code: string, message: string, resource: string): void {
  const requestId = createHash('sha1').update(`${code}${resource}`).digest('hex').slice(0, 24);
  res
    .writeHead(status, { 'content-type': 'application/xml', 'x-cos-request-id': requestId })
    .end(`<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>${requestId}</RequestId></Error>`);
}

function cos(req: IncomingMessage, res: ServerResponse, body: Buffer, objects: Map<string, { body: Buffer; type: string }>): void {
  const url = new URL(req.url ?? '/', 'http://local');
  if (!cosSignatureValid(req, url.pathname, url.searchParams)) {
    cosError(res, 403, 'SignatureDoesNotMatch', 'The Signature you specified is invalid.', url.pathname);
    return;
  }
  const key = decodeURIComponent(url.pathname);
  const object = objects.get(key);
  const requestId = createHash('sha1').update(`${req.method}${key}`).digest('hex').slice(0, 24);
  switch (req.method) {
    case 'PUT': {
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      objects.set(key, { body, type: String(req.headers['content-type'] ?? 'application/octet-stream') });
      res.writeHead(200, { etag, 'x-cos-request-id': requestId, 'content-length': '0' }).end();
      return;
    }
    case 'GET':
    case 'HEAD':
      if (!object) {
        if (req.method === 'HEAD') res.writeHead(404, { 'x-cos-request-id': requestId }).end();
        else cosError(res, 404, 'NoSuchKey', 'The specified key does not exist.', key);
        return;
      }
      res
        .writeHead(200, {
          'content-type': object.type,
          'content-length': String(object.body.length),
          etag: `"${createHash('md5').update(object.body).digest('hex')}"`,
          'x-cos-request-id': requestId,
        })
        .end(req.method === 'GET' ? object.body : undefined);
      return;
    case 'DELETE':
      objects.delete(key);
      res.writeHead(204, { 'x-cos-request-id': requestId }).end();
      return;
    default:
      cosError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed.', key);
  }
}

// --- TencentCloud API 3.0 ---------------------------------------------------------------------------

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

function tc3SignatureValid(req: IncomingMessage, body: Buffer): string | null {
  const match = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    String(req.headers.authorization ?? ''),
  );
  if (!match) return 'The Authorization header is malformed.';
  const [, secretId, date, service, signedHeaders, signature] = match as unknown as string[];
  if (secretId !== SECRET_ID) return 'The SecretId is not found.';
  const timestamp = String(req.headers['x-tc-timestamp'] ?? '');
  if (new Date(Number(timestamp) * 1000).toISOString().slice(0, 10) !== date) return 'The date does not match the timestamp.';
  const url = new URL(req.url ?? '/', 'http://local');
  // The SDK signs the host name without the port (the cloud's endpoints have none); the rest as sent.
  const headerValue = (name: string) => (name === 'host' ? String(req.headers.host).replace(/:\d+$/, '') : String(req.headers[name] ?? '').trim());
  const canonicalHeaders = signedHeaders!
    .split(';')
    .map((name) => `${name}:${headerValue(name)}\n`)
    .join('');
  const canonicalRequest = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, sha256(body)].join('\n');
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', timestamp, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${SECRET_KEY}`, date!), service!), 'tc3_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex') === signature ? null : 'The provided credentials could not be validated.';
}

function tencentCloudApi(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const action = String(req.headers['x-tc-action']);
  const requestId = createHash('sha1').update(`${action}${body}`).digest('hex').slice(0, 32);
  const fail = (code: string, message: string) => json(res, 200, { Response: { Error: { Code: code, Message: message }, RequestId: requestId } });
  const problem = tc3SignatureValid(req, body);
  if (problem) return fail('AuthFailure.SignatureFailure', problem);
  const params = JSON.parse(body.toString() || '{}') as Record<string, unknown>;
  switch (action) {
    case 'ListFunctions':
      return json(res, 200, {
        Response: {
          Functions: [{ FunctionName: 'hello', Namespace: String(params.Namespace ?? 'default'), Runtime: 'Nodejs18.15', Status: 'Active', Type: 'Event' }],
          TotalCount: 1,
          RequestId: requestId,
        },
      });
    case 'Invoke':
      return json(res, 200, {
        Response: {
          Result: {
            FunctionRequestId: requestId,
            RetMsg: JSON.stringify({ echoed: params.ClientContext ?? null }),
            ErrMsg: '',
            Log: '',
            Duration: 1,
            BillDuration: 1,
            MemUsage: 1024,
            InvokeResult: 0,
          },
          RequestId: requestId,
        },
      });
    case 'GetFunction':
      return fail('ResourceNotFound.Function', `The function ${String(params.FunctionName)} does not exist.`);
    default:
      return fail('InvalidAction', `The action ${action} is not supported.`);
  }
}
