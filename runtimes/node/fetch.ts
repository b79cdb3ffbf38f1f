/**
 * The host half of the isolate's `fetch`: runs the request with the host's fetch, bounded by the time the
 * invocation has left, reads the whole body and hands back a plain, copyable response. Owned by one
 * instance, which aborts whatever is still in flight when it closes.
 */

/** A response as it crosses into the isolate (copied once, body included). */
export interface FetchResponseData {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface FetchFailureData {
  name: string;
  message: string;
  code: string | undefined;
}

export interface FetchRequestData {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  redirect: string;
}

export interface FetchSink {
  done(id: number, response: FetchResponseData): void;
  failed(id: number, failure: FetchFailureData): void;
}

type RedirectMode = 'follow' | 'manual' | 'error';
const REDIRECT_MODES = new Set<string>(['follow', 'manual', 'error']);

export class HostFetches {
  readonly #sink: FetchSink;
  readonly #inflight = new Map<number, AbortController>();

  constructor(sink: FetchSink) {
    this.#sink = sink;
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Starts fetch `id`; it fails with a TimeoutError after `timeoutMs`. */
  start(id: number, request: FetchRequestData, timeoutMs: number): void {
    const controller = new AbortController();
    this.#inflight.set(id, controller);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(Math.max(1, timeoutMs))]);
    this.#run(request, signal).then(
      (response) => {
        if (this.#inflight.delete(id)) this.#sink.done(id, response);
      },
      (error: unknown) => {
        if (this.#inflight.delete(id)) this.#sink.failed(id, describeFailure(error));
      },
    );
  }

  abort(id: number): void {
    this.#inflight.get(id)?.abort();
    this.#inflight.delete(id);
  }

  abortAll(): void {
    for (const controller of this.#inflight.values()) controller.abort();
    this.#inflight.clear();
  }

  async #run(request: FetchRequestData, signal: AbortSignal): Promise<FetchResponseData> {
    const redirect = REDIRECT_MODES.has(request.redirect) ? (request.redirect as RedirectMode) : 'follow';
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      redirect,
      signal,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      statusText: response.statusText,
      url: response.url,
      redirected: response.redirected,
      headers: [...response.headers],
      body,
    };
  }
}

function describeFailure(error: unknown): FetchFailureData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: undefined };
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return {
    name: error.name,
    message: cause ? `${error.message}: ${cause.message}` : error.message,
    code: typeof code === 'string' ? code : undefined,
  };
}
