/** The one place where an error becomes an HTTP response (SPEC §2 error object, SCF status code). */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toFnError, toScfErrorBody, ErrorCodes } from './errors.ts';

export const REQUEST_ID_HEADER = 'X-Scf-Request-Id';
export const ERROR_TYPE_HEADER = 'X-Scf-Error-Type';

export function errorResponse(c: Context, error: unknown, requestId: string): Response {
  const fnError = toFnError(error);
  c.header(REQUEST_ID_HEADER, requestId);
  c.header(ERROR_TYPE_HEADER, ErrorCodes[fnError.code].type);
  return c.json(toScfErrorBody(fnError, requestId), fnError.status as ContentfulStatusCode);
}

/** A JSON text that is already serialised, sent as is. */
export function jsonTextResponse(c: Context, text: string, status: ContentfulStatusCode = 200): Response {
  c.header('Content-Type', 'application/json; charset=utf-8');
  return c.body(text, status);
}
