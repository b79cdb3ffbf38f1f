/** The one place where an error becomes an HTTP response (SPEC §2 error object, SCF status code). */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toFnError, toScfErrorBody, ErrorCodes } from './errors.ts';

export const REQUEST_ID_HEADER = 'X-Scf-Request-Id';
export const ERROR_TYPE_HEADER = 'X-Scf-Error-Type';
/** The function version that ran (an alias resolved to one). */
export const VERSION_HEADER = 'X-Scf-Version';

export function errorResponse(c: Context, error: unknown, requestId: string): Response {
  const fnError = toFnError(error);
  c.header(REQUEST_ID_HEADER, requestId);
  c.header(ERROR_TYPE_HEADER, ErrorCodes[fnError.code].type);
  return c.json(toScfErrorBody(fnError, requestId), fnError.status as ContentfulStatusCode);
}

/** The same error response, written to a node response (the listener's fast paths). */
export function writeErrorResponse(response: ServerResponse, error: unknown, requestId: string): void {
  const fnError = toFnError(error);
  writeJsonResponse(response, fnError.status, JSON.stringify(toScfErrorBody(fnError, requestId)), requestId, ErrorCodes[fnError.code].type);
}

/** A JSON text written to a node response with the SCF headers. */
export function writeJsonResponse(response: ServerResponse, status: number, body: string, requestId: string, errorType?: string, version?: string): void {
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: requestId,
  };
  if (errorType) headers[ERROR_TYPE_HEADER] = errorType;
  if (version) headers[VERSION_HEADER] = version;
  response.writeHead(status, headers);
  response.end(body);
}
