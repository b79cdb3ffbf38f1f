/**
 * GetFunctionLogs and GetRequestStatus over the store's invocation records and framed logs (the same
 * data `GET /functions/{name}/logs` serves). One FunctionLog is one invocation, its whole framed log
 * in `Log`.
 */
import type { InvocationRecord } from '../../store/types.ts';
import { ErrorCodes, type ErrorCode } from '../errors.ts';
import type { ActionContext, ActionResult, ActionTable } from './action.ts';
import { invalidParameter } from './errors.ts';
import { namespaceOf, optionalEnum, optionalInt, optionalObject, optionalString, requiredString, type Params } from './params.ts';
import { cloudTime, parseCloudTime } from './shapes.ts';

/** The cloud's bound on Offset + Limit for logs; also how many records one query scans. */
export const MAX_LOG_RECORDS = 10_000;
const DEFAULT_LOG_PAGE = 20;
/** Lines of one invocation's log a FunctionLog carries. */
const MAX_LINES_PER_LOG = 1000;

const OK_STATUS = 200;

/** `Filter.RetCode`: which invocations a log query keeps. */
const RET_CODE_FILTERS: Record<string, (record: InvocationRecord) => boolean> = {
  is0: (record) => record.statusCode === OK_STATUS,
  not0: (record) => record.statusCode !== OK_STATUS,
  TimeLimitExceeded: (record) => record.statusCode === statusOf('TIMEOUT'),
  ResourceLimitExceeded: (record) => record.statusCode === statusOf('CONCURRENCY_LIMIT'),
  UserCodeException: (record) => record.statusCode === statusOf('USER_CODE_EXCEPTION'),
};

function statusOf(code: ErrorCode): number {
  return ErrorCodes[code].status;
}

const ORDER_KEYS: Record<string, (record: InvocationRecord) => number | string> = {
  function_name: (record) => record.functionName,
  duration: (record) => record.durationMs,
  mem_usage: (record) => record.memUsageBytes,
  start_time: (record) => record.startedAt,
};

function timeRange(params: Params): { from: number; to: number } {
  const start = optionalString(params, 'StartTime');
  const end = optionalString(params, 'EndTime');
  return {
    from: start ? parseCloudTime(start, 'StartTime') : Number.NEGATIVE_INFINITY,
    to: end ? parseCloudTime(end, 'EndTime') : Number.POSITIVE_INFINITY,
  };
}

function logText(context: ActionContext, record: InvocationRecord): string {
  const lines = context.services.store.getLogs({
    namespace: record.namespace,
    functionName: record.functionName,
    requestId: record.requestId,
    limit: MAX_LINES_PER_LOG,
  });
  return lines.map((entry) => entry.line).join('\n');
}

