/**
 * The messages between fngate and a function process. They mirror the Runtime API operations of SPEC §3
 * (ready, next, response, error) so the custom runtime's HTTP API and the pipes of the built-in shims are
 * one protocol over two transports; `started` and `load` exist only for the shims (pre-warmed interpreters).
 *
 * On pipes each message is one line of JSON (NDJSON): child → host on fd 3, host → child on fd 4.
 * stdout and stderr are never parsed: they are the function's log.
 *
 * Compact invocations (a shim announces them with `started.compact`; the Python shim does): the warm path
 * carries each JSON text once. The invoke line holds the event as a JSON value (`event`, the payload text
 * itself, not a string holding it) and no context (the shim keeps the context of `load` and adds the
 * request id), and a response is the line `R <result JSON text>`, answering the invocation in flight,
 * instead of an envelope that escapes the result into a string.
 */

/** A failure as a runtime reports it. `code` is an FnError code; see RUNTIME_ERROR_CODES for the allowed ones. */
export interface RuntimeErrorData {
  code?: string;
  message: string;
  stackTrace?: string;
  errorType?: string;
}

/** Phases the runtime measured itself, in ms. */
export interface ReadyTimings {
  /** Loading the user's code and running its initializer. */
  initFunctionMs?: number;
}

/** A shim's interpreter is up and waits for `load` (sent once, before anything else; shims only). */
export interface StartedMessage {
  op: 'started';
  /** The shim takes compact invocations and may answer with `R <result>` lines. */
  compact?: boolean;
}

/** Initialisation is done; the first one counts (SPEC §3 `/runtime/init/ready`). */
export interface ReadyMessage {
  op: 'ready';
  timings?: ReadyTimings;
}

/** The runtime asks for work. Optional on pipes: the host pushes each invocation as it starts. */
export interface NextMessage {
  op: 'next';
}

export interface ResponseMessage {
  op: 'response';
  requestId?: string;
  /** The result as JSON text. */
  body: string;
}

/**
 * A failed invocation, or, without a request in flight, a failed initialisation.
 * `fatal` says the process is about to exit (PHP `die()`, a fatal error): the instance is never reused.
 */
export interface ErrorMessage {
  op: 'error';
  requestId?: string;
  error: RuntimeErrorData;
  fatal?: boolean;
}

export type ChildMessage = StartedMessage | ReadyMessage | NextMessage | ResponseMessage | ErrorMessage;

/** Host → shim: become this function. Environment variables are applied before any user code runs. */
export interface LoadMessage {
  op: 'load';
  codeDir: string;
  handler: string;
  handlerStyle: 'scf' | 'functiongraph';
  initializer?: string;
  /** The complete process environment the function sees (replaces the shim's own). */
  env: Record<string, string>;
  /** The data-segment rlimit the shim sets on itself before loading user code (memory backstop). */
  dataLimitBytes: number;
  /** The function's memory size, for runtime-level limits (PHP `memory_limit`). */
  memoryMb: number;
  /** Context fields for a FunctionGraph initializer (no request id yet). */
  context: Record<string, unknown>;
  /** Epoch ms by which initialisation must be done (the initializer's remaining time). */
  initDeadline: number;
}

/** Host → runtime: one invocation (SPEC §3 `next` answered). */
export interface InvokeMessage {
  op: 'invoke';
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
  /** SPEC §2 context keys (`request_id`, `function_name` …). */
  context: Record<string, unknown>;
}

export type HostMessage = LoadMessage | InvokeMessage;

const CHILD_OPS = new Set(['started', 'ready', 'next', 'response', 'error']);

/** One line from a child as a message; throws on anything that is not one. */
export function parseChildMessage(line: string): ChildMessage {
  const value: unknown = JSON.parse(line);
  if (!value || typeof value !== 'object' || !CHILD_OPS.has((value as { op?: unknown }).op as string)) {
    throw new Error(`not a runtime message: ${line.slice(0, 200)}`);
  }
  const message = value as ChildMessage;
  if (message.op === 'response' && typeof message.body !== 'string') throw new Error('response without a body');
  if (message.op === 'error' && (!message.error || typeof message.error.message !== 'string')) {
    throw new Error('error without a message');
  }
  return message;
}

export function encodeHostMessage(message: HostMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Prefix of a compact response line: the rest of the line is the result's JSON text. */
export const COMPACT_RESPONSE_PREFIX = 'R ';

/**
 * The compact invoke line: the payload (valid JSON text) spliced in as the `event` value. A raw CR or LF
 * in JSON text can only be whitespace between tokens (inside strings they are escaped), so they become
 * spaces and the message stays one line.
 */
export function encodeCompactInvoke(invocation: { requestId: string; payload: string; deadline: number }): string {
  const { payload } = invocation;
  const event = payload.includes('\n') || payload.includes('\r') ? payload.replace(/[\r\n]/g, ' ') : payload;
  return `{"op":"invoke","requestId":${JSON.stringify(invocation.requestId)},"deadline":${invocation.deadline},"event":${event}}\n`;
}
