/**
 * The error codes of TencentCloud API 3.0 as fngate answers them. Failures inside fngate are FnErrors
 * (gateway/errors.ts); this file is the one table that turns an FnError code into the cloud's code.
 * Failures of the API call itself (an unknown action, a missing or mistyped parameter) have no FnError
 * code — they exist only on this transport — and are thrown as ApiErrors carrying the cloud's code.
 */
import { ErrorCodes, toFnError, type ErrorCode, type FnError } from '../errors.ts';

/** A failure with the cloud's own error code (`MissingParameter`, `InvalidParameterValue.Limit` …). */
export class ApiError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** What the failing call was about, for codes that depend on it. */
export interface ErrorSubject {
  /** The qualifier the call named, when it named one (an unknown one: version or alias). */
  qualifier?: string;
  /** What the action acts on (`CreateNamespace` → `Namespace`), for `ResourceInUse.<resource>`. */
  resource?: string;
}

const VERSION_QUALIFIER = /^(\d+|\$LATEST)$/;

/**
 * FnError code → the cloud's code. The 401s need no entry: their types are the cloud's AuthFailure
 * codes already. Other codes not listed fall back by status (`fallbackByStatus`), so a code added to
 * gateway/errors.ts still answers something the SDK understands.
 */
const CLOUD_CODES: Partial<Record<ErrorCode, string | ((subject: ErrorSubject) => string)>> = {
  FUNCTION_NOT_FOUND: 'ResourceNotFound.Function',
  QUALIFIER_NOT_FOUND: (subject) =>
    subject.qualifier !== undefined && !VERSION_QUALIFIER.test(subject.qualifier) ? 'ResourceNotFound.Alias' : 'ResourceNotFound.Version',
  INVALID_PARAMETER: 'InvalidParameterValue',
  EVENT_NOT_JSON: 'InvalidParameterValue.Param',
  REQUEST_TOO_LARGE: 'RequestSizeLimitExceeded',
  ASYNC_EVENT_NOT_FOUND: 'ResourceNotFound.AsyncEvent',
  ASYNC_QUEUE_FULL: 'LimitExceeded',
  CONCURRENCY_LIMIT: 'LimitExceeded',
  OVERLOADED: 'ServiceUnavailable',
  STORE_UNAVAILABLE: 'ResourceUnavailable',
  CANCELLED: 'FailedOperation',
  INTERNAL: 'InternalError',
};

/** The cloud's `ResourceInUse.*` codes: taken names and resources something else uses. */
const IN_USE_RESOURCES: ReadonlySet<string> = new Set(['Alias', 'Function', 'LayerVersion', 'Namespace', 'Trigger']);

/**
 * By status, for codes the table leaves out: 401s are the cloud's codes already; a 404 whose type is
 * `<Thing>NotFound` is `ResourceNotFound.<Thing>`; a 409 (taken, or in use) is `ResourceInUse.<resource>`.
 */
function fallbackByStatus(error: FnError, subject: ErrorSubject): string {
  const type: string = ErrorCodes[error.code].type;
  if (error.status === 401) return type;
  if (error.status === 404) return type.endsWith('NotFound') ? `ResourceNotFound.${type.slice(0, -'NotFound'.length)}` : 'ResourceNotFound';
  if (error.status === 409) return subject.resource !== undefined && IN_USE_RESOURCES.has(subject.resource) ? `ResourceInUse.${subject.resource}` : 'ResourceInUse';
  if (error.status === 403) return 'UnauthorizedOperation';
  if (error.status >= 500) return 'InternalError';
  if (error.status === 400 || error.status === 436) return 'InvalidParameterValue';
  return 'FailedOperation';
}

/** The cloud's code and message for any thrown value. */
export function cloudErrorOf(error: unknown, subject: ErrorSubject = {}): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const fnError = toFnError(error);
  const entry = CLOUD_CODES[fnError.code];
  const code = entry === undefined ? fallbackByStatus(fnError, subject) : typeof entry === 'string' ? entry : entry(subject);
  return { code, message: fnError.message };
}

/** `MissingParameter`: a required parameter is absent (the SDK drops null values, so null counts as absent). */
export const missingParameter = (name: string): ApiError => new ApiError('MissingParameter', `the parameter ${name} is required`);

/** `InvalidParameterValue.<Key>`: a parameter present but of the wrong type or out of range. */
export const invalidParameter = (key: string, message: string): ApiError => new ApiError(`InvalidParameterValue.${key}`, message);