async function getFunctionLogs(params: Params, context: ActionContext): Promise<ActionResult> {
  const functionName = requiredString(params, 'FunctionName');
  const namespace = namespaceOf(params);
  const offset = optionalInt(params, 'Offset', { min: 0 }) ?? 0;
  const limit = optionalInt(params, 'Limit', { min: 0, max: MAX_LOG_RECORDS }) ?? DEFAULT_LOG_PAGE;
  if (offset + limit > MAX_LOG_RECORDS) throw invalidParameter('Offset', `Offset + Limit must be at most ${MAX_LOG_RECORDS}`);
  const order = optionalEnum(params, 'Order', ['desc', 'asc'] as const) ?? 'desc';
  const orderBy = optionalEnum(params, 'OrderBy', Object.keys(ORDER_KEYS)) ?? 'start_time';
  const filter = optionalObject(params, 'Filter');
  const retCode = filter === undefined ? undefined : optionalEnum(filter, 'Filter.RetCode', Object.keys(RET_CODE_FILTERS));
  const qualifier = optionalString(params, 'Qualifier') || undefined;
  const requestId = optionalString(params, 'FunctionRequestId') || undefined;
  const { from, to } = timeRange(params);
  const { store } = context.services;
  // Records and logs are written in batches: see every invocation that already answered.
  await store.flush();
  const candidates =
    requestId === undefined ? store.listRecords({ namespace, functionName, limit: MAX_LOG_RECORDS }) : [store.getRecord(requestId)].filter((record): record is InvocationRecord => record !== undefined);
  const kept = candidates.filter(
    (record) =>
      record.namespace === namespace &&
      record.functionName === functionName &&
      (qualifier === undefined || record.version === qualifier) &&
      (retCode === undefined || RET_CODE_FILTERS[retCode]!(record)) &&
      record.startedAt >= from &&
      record.startedAt < to,
  );
  const key = ORDER_KEYS[orderBy]!;
  const sign = order === 'asc' ? 1 : -1;
  kept.sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0));
  const page = kept.slice(offset, offset + limit);
  return {
    TotalCount: kept.length,
    Data: page.map((record) => ({
      FunctionName: record.functionName,
      RequestId: record.requestId,
      StartTime: cloudTime(record.startedAt),
      RetCode: record.statusCode === OK_STATUS ? 0 : record.statusCode,
      InvokeFinished: 1,
      Duration: record.durationMs,
      BillDuration: record.billedDurationMs,
      MemUsage: record.memUsageBytes,
      RetMsg: record.errorMessage ?? '',
      Log: logText(context, record),
      Level: record.statusCode === OK_STATUS ? 'INFO' : 'ERROR',
      Source: record.mode === 'async' ? 'Event' : 'RequestResponse',
      RetryNum: 0,
    })),
    SearchContext: { Offset: String(offset + page.length), Limit: limit, Keyword: '', Type: '' },
  };
}

/** RequestStatus.RetCode: 0 succeeded, 1 running, -1 failed. */
const REQUEST_SUCCEEDED = 0;
const REQUEST_RUNNING = 1;
const REQUEST_FAILED = -1;

async function getRequestStatus(params: Params, context: ActionContext): Promise<ActionResult> {
  const functionName = requiredString(params, 'FunctionName');
  const requestId = requiredString(params, 'FunctionRequestId');
  const namespace = namespaceOf(params);
  const { from, to } = timeRange(params);
  const { store, async } = context.services;
  await store.flush();
  const record = store.getRecord(requestId);
  if (record !== undefined && record.namespace === namespace && record.functionName === functionName) {
    if (record.startedAt < from || record.startedAt >= to) return { TotalCount: 0, Data: [] };
    const succeeded = record.statusCode === OK_STATUS;
    return {
      TotalCount: 1,
      Data: [
        {
          FunctionName: functionName,
          RequestId: requestId,
          StartTime: cloudTime(record.startedAt),
          RetCode: succeeded ? REQUEST_SUCCEEDED : REQUEST_FAILED,
          RetMsg: succeeded ? '' : (record.errorMessage ?? ''),
          Duration: record.durationMs,
          MemUsage: record.memUsageBytes,
          RetryNum: 0,
        },
      ],
    };
  }
  // An async event not run yet (or running now) has no record: it is running as far as the caller knows.
  await async.queue.flush();
  const event = async.queue.get(requestId);
  if (event !== undefined && event.namespace === namespace && event.functionName === functionName) {
    const waiting = event.status === 'queued' || event.status === 'running' || event.status === 'retrying';
    return {
      TotalCount: 1,
      Data: [
        {
          FunctionName: functionName,
          RequestId: requestId,
          StartTime: cloudTime(event.lastStartedAt ?? event.enqueuedAt),
          RetCode: waiting ? REQUEST_RUNNING : event.status === 'succeeded' ? REQUEST_SUCCEEDED : REQUEST_FAILED,
          RetMsg: event.lastError ?? '',
          Duration: 0,
          MemUsage: 0,
          RetryNum: event.failures,
        },
      ],
    };
  }
  return { TotalCount: 0, Data: [] };
}

export const logActions: ActionTable = {
  GetFunctionLogs: getFunctionLogs,
  GetRequestStatus: getRequestStatus,
};
