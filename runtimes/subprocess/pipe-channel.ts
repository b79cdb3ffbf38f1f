/**
 * The pipe transport of the Runtime API: NDJSON messages, child → host on fd 3 and host → child on fd 4.
 * It exists from the moment a process is spawned (a pre-warmed interpreter announces `started` before any
 * instance owns it) and is connected to one instance's RuntimeApiSession when the process is adopted.
 */
import type { Readable, Writable } from 'node:stream';
import { FnError } from '../../gateway/errors.ts';
import { LineSplitter } from './lines.ts';
import { COMPACT_RESPONSE_PREFIX, encodeCompactInvoke, encodeHostMessage, parseChildMessage, type ChildMessage, type HostMessage } from './protocol.ts';
import type { RuntimeApiSession } from './runtime-api.ts';

/** Longest message a child may send: a 6 MB result JSON-escaped inside its envelope, with room to spare. */
export const MAX_MESSAGE_CHARS = 64 * 1024 * 1024;

export interface ChannelHooks {
  /** The runtime said it is about to exit (PHP `die()`, a fatal error): never reuse the instance. */
  onFatal(): void;
  /** The child broke the protocol (not JSON, or a line too long): the instance is unusable. */
  onProtocolError(error: FnError): void;
}

export class PipeChannel {
  #output: Writable;
  #splitter = new LineSplitter(MAX_MESSAGE_CHARS);
  #queue: ChildMessage[] = [];
  #session: RuntimeApiSession | undefined;
  #hooks: ChannelHooks | undefined;
  #started: Promise<void>;
  #markStarted!: () => void;
  #brokenWith: FnError | undefined;
  /** The shim announced compact invocations (protocol.ts). */
  #compact = false;

  constructor(input: Readable, output: Writable) {
    this.#output = output;
    this.#started = new Promise((resolve) => (this.#markStarted = resolve));
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.#splitter.push(chunk, (line) => this.#receive(line)));
    // A child that died makes fd 4 fail with EPIPE; the exit handler reports the death, not this.
    output.on('error', () => {});
    input.on('error', () => {});
  }

  /** Resolves when a shim announced that its interpreter is up (never, for runtimes that do not). */
  get started(): Promise<void> {
    return this.#started;
  }

  send(message: HostMessage): void {
    if (this.#output.writable) this.#output.write(encodeHostMessage(message));
  }

  /** Route the child's messages to `session`, and push the session's invocations to the child. */
  connect(session: RuntimeApiSession, hooks: ChannelHooks): void {
    this.#session = session;
    this.#hooks = hooks;
    session.onInvoke((invocation) => {
      if (!this.#output.writable) return;
      this.#output.write(this.#compact ? encodeCompactInvoke(invocation) : encodeHostMessage({ op: 'invoke', ...invocation }));
    });
    const queued = this.#queue;
    this.#queue = [];
    if (this.#brokenWith) hooks.onProtocolError(this.#brokenWith);
    else for (const message of queued) this.#dispatch(message);
  }

  #receive(line: string): void {
    if (line.length >= MAX_MESSAGE_CHARS) {
      this.#protocolError(`a runtime message is over ${MAX_MESSAGE_CHARS} characters`);
      return;
    }
    let message: ChildMessage;
    if (this.#compact && line.startsWith(COMPACT_RESPONSE_PREFIX)) {
      message = { op: 'response', body: line.slice(COMPACT_RESPONSE_PREFIX.length) };
      if (this.#session) this.#dispatch(message);
      else this.#queue.push(message);
      return;
    }
    if (line.trim() === '') return;
    try {
      message = parseChildMessage(line);
    } catch (error) {
      this.#protocolError(`the runtime sent an invalid message: ${(error as Error).message}`);
      return;
    }
    if (message.op === 'started') {
      this.#compact = message.compact === true;
      this.#markStarted();
      return;
    }
    if (this.#session) this.#dispatch(message);
    else this.#queue.push(message);
  }

  #dispatch(message: ChildMessage): void {
    const session = this.#session!;
    switch (message.op) {
      case 'ready':
        session.ready(message.timings);
        return;
      case 'next':
        // Pipes push each invocation as it starts, so a poll needs no answer.
        return;
      case 'response':
      case 'error':
        if (message.op === 'error' && message.fatal) this.#hooks!.onFatal();
        // stdout/stderr are other pipes: output the child wrote before this message may still be
        // unread in this poll phase. Settling after it (setImmediate runs after the poll phase) keeps
        // that output in this invocation's log instead of the next one's.
        setImmediate(() => {
          if (message.op === 'response') session.respond(message.body, message.requestId);
          else session.fail(message.error, message.requestId);
        });
        return;
      case 'started':
        return;
    }
  }

  #protocolError(message: string): void {
    const error = new FnError('INTERNAL', message);
    this.#brokenWith ??= error;
    this.#hooks?.onProtocolError(error);
  }
}
