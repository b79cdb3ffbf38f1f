/**
 * The `dns` built-in's host half: the gateway's resolver answers for the function. `lookup` is the system's
 * getaddrinfo (as net.connect uses it); `resolve*` and `reverse` query DNS servers through a Resolver of
 * the instance's own, cancelled when the instance ends. Answers go back as a `result` event for the
 * isolate's query id: [error, ...values] as Node's callback would get them.
 */
import * as dns from 'node:dns';
import ivm from 'isolated-vm';
import { describeError } from '../net/flow.ts';
import type { HostService, ServiceContext } from '../service.ts';

/** Resolver methods the isolate may call by name (each takes a name and a callback, some an option first). */
const RESOLVE_METHODS = new Set([
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCaa',
  'resolveCname',
  'resolveMx',
  'resolveNaptr',
  'resolveNs',
  'resolvePtr',
  'resolveSoa',
  'resolveSrv',
  'resolveTxt',
  'reverse',
]);

/** Queries one instance may have in flight (getaddrinfo runs on libuv's shared thread pool). */
export const MAX_PENDING_QUERIES = 256;

type Callback = (error: NodeJS.ErrnoException | null, ...values: unknown[]) => void;

export function dnsService(context: ServiceContext): HostService {
  const resolver = new dns.Resolver();
  let pending = 0;
  let closed = false;

  const answer =
    (id: number): Callback =>
    (error, ...values) => {
      pending--;
      if (!closed) context.send(id, 'result', [error === null ? null : describeError(error), ...values]);
    };

  const start = (id: number, syscall: string, hostname: string, run: (done: Callback) => void): void => {
    if (closed) return;
    if (pending >= MAX_PENDING_QUERIES) {
      const error = Object.assign(new Error(`${syscall} EAI_AGAIN ${hostname}: more than ${MAX_PENDING_QUERIES} DNS queries in flight for this function`), {
        errno: -3001,
        code: 'EAI_AGAIN',
        syscall,
        hostname,
      });
      context.send(id, 'result', [describeError(error)]);
      return;
    }
    pending++;
    try {
      run(answer(id));
    } catch (error) {
      answer(id)(error as NodeJS.ErrnoException);
    }
  };

  return {
    callbacks: {
      lookup: new ivm.Callback(
        (id: number, hostname: string, options: dns.LookupOptions) =>
          start(id, 'getaddrinfo', hostname, (done) => dns.lookup(hostname, { ...options }, done as never)),
        { ignored: true },
      ),
      lookupService: new ivm.Callback(
        (id: number, address: string, port: number) => start(id, 'getnameinfo', address, (done) => dns.lookupService(address, port, done as never)),
        { ignored: true },
      ),
      resolve: new ivm.Callback(
        (id: number, method: string, hostname: string, option: unknown) =>
          start(id, 'query', hostname, (done) => {
            if (!RESOLVE_METHODS.has(method)) throw new TypeError(`dns.${method} is not a resolver method`);
            const call = (resolver as unknown as Record<string, (...args: unknown[]) => void>)[method]!.bind(resolver);
            if (option === undefined || option === null) call(hostname, done);
            else call(hostname, option, done);
          }),
        { ignored: true },
      ),
      getServers: new ivm.Callback(() => resolver.getServers()),
      setServers: new ivm.Callback((servers: string[]) => resolver.setServers(servers)),
    },
    close: () => {
      closed = true;
      resolver.cancel();
    },
  };
}
