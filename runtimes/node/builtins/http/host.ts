/**
 * The `http` and `https` built-ins' host half: each request the function makes is a request of the
 * gateway's own Node (http.request, llhttp, its Agent), bridged per request. The isolate's ClientRequest
 * sends the head once it is due (first write or end), then body chunks; the host sends back the response
 * head, the body in chunks (flow-controlled and memory-reserved as sockets are: ../net/flow.ts), the end
 * and the close. Agents are the instance's own (one host Agent per isolate Agent, the isolate's globalAgent
 * included), so keep-alive sockets are reused across the instance's invocations and never shared with
 * another function; all are destroyed when the instance ends.
 *
 * Why per request and not an HTTP client inside the isolate on bridged sockets: measured in
 * test/runtimes/node-http.test.ts and the README — the host parser costs nothing in the isolate,
 * and Node's own client is Node's behaviour by construction.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import ivm from 'isolated-vm';
import { batched, describeError, InboundFlow, memoryError, writeOutbound } from '../net/flow.ts';
import type { HostService, ServiceContext } from '../service.ts';

/** Requests one instance may have in flight; the next one fails with EMFILE as a socket would. */
export const MAX_REQUESTS = 1000;

/** The request head as the isolate's ClientRequest sends it. */
interface RequestHead {
  protocol: 'http:' | 'https:';
  method: string;
  host: string;
  port: number;
  path: string;
  /** [name, value] in the order set; names keep their case. */
  headers: Array<[string, string | string[]]>;
  /** An isolate Agent's id, 0 for `agent: false` (a fresh connection). */
  agent: number;
  timeout?: number;
  family?: number;
  localAddress?: string;
  servername?: string;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  passphrase?: string;
  pfx?: unknown;
  rejectUnauthorized?: boolean;
  minVersion?: string;
  maxVersion?: string;
  ciphers?: string;
  insecureHTTPParser?: boolean;
  maxHeaderSize?: number;
}

interface AgentOptions {
  keepAlive?: boolean;
  keepAliveMsecs?: number;
  maxSockets?: number;
  maxFreeSockets?: number;
  maxTotalSockets?: number;
  scheduling?: 'fifo' | 'lifo';
  timeout?: number;
}

const TLS_FIELDS = ['servername', 'ca', 'cert', 'key', 'passphrase', 'pfx', 'rejectUnauthorized', 'minVersion', 'maxVersion', 'ciphers'] as const;

interface HostRequest {
  request: http.ClientRequest;
  flow: InboundFlow | undefined;
}

function addresses(socket: Socket): Record<string, unknown> {
  return {
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    encrypted: 'encrypted' in socket,
    authorized: (socket as Socket & { authorized?: boolean }).authorized,
  };
}

function responseHead(response: http.IncomingMessage): Record<string, unknown> {
  return {
    statusCode: response.statusCode,
    statusMessage: response.statusMessage,
    httpVersion: response.httpVersion,
    rawHeaders: response.rawHeaders,
    headers: { ...response.headers },
  };
}

