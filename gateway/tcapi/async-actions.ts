/**
 * ListAsyncEvents, GetAsyncEventStatus and TerminateAsyncEvent over the durable async queue (the same
 * records `GET /async-events` serves). fngate's eight event states become the cloud's four.
 */
import type { AsyncEventRecord, AsyncEventStatus } from '../../store/queue-statements.ts';
import { FnError, toFnError } from '../errors.ts';
import type { ActionContext, ActionResult, ActionTable } from './action.ts';
import { ApiError, invalidParameter } from './errors.ts';
import { namespaceOf, optionalEnum, optionalInt, optionalObject, optionalString, optionalStrings, requiredString, type Params } from './params.ts';
import { cloudTime, parseCloudTime } from './shapes.ts';

/** Events one ListAsyncEvents scans (newest first). */
export const MAX_ASYNC_EVENT_SCAN = 10_000;
const DEFAULT_EVENT_PAGE = 20;
const MAX_EVENT_PAGE = 100;

type CloudStatus = 'RUNNING' | 'FINISHED' | 'ABORTED' | 'FAILED';
const CLOUD_STATUSES: readonly CloudStatus[] = ['RUNNING', 'FINISHED', 'ABORTED', 'FAILED'];

const CLOUD_STATUS: Record<AsyncEventStatus, CloudStatus> = {
  queued: 'RUNNING',
  running: 'RUNNING',
  retrying: 'RUNNING',
  succeeded: 'FINISHED',
  terminated: 'ABORTED',
  dead: 'FAILED',
  expired: 'FAILED',
  failed: 'FAILED',
};

/** `invoke`, `timer:<name>`, `cmq:<topic>` … → `invoke`, `timer`, `cmq` … */
const invokeTypeOf = (record: AsyncEventRecord): string => record.source.split(':')[0]!;

/** The cloud's event times: `%Y-%m-%d %H:%M:%S.%f`. */
function eventTime(ms: number | null): string {
  if (ms === null) return '';
  return `${cloudTime(ms)}.${String(ms % 1000).padStart(3, '0')}000`;
}

/** An empty filter list filters nothing. */
const nonEmpty = (values: string[] | undefined): string[] | undefined => (values === undefined || values.length === 0 ? undefined : values);

function interval(params: Params, name: string): { from: number; to: number } | undefined {
  const value = optionalObject(params, name);
  if (value === undefined) return undefined;
  const start = requiredString(value, `${name}.Start`);
  const end = requiredString(value, `${name}.End`);
  return { from: parseCloudTime(start, 'Start'), to: parseCloudTime(end, 'End') };
}

async function listAsyncEvents(params: Params, context: ActionContext): Promise<ActionResult> {
  const functionName = requiredString(params, 'FunctionName');
  const namespace = namespaceOf(params);
  const qualifier = optionalString(params, 'Qualifier') || undefined;
  const invokeTypes = nonEmpty(optionalStrings(params, 'InvokeType'));
  const statuses = nonEmpty(optionalStrings(params, 'Status'))?.map((status) => status.toUpperCase());
  const unknown = statuses?.find((status) => !(CLOUD_STATUSES as readonly string[]).includes(status));
  if (unknown !== undefined) throw invalidParameter('Status', `Status: ${unknown} is not one of ${CLOUD_STATUSES.join(', ')}`);
  const started = interval(params, 'StartTimeInterval');
  const ended = interval(params, 'EndTimeInterval');
  const order = optionalEnum(params, 'Order', ['ASC', 'DESC'] as const) ?? 'DESC';
  const orderBy = optionalEnum(params, 'Orderby', ['StartTime', 'EndTime'] as const) ?? 'StartTime';
  const offset = optionalInt(params, 'Offset', { min: 0 }) ?? 0;
  const limit = optionalInt(params, 'Limit', { min: 0, max: MAX_EVENT_PAGE }) ?? DEFAULT_EVENT_PAGE;
  const requestId = optionalString(params, 'InvokeRequestId') || undefined;
  const { queue } = context.services.async;
  await queue.flush();
  const kept = queue.list({ namespace, functionName, limit: MAX_ASYNC_EVENT_SCAN }).filter(
    (record) =>
      (requestId === undefined || record.requestId === requestId) &&
      (qualifier === undefined || record.qualifier === qualifier) &&
      (invokeTypes === undefined || invokeTypes.includes(invokeTypeOf(record))) &&
      (statuses === undefined || statuses.includes(CLOUD_STATUS[record.status])) &&
      (started === undefined || (record.enqueuedAt >= started.from && record.enqueuedAt < started.to)) &&
      (ended === undefined || (record.finishedAt !== null && record.finishedAt >= ended.from && record.finishedAt < ended.to)),
  );
  const key = (record: AsyncEventRecord): number => (orderBy === 'EndTime' ? (record.finishedAt ?? Number.MAX_SAFE_INTEGER) : record.enqueuedAt);
  kept.sort((a, b) => (order === 'ASC' ? key(a) - key(b) : key(b) - key(a)));
  return {
    TotalCount: kept.length,
    EventList: kept.slice(offset, offset + limit).map((record) => ({
      InvokeRequestId: record.requestId,
      InvokeType: invokeTypeOf(record),
      Qualifier: record.qualifier,
      Status: CLOUD_STATUS[record.status],
      StartTime: eventTime(record.enqueuedAt),
      EndTime: eventTime(record.finishedAt),
    })),
  };
}

async function eventOf(context: ActionContext, requestId: string): Promise<AsyncEventRecord> {
  const { queue } = context.services.async;
  await queue.flush();
  const record = queue.get(requestId);
  if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no async event with request ID ${requestId}`);
  return record;
}

async function getAsyncEventStatus(params: Params, context: ActionContext): Promise<ActionResult> {
  const requestId = requiredString(params, 'InvokeRequestId');
  const record = await eventOf(context, requestId);
  return { Result: { InvokeRequestId: requestId, Status: CLOUD_STATUS[record.status], StatusCode: record.lastStatusCode ?? 0 } };
}

/** Ends a queued event at once, a running one by aborting its attempt (GraceShutdown is not waited for). */
async function terminateAsyncEvent(params: Params, context: ActionContext): Promise<ActionResult> {
  const functionName = requiredString(params, 'FunctionName');
  const requestId = requiredString(params, 'InvokeRequestId');
  const namespace = namespaceOf(params);
  const record = await eventOf(context, requestId);
  if (record.namespace !== namespace || record.functionName !== functionName) {
    throw new FnError('ASYNC_EVENT_NOT_FOUND', `no async event ${requestId} of function ${functionName} in namespace ${namespace}`);
  }
  try {
    await context.services.async.dispatcher.terminate(requestId);
  } catch (error) {
    const fnError = toFnError(error);
    // The dispatcher's INVALID_PARAMETER here means the event is already final.
    if (fnError.code === 'INVALID_PARAMETER') throw new ApiError('FailedOperation.AsyncEventStatus', fnError.message);
    throw fnError;
  }
  return {};
}

export const asyncActions: ActionTable = {
  ListAsyncEvents: listAsyncEvents,
  GetAsyncEventStatus: getAsyncEventStatus,
  TerminateAsyncEvent: terminateAsyncEvent,
};
