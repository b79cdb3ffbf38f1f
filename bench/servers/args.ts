/** The one argument every bench server takes: the port to listen on (always on 127.0.0.1). */
export function portFromArgv(argv: string[] = process.argv): number {
  const port = Number(argv[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`usage: <server> <port> (got ${argv[2]})`);
  return port;
}

export const BENCH_HOST = '127.0.0.1';