export function httpService(serviceContext: ServiceContext): HostService {
  const context = batched(serviceContext);
  const requests = new Map<number, HostRequest>();
  const agents = new Map<number, http.Agent>();
  let closed = false;

  const fail = (id: number, error: unknown) => context.send(id, 'error', describeError(error));

  function agent(id: number, protocol: string, options: AgentOptions): void {
    if (closed || agents.has(id)) return;
    agents.set(id, protocol === 'https:' ? new https.Agent(options) : new http.Agent(options));
  }

  function start(id: number, head: RequestHead, body: Uint8Array | null, end: boolean): void {
    if (closed) return;
    if (requests.size >= MAX_REQUESTS) {
      fail(id, Object.assign(new Error(`connect EMFILE ${head.host}:${head.port} - Local (undefined:undefined)`), { errno: -24, code: 'EMFILE', syscall: 'connect', address: head.host, port: head.port }));
      context.send(id, 'close');
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of head.headers) headers[name] = value;
    const options: https.RequestOptions = {
      method: head.method,
      host: head.host,
      port: head.port,
      path: head.path,
      headers,
      setHost: false,
      agent: head.agent === 0 ? false : agents.get(head.agent),
    };
    if (head.timeout !== undefined) options.timeout = head.timeout;
    if (head.family !== undefined) options.family = head.family;
    if (head.localAddress !== undefined) options.localAddress = head.localAddress;
    if (head.insecureHTTPParser !== undefined) options.insecureHTTPParser = head.insecureHTTPParser;
    if (head.maxHeaderSize !== undefined) options.maxHeaderSize = head.maxHeaderSize;
    if (head.protocol === 'https:') for (const field of TLS_FIELDS) if (head[field] !== undefined && head[field] !== null) (options as Record<string, unknown>)[field] = head[field];
    let request: http.ClientRequest;
    try {
      request = (head.protocol === 'https:' ? https : http).request(options);
    } catch (error) {
      fail(id, error);
      context.send(id, 'close');
      return;
    }
    const entry: HostRequest = { request, flow: undefined };
    requests.set(id, entry);
    request.on('socket', (socket: Socket) => {
      context.later(id, 'socket', { reused: request.reusedSocket, ...(socket.remoteAddress === undefined ? {} : addresses(socket)) });
      if (socket.remoteAddress === undefined) socket.once('connect', () => context.later(id, 'connect', addresses(socket)));
    });
    request.on('information', (info: http.InformationEvent) =>
      context.send(id, 'information', { statusCode: info.statusCode, statusMessage: info.statusMessage, httpVersion: info.httpVersion, rawHeaders: info.rawHeaders, headers: { ...info.headers } }),
    );
    request.on('response', (response: http.IncomingMessage) => {
      const flow = new InboundFlow(context, id, response);
      entry.flow = flow;
      context.send(id, 'response', responseHead(response));
      response.on('data', (chunk: Buffer) => {
        if (!flow.deliver(chunk)) request.destroy(memoryError('read'));
      });
      response.on('end', () => context.send(id, 'end', { rawTrailers: response.rawTrailers, trailers: { ...response.trailers } }));
      response.on('aborted', () => context.send(id, 'aborted'));
      response.on('error', (error) => context.send(id, 'responseError', describeError(error)));
      response.on('close', () => {
        flow.close();
        context.send(id, 'resClose');
      });
    });
    request.on('timeout', () => context.send(id, 'timeout'));
    request.on('finish', () => context.later(id, 'finished'));
    request.on('error', (error) => fail(id, error));
    request.on('close', () => {
      entry.flow?.close();
      requests.delete(id);
      context.send(id, 'close');
    });
    if (end) request.end(body ?? undefined);
    else if (body !== null && !writeOutbound(context, id, request, body)) request.destroy(memoryError('write'));
  }

  const withRequest =
    <A extends unknown[]>(action: (entry: HostRequest, id: number, ...args: A) => void) =>
    (id: number, ...args: A): void => {
      const entry = requests.get(id);
      if (entry !== undefined) action(entry, id, ...args);
    };

  return {
    callbacks: {
      agent: new ivm.Callback(agent, { ignored: true }),
      agentDestroy: new ivm.Callback(
        (id: number) => {
          agents.get(id)?.destroy();
          agents.delete(id);
        },
        { ignored: true },
      ),
      request: new ivm.Callback(start, { ignored: true }),
      write: new ivm.Callback(
        withRequest(({ request }, id, bytes: Uint8Array) => {
          if (!writeOutbound(context, id, request, bytes)) request.destroy(memoryError('write'));
        }),
        { ignored: true },
      ),
      end: new ivm.Callback(
        withRequest(({ request }) => request.end()),
        { ignored: true },
      ),
      destroy: new ivm.Callback(
        withRequest(({ request }) => request.destroy()),
        { ignored: true },
      ),
      ack: new ivm.Callback(
        withRequest(({ flow }, _id, bytes: number, wantsMore: boolean) => flow?.ack(bytes, wantsMore)),
        { ignored: true },
      ),
      resume: new ivm.Callback(
        withRequest(({ flow }) => flow?.resume()),
        { ignored: true },
      ),
      setTimeout: new ivm.Callback(
        withRequest(({ request }, _id, ms: number) => request.setTimeout(ms)),
        { ignored: true },
      ),
      setNoDelay: new ivm.Callback(
        withRequest(({ request }, _id, noDelay: boolean) => request.setNoDelay(noDelay)),
        { ignored: true },
      ),
      setSocketKeepAlive: new ivm.Callback(
        withRequest(({ request }, _id, enable: boolean, delay: number) => request.setSocketKeepAlive(enable, delay)),
        { ignored: true },
      ),
    },
    close: () => {
      closed = true;
      for (const { request, flow } of requests.values()) {
        flow?.close();
        request.destroy();
      }
      requests.clear();
      for (const hostAgent of agents.values()) hostAgent.destroy();
      agents.clear();
    },
  };
}
