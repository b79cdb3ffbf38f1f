/**
 * One error type for every failure that reaches a caller. Errors cross isolates, worker threads and
 * child processes, so callers compare `code` (stable, never reused), never `instanceof`.
 * The SCF status code is both the HTTP status of an invoke and the `statusCode` of the error body.
 */
export const ErrorCodes = {
  /** 400: the event is not valid JSON. */
  EVENT_NOT_JSON: { status: 400, type: 'InvalidRequestContent' },
  /** 406: the request body is over the sync (6 MB) or async (128 KB) limit. */
  REQUEST_TOO_LARGE: { status: 406, type: 'RequestTooLarge' },
  /** 407: the handler's result is over 6 MB. */
  RESPONSE_TOO_LARGE: { status: 407, type: 'ResponseSizeTooLarge' },
  /** 430: the handler threw, rejected or reported an error. */
  USER_CODE_EXCEPTION: { status: 430, type: 'UserCodeException' },
  /** 432: no concurrency left for a synchronous call. */
  CONCURRENCY_LIMIT: { status: 432, type: 'ResourceLimitReached' },
  /** 433: the invocation ran past the function's timeout. */
  TIMEOUT: { status: 433, type: 'TimeLimitReached' },
  /** 434: the instance went over its memory size. */
  MEMORY_LIMIT: { status: 434, type: 'MemoryLimitReached' },
  /** 435: no such function in that namespace. */
  FUNCTION_NOT_FOUND: { status: 435, type: 'FunctionNotFound' },
  /** 436: a parameter of the request is invalid. */
  INVALID_PARAMETER: { status: 436, type: 'InvalidParameter' },
  /** 437: the handler named in the configuration does not exist. */
  HANDLER_NOT_FOUND: { status: 437, type: 'HandlerNotFound' },
  /** 439: the user's process exited or crashed during the invocation. */
  USER_PROCESS_EXITED: { status: 439, type: 'UserProcessExited' },
  /** 442: no such version or alias. */
  QUALIFIER_NOT_FOUND: { status: 442, type: 'QualifierNotFound' },
  /** 443: the user's code failed to load (syntax error, missing module, throw at module scope). */
  USER_CODE_LOAD_ERROR: { status: 443, type: 'UserCodeError' },
  /** 446: a web function's server never listened on its port. */
  NOT_LISTENING: { status: 446, type: 'PortNotListening' },
  /** 450: the instance did not become ready within initTimeout. */
  INIT_TIMEOUT: { status: 450, type: 'InitTimeout' },
  /** 499: the invocation was cancelled (terminated async event, client gone). */
  CANCELLED: { status: 499, type: 'Cancelled' },
  /** 500: a fault of fngate itself. */
  INTERNAL: { status: 500, type: 'InternalError' },
  /** 432: the function's async queue holds maxPendingEvents events already; nothing queued is affected. */
  ASYNC_QUEUE_FULL: { status: 432, type: 'AsyncQueueFull' },
  /** 404: no async event (or dead letter) with that request ID. */
  ASYNC_EVENT_NOT_FOUND: { status: 404, type: 'AsyncEventNotFound' },
  /** 503: the gateway holds as many connections as it allows (file descriptors), or it is shutting down. */
  OVERLOADED: { status: 503, type: 'ServiceUnavailable' },
  /** 503: the data dir cannot take writes (disk full, read-only, corrupt); nothing was accepted. */
  STORE_UNAVAILABLE: { status: 503, type: 'StoreUnavailable' },
  /** 404: no namespace of that name (the function lifecycle: gateway/lifecycle/). */
  NAMESPACE_NOT_FOUND: { status: 404, type: 'NamespaceNotFound' },
  /** 404: no layer, or no such version of it. */
  LAYER_NOT_FOUND: { status: 404, type: 'LayerNotFound' },
  /** 409: a namespace, function or alias of that name exists already. */
  ALREADY_EXISTS: { status: 409, type: 'ResourceAlreadyExists' },
  /** 409: refused while something uses it: a version an alias routes to, a namespace holding functions, a layer version bound to a function. */
  RESOURCE_IN_USE: { status: 409, type: 'ResourceInUse' },
  // 401s: the types are TencentCloud API 3.0's AuthFailure codes, so the API 3.0 transport answers with them as they are.
  /** 401: no credentials, or an Authorization header that is neither a Bearer token nor a well-formed TC3-HMAC-SHA256 signature. */
  AUTH_MISSING: { status: 401, type: 'AuthFailure.InvalidAuthorization' },
  /** 401: a Bearer token that is not the gateway's API token. */
  AUTH_TOKEN_INVALID: { status: 401, type: 'AuthFailure.TokenFailure' },
  /** 401: a TC3 signature by a SecretId the gateway does not know. */
  AUTH_SECRET_ID_NOT_FOUND: { status: 401, type: 'AuthFailure.SecretIdNotFound' },
  /** 401: a TC3 signature whose X-TC-Timestamp is more than 5 minutes from the gateway's clock. */
  AUTH_SIGNATURE_EXPIRED: { status: 401, type: 'AuthFailure.SignatureExpire' },
  /** 401: a TC3 signature that does not match the request. */
  AUTH_SIGNATURE_FAILURE: { status: 401, type: 'AuthFailure.SignatureFailure' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface FnErrorOptions {
  /** Stack trace shown to the caller: the user's stack for 430, empty for platform errors. */
  stackTrace?: string;
  /** The user error's own type name (Go `Type`, Python exception class), if any. */
  errorType?: string;
  cause?: unknown;
}

export class FnError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly stackTrace: string;
  readonly errorType: string | undefined;

  constructor(code: ErrorCode, message: string, options: FnErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'FnError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.stackTrace = options.stackTrace ?? '';
    this.errorType = options.errorType;
  }
}

/** A plain, serialisable form of an FnError, for crossing threads and processes. */
export interface FnErrorData {
  code: ErrorCode;
  message: string;
  stackTrace?: string;
  errorType?: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

export function fnErrorFromData(data: FnErrorData): FnError {
  const code = isErrorCode(data.code) ? data.code : 'INTERNAL';
  return new FnError(code, data.message, { stackTrace: data.stackTrace, errorType: data.errorType });
}

/** Any thrown value as an FnError; unknown errors are fngate's own fault (500). */
export function toFnError(error: unknown): FnError {
  if (error instanceof FnError) return error;
  if (error && typeof error === 'object' && isErrorCode((error as { code?: unknown }).code)) {
    return fnErrorFromData(error as FnErrorData);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FnError('INTERNAL', message, { cause: error });
}

/** The SCF error object (SPEC §2): what an invoke returns as its body on failure. */
export interface ScfErrorBody {
  errorCode: number;
  errorMessage: string;
  requestId: string;
  stackTrace: string;
  statusCode: number;
  errorType?: string;
}

export function toScfErrorBody(error: FnError, requestId: string): ScfErrorBody {
  const body: ScfErrorBody = {
    errorCode: -1,
    errorMessage: error.message,
    requestId,
    stackTrace: error.stackTrace,
    statusCode: error.status,
  };
  if (error.errorType) body.errorType = error.errorType;
  return body;
}
