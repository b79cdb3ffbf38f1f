/**
 * What the gateway's web route knows of a web instance. Apart from the instance (instance.ts) so that the
 * gateway's start-up does not load the web runtime, which loads with the first web function.
 */
import type { ClientRequest, RequestOptions } from 'node:http';
import type { Dispatcher } from 'undici';
import type { LogLine, LogTarget } from '../instance-log.ts';
import type { Instance } from '../runtime.ts';

/** The part of a web instance the gateway's web route uses. */
export interface WebServer extends Instance {
  /** An HTTP request to the user's server; `fresh` takes a connection of its own (upgrades), not a pooled one. */
  request(options: RequestOptions, fresh?: boolean): ClientRequest;
  /**
   * The same through undici's client on this instance's own keep-alive connections (the web route's hot
   * path): `handler` gets the low-level callbacks (onConnect, onHeaders, onData, onComplete, onError).
   */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void;
  /** Route output to `target` while it is the most recent request in flight; returns the detach. */
  attachRequestLog(target: LogTarget): () => void;
  /** After a failed exchange: waits up to `ms` for the server to be known gone; true if it is. */
  settle(ms?: number): Promise<boolean>;
  /** Why the server is gone, for error messages. */
  readonly endReason: string;
}

const webServers = new WeakSet<Instance>();

/** Called by each web instance as it is made. */
export function markWebServer(instance: WebServer): void {
  webServers.add(instance);
}

export function isWebServer(instance: Instance): instance is WebServer {
  return webServers.has(instance);
}

const startupOutput = new WeakMap<object, LogLine[]>();

/** Keeps what the bootstrap printed with the error its failed start threw. */
export function keepStartupLog(error: unknown, lines: LogLine[]): void {
  if (typeof error === 'object' && error !== null) startupOutput.set(error, lines);
}

/** What the bootstrap printed before its instance failed to start (the caller logs it with the request). */
export function startupLogOf(error: unknown): LogLine[] {
  return typeof error === 'object' && error !== null ? (startupOutput.get(error) ?? []) : [];
}
