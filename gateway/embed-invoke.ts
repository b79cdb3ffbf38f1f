/**
 * `gateway.invoke(name, event, options)` for embedding applications: the invoke API (invoke-api.ts) without
 * HTTP, so an embedded call gets the same validation, limits, records and logs as `POST …/invoke`.
 */
import { tooLarge } from './body.ts';
import type { ErrorCode } from './errors.ts';
import { invokeApi } from './invoke-api.ts';
import type { GatewayServices } from './services.ts';

export interface InvokeOptions {
  /** A version, an alias or `$LATEST`. @default '$LATEST' */
  qualifier?: string;
  /** @default 'default' */
  namespace?: string;
  /** `Event` queues the event durably and resolves with `{ RequestId }`. @default 'RequestResponse' */
  type?: 'RequestResponse' | 'Event';
}

/** A failed invocation, carrying what SCF answers: the status code (430, 433, 435 …) and the error object. */
export class InvokeError extends Error {
  /** The SCF status code, also the HTTP status of `POST …/invoke`. */
  readonly statusCode: number;
  /** fngate's stable code for the failure (gateway/errors.ts). */
  readonly code: ErrorCode;
  readonly requestId: string;
  /** The user's stack for 430; empty for platform errors. */
  readonly stackTrace: string;
  readonly errorType: string | undefined;

  constructor(init: { message: string; statusCode: number; code: ErrorCode; requestId: string; stackTrace: string; errorType: string | undefined }) {
    super(init.message);
    this.name = 'InvokeError';
    this.statusCode = init.statusCode;
    this.code = init.code;
    this.requestId = init.requestId;
    this.stackTrace = init.stackTrace;
    this.errorType = init.errorType;
  }
}

/** The handler's result (parsed JSON), `{ RequestId }` for `Event`; an InvokeError when the invocation fails. */
export async function invokeFunction(services: GatewayServices, name: string, event: unknown = {}, options: InvokeOptions = {}): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(event ?? null) ?? 'null');
  const answer = await invokeApi(services, {
    name,
    namespace: options.namespace,
    qualifier: options.qualifier,
    invocationType: options.type,
    caller: 'trusted',
    readBody: async (limit) => {
      if (payload.length > limit) throw tooLarge(limit);
      return payload;
    },
  });
  if (answer.error !== undefined) {
    throw new InvokeError({
      message: answer.error.message,
      statusCode: answer.status,
      code: answer.error.code,
      requestId: answer.requestId,
      stackTrace: answer.error.stackTrace,
      errorType: answer.error.errorType,
    });
  }
  return JSON.parse(answer.body) as unknown;
}
