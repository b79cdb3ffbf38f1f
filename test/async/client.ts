/** A small HTTP client for the async API of a running gateway (tests and the crash test's child). */
import { fileURLToPath } from 'node:url';
import { AUTH_HEADERS } from '../helpers/gateway.ts';

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/async/${name}`, import.meta.url));

export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'dead', 'expired', 'terminated']);

export interface HttpResult {
  status: number;
  json: any;
  headers: Headers;
}

export class AsyncClient {
  constructor(readonly url: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...AUTH_HEADERS, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json, headers: response.headers };
  }

  /** POST …/invoke with X-Fn-Invocation-Type: Event. */
  invokeAsync(name: string, event: unknown = {}, query = ''): Promise<HttpResult> {
    return this.request('POST', `/functions/${name}/invoke${query}`, event, { 'X-Fn-Invocation-Type': 'Event' });
  }

  async event(requestId: string): Promise<any> {
    return (await this.request('GET', `/async-events/${requestId}`)).json;
  }

  /** Poll until the event is final (or `until` holds); returns its record. */
  async waitFor(requestId: string, until: (event: any) => boolean = (event) => FINAL_STATUSES.has(event.status), timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = await this.event(requestId);
      if (event?.status && until(event)) return event;
      if (Date.now() > deadline) throw new Error(`event ${requestId} is still ${event?.status ?? JSON.stringify(event)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async list(query: string): Promise<any[]> {
    return (await this.request('GET', `/async-events?${query}`)).json.events;
  }

  async queues(): Promise<any[]> {
    return (await this.request('GET', '/async-queues')).json.queues;
  }
}
