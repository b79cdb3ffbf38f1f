/**
 * Invoke and InvokeFunction: the REST invoke route's path (gateway/invoke-api.ts), with the event from
 * the parameters and the answer as the SDK's `Result`. A call that never reached the function (no such
 * function or qualifier, an event that is not JSON) is an API error; once the function ran, failures
 * included, the answer is a Result: `InvokeResult` 0 or -1, the SCF error object in `ErrMsg`.
 */
import { tooLarge } from '../body.ts';
import { invokeApi, type InvokeAnswer } from '../invoke-api.ts';
import type { Invocation } from '../invoke/invocation.ts';
import type { ActionContext, ActionResult, ActionTable } from './action.ts';
import { ApiError } from './errors.ts';
import { namespaceOf, optionalEnum, optionalString, requiredString, type Params } from './params.ts';

/** LogType Tail returns the end of the invocation's log, at most this many bytes (the cloud's 4 KB). */
export const TAIL_LOG_BYTES = 4096;
/** Lines read from the store for a Tail log: far more than 4 KB can hold. */
const TAIL_LOG_LINES = 1000;

const INVOKE_SUCCEEDED = 0;
const INVOKE_FAILED = -1;

function byteTail(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  // Cut at a line start inside the window so the first line is whole.
  const tail = buffer.subarray(buffer.length - bytes).toString('utf8');
  const newline = tail.indexOf('\n');
  return newline >= 0 ? tail.slice(newline + 1) : tail;
}

async function tailLog(context: ActionContext, invocation: Invocation): Promise<string> {
  const { store } = context.services;
  // Logs are written in batches; this read must see the invocation that just answered.
  await store.flush();
  const lines = store.getLogs({
    namespace: invocation.fn.config.namespace,
    functionName: invocation.fn.config.name,
    requestId: invocation.requestId,
    limit: TAIL_LOG_LINES,
  });
  return byteTail(lines.map((entry) => entry.line).join('\n'), TAIL_LOG_BYTES);
}

async function resultOf(answer: InvokeAnswer, context: ActionContext, tail: boolean): Promise<ActionResult> {
  const { invocation } = answer;
  if (answer.status === 202) {
    // Accepted into the async queue: the request ID is the event's (GetAsyncEventStatus takes it).
    return { Result: { FunctionRequestId: answer.requestId, RetMsg: '', ErrMsg: '', Log: '', Duration: 0, BillDuration: 0, MemUsage: 0, InvokeResult: INVOKE_SUCCEEDED } };
  }
  if (invocation === undefined) throw answer.error ?? new ApiError('InternalError', 'the invocation failed before it started');
  const failed = answer.error !== undefined;
  return {
    Result: {
      FunctionRequestId: answer.requestId,
      RetMsg: failed ? '' : answer.body,
      ErrMsg: failed ? answer.body : '',
      Log: tail ? await tailLog(context, invocation) : '',
      Duration: Math.round(invocation.durationMs * 1000) / 1000,
      BillDuration: Math.ceil(invocation.durationMs),
      MemUsage: invocation.memUsageBytes,
      InvokeResult: failed ? INVOKE_FAILED : INVOKE_SUCCEEDED,
    },
  };
}

interface InvokeRequest {
  params: Params;
  /** The event as JSON text ('' is `{}`). */
  event: string;
  invocationType: 'RequestResponse' | 'Event';
}

async function invoke(context: ActionContext, request: InvokeRequest): Promise<ActionResult> {
  const { params } = request;
  const name = requiredString(params, 'FunctionName');
  const tail = optionalEnum(params, 'LogType', ['None', 'Tail'] as const) === 'Tail';
  const eventBytes = Buffer.from(request.event, 'utf8');
  const answer = await invokeApi(context.services, {
    name,
    namespace: namespaceOf(params),
    qualifier: optionalString(params, 'Qualifier') || undefined,
    invocationType: request.invocationType,
    readBody: (limit) => (eventBytes.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(eventBytes)),
    // The API call's own TC3 signature was checked before any action runs.
    caller: 'trusted',
  });
  return resultOf(answer, context, tail && request.invocationType === 'RequestResponse');
}

export const invokeActions: ActionTable = {
  Invoke: (params, context) =>
    invoke(context, {
      params,
      event: optionalString(params, 'ClientContext') ?? '',
      invocationType: optionalEnum(params, 'InvocationType', ['RequestResponse', 'Event'] as const) ?? 'RequestResponse',
    }),
  InvokeFunction: (params, context) => invoke(context, { params, event: optionalString(params, 'Event') ?? '', invocationType: 'RequestResponse' }),
};
