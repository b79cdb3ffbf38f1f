/**
 * The invoke API (`POST /functions/{name}/invoke`) without its transport: the Hono route and the node
 * request listener's fast path both answer through here, so their behaviour cannot drift apart.
 */
import { randomUUID } from 'node:crypto';
import type { SignedRequest } from './auth/tc3.ts';
import { MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES, validateEventJson } from './body.ts';
import { ErrorCodes, FnError, toFnError, toScfErrorBody } from './errors.ts';
import { timeOrderedId } from './async/request-id.ts';
import { newInvocation, type Invocation } from './invoke/invocation.ts';
import { DEFAULT_NAMESPACE, LATEST } from './registry.ts';
import type { GatewayServices } from './services.ts';

export const INVOCATION_TYPE_HEADER = 'X-Fn-Invocation-Type';

export interface InvokeInput {
  name: string;
  namespace: string | undefined;
  qualifier: string | undefined;
  /** `RequestResponse` (sync, the default) or `Event` (async). */
  invocationType: string | undefined;
  /** The body, refusing more than `limit` bytes with 406. */
  readBody(limit: number): Promise<Buffer>;
  /**
   * Who calls, for functions with `invokeAuth: token`: the HTTP request (its credentials are checked against
   * the body read), or `trusted` for in-process callers (the embedding API), which hold the gateway itself.
   */
  caller: Omit<SignedRequest, 'body'> | 'trusted';
}

export interface InvokeAnswer {
  status: number;
  requestId: string;
  /** JSON text. */
  body: string;
  /** Set on errors (`X-Scf-Error-Type`). */
  errorType: string | undefined;
  /** The version that ran (`X-Scf-Version`): an alias resolved to one; unset when none was resolved or the call is async. */
  version: string | undefined;
  /** The failure itself, for callers without a transport (embedding). */
  error?: FnError;
  /** The sync invocation, once it entered the pipeline: its duration, memory and log (API 3.0's Result). */
  invocation?: Invocation;
}

export async function invokeApi(services: GatewayServices, input: InvokeInput): Promise<InvokeAnswer> {
  // An async event's ID keys its row: time-ordered IDs keep the queue's inserts appends (async/request-id.ts).
  const requestId = input.invocationType === 'Event' ? timeOrderedId() : randomUUID();
  let version: string | undefined;
  let invocation: Invocation | undefined;
  try {
    const invocationType = input.invocationType ?? 'RequestResponse';
    if (invocationType !== 'RequestResponse' && invocationType !== 'Event') {
      throw new FnError('INVALID_PARAMETER', `unsupported ${INVOCATION_TYPE_HEADER}: ${invocationType}`);
    }
    const async = invocationType === 'Event';
    const body = await input.readBody(async ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES);
    const payload = validateEventJson(body.toString('utf8'));
    const namespace = input.namespace || DEFAULT_NAMESPACE;
    const qualifier = input.qualifier || LATEST;
    const fn = services.registry.lookup(namespace, input.name, qualifier);
    if (fn.config.invokeAuth === 'token' && input.caller !== 'trusted') {
      const failure = services.auth.check({ ...input.caller, body });
      if (failure) throw failure;
    }
    if (async) {
      // Committed durably before the answer (gateway/async/README.md).
      await services.async.dispatcher.enqueue([
        { requestId, namespace, functionName: fn.config.name, qualifier, source: 'invoke', payload },
      ]);
      // The qualifier is kept as given: an alias picks its version per attempt.
      return { status: 202, requestId, body: JSON.stringify({ RequestId: requestId }), errorType: undefined, version: undefined };
    }
    version = fn.version;
    invocation = newInvocation({ requestId, fn, payload, mode: 'sync' });
    const result = await services.invoke(invocation);
    return { status: 200, requestId, body: result, errorType: undefined, version, invocation };
  } catch (error) {
    const fnError = toFnError(error);
    return {
      status: fnError.status,
      requestId,
      body: JSON.stringify(toScfErrorBody(fnError, requestId)),
      errorType: ErrorCodes[fnError.code].type,
      version,
      error: fnError,
      invocation,
    };
  }
}
