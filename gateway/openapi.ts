/**
 * The REST API's OpenAPI 3.1 description, generated from the zod schemas the routes validate with
 * (@hono/zod-openapi): each route file declares its routes with `createRoute` (params, query, headers, body
 * and every status it answers, each with an example) and registers them through `openapiRoute` below.
 * Validation failures answer as every other error does: the SCF error object, 436 INVALID_PARAMETER.
 */
import { OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ErrorCodes, FnError, type ErrorCode } from './errors.ts';
import { packageVersion } from './version.ts';
import { errorResponse, ERROR_TYPE_HEADER, REQUEST_ID_HEADER } from './respond.ts';

export { z };

export const OPENAPI_PATH = '/openapi.json';

/** Operation tags, in the order the document lists them. */
export const TAGS = [
  { name: 'invoke', description: 'Invoke a function, synchronously or as an async event' },
  { name: 'functions', description: 'Deployed functions, their instances and logs' },
  { name: 'lifecycle', description: 'Create, update and delete functions; publish versions; aliases' },
  { name: 'namespaces', description: 'Namespaces functions live in' },
  { name: 'layers', description: 'Layer versions, stacked under /opt of the functions bound to them' },
  { name: 'async', description: 'Async event records, termination and queue depths' },
  { name: 'dead-letters', description: 'Async events that ran out of retries or age' },
  { name: 'topics', description: 'Internal topics standing in for CMQ and CKafka' },
  { name: 'tencentcloud-api', description: 'TencentCloud API 3.0 at POST /, driven by the official SDKs (gateway/tcapi/)' },
  { name: 'health', description: 'Liveness and this description' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

export const EXAMPLE_REQUEST_ID = '6c1b7f2e-3a8d-4c1e-9a55-2f0d8e4b7c10';

/** Where a failed parameter came from, as the error message names it. */
const TARGET_NAMES: Record<string, string> = { query: 'query', param: 'path', header: 'header', json: 'body' };

/**
 * The `defaultHook` of every API app: a failed validation is an SCF error (436), like the hand-written
 * checks it replaced, with a message naming the parameter.
 */
export function validationHook(result: { success: boolean; target: string; error?: z.ZodError }, c: Context): Response | undefined {
  if (result.success || !result.error) return undefined;
  const issue = result.error.issues[0];
  const where = TARGET_NAMES[result.target] ?? result.target;
  const key = issue?.path.length ? `"${issue.path.join('.')}"` : '';
  const message = `${where} parameter${key ? ` ${key}` : ''}: ${issue?.message ?? 'invalid'}`;
  return errorResponse(c, new FnError('INVALID_PARAMETER', message), c.req.param('requestId') ?? '');
}

/** A Hono app whose routes are described in the OpenAPI document and validated with the hook above. */
export function apiApp(): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook as never });
  // Handlers throw FnErrors; this turns them (and any fault) into the SCF error object.
  app.onError((error, c) => errorResponse(c, error, c.req.param('requestId') ?? ''));
  return app;
}

/**
 * Registers `route` on `app`: its params, query and headers are validated (the hook answers 436), and the
 * whole route, request body included, is described. A JSON request body is documented but read by the
 * handler itself: it must be read with a size cap (406) and invalid JSON is an SCF 400, neither of which a
 * body validator does; the handler validates it with the same zod schema (`parseBody`).
 */
export function openapiRoute(app: OpenAPIHono, route: RouteConfig, handler: (c: Context) => Response | Promise<Response>): void {
  const { body, ...request } = route.request ?? {};
  if (body === undefined) {
    app.openapi(route, handler as never);
    return;
  }
  app.openAPIRegistry.registerPath(route);
  app.openapi({ ...route, request, hide: true }, handler as never);
}

/** The validated value of one request part, as its schema outputs it (validated before the handler ran). */
export function valid<S extends z.ZodType>(c: Context, target: 'query' | 'param' | 'header', _schema: S): z.output<S> {
  return c.req.valid(target as never) as z.output<S>;
}

/** A body already parsed as JSON, validated against its schema: the first issue as a 436. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new FnError('INVALID_PARAMETER', `${at}${issue?.message ?? 'invalid body'}`);
}

/** SPEC §2: the error object every failure answers with. */
export const ScfErrorSchema = z
  .object({
    errorCode: z.number().int().openapi({ description: 'Always -1 (SCF)' }),
    errorMessage: z.string(),
    requestId: z.string().openapi({ description: 'The request ID, or empty when the request never got one' }),
    stackTrace: z.string().openapi({ description: "The user's stack for 430, else empty" }),
    statusCode: z.number().int().openapi({ description: 'The SCF status code, also the HTTP status' }),
    errorType: z.string().optional().openapi({ description: "The user error's own type name (Go Type, Python exception class)" }),
  })
  .openapi('ScfError', {
    example: { errorCode: -1, errorMessage: 'function missing not found in namespace default', requestId: EXAMPLE_REQUEST_ID, stackTrace: '', statusCode: 435 },
  });

/** Headers every invoke answer carries; errors add the error type. */
export const requestIdHeader = z.object({
  [REQUEST_ID_HEADER]: z.string().openapi({ description: 'The request ID of the invocation', example: EXAMPLE_REQUEST_ID }),
});
const errorHeaders = requestIdHeader.extend({
  [ERROR_TYPE_HEADER]: z.string().openapi({ description: 'The error type (ErrorCodes), e.g. FunctionNotFound', example: 'FunctionNotFound' }),
});

/** An example message per code, for the documented error responses. */
const EXAMPLE_MESSAGES: Record<ErrorCode, string> = {
  EVENT_NOT_JSON: 'the event is not valid JSON: Unexpected token } in JSON at position 9',
  REQUEST_TOO_LARGE: 'the request body is over the 6291456 byte limit',
  RESPONSE_TOO_LARGE: 'the result is over the 6291456 byte limit',
  USER_CODE_EXCEPTION: 'user code exception caught',
  CONCURRENCY_LIMIT: 'function hello reached its concurrency limit of 10',
  TIMEOUT: 'the invocation ran past the 3000 ms timeout',
  MEMORY_LIMIT: 'the instance went over its 128 MB memory size',
  FUNCTION_NOT_FOUND: 'function missing not found in namespace default',
  INVALID_PARAMETER: 'query parameter "limit": must be an integer from 1 to 1000',
  HANDLER_NOT_FOUND: 'the handler "index.main_handler" names no file index.js in the code folder',
  USER_PROCESS_EXITED: 'the function process exited with code 1',
  QUALIFIER_NOT_FOUND: 'version or alias 7 of function hello not found',
  USER_CODE_LOAD_ERROR: "Cannot find module 'missing-package'",
  NOT_LISTENING: 'the web function did not listen on port 9000',
  INIT_TIMEOUT: 'the instance was not ready within the 3 s initTimeout',
  CANCELLED: 'the async event was terminated',
  INTERNAL: 'an internal error of fngate',
  ASYNC_QUEUE_FULL: 'the async queue of "hello" holds 100000 events already',
  ASYNC_EVENT_NOT_FOUND: `no async event with request ID ${EXAMPLE_REQUEST_ID}`,
  OVERLOADED: 'the gateway holds 10000 connections, its limit; retry shortly',
  STORE_UNAVAILABLE: 'the event could not be stored: database or disk is full (data dir /srv/fngate/.fngate); free space there and retry',
  NAMESPACE_NOT_FOUND: 'namespace staging not found',
  LAYER_NOT_FOUND: 'layer common has no version 3',
  ALREADY_EXISTS: 'function hello already exists in namespace default',
  RESOURCE_IN_USE: 'version 1 of function hello cannot be deleted: alias prod routes to it',
  AUTH_MISSING: 'this route needs Authorization: Bearer <token> or a TC3-HMAC-SHA256 signature',
  AUTH_TOKEN_INVALID: 'the Bearer token is not the API token',
  AUTH_SECRET_ID_NOT_FOUND: 'no key pair with SecretId AKIDexample',
  AUTH_SIGNATURE_EXPIRED: 'the signature timestamp is more than 300 s from the gateway clock',
  AUTH_SIGNATURE_FAILURE: 'the TC3-HMAC-SHA256 signature does not match the request',
};

function errorExample(code: ErrorCode): z.input<typeof ScfErrorSchema> {
  const example: z.input<typeof ScfErrorSchema> = {
    errorCode: -1,
    errorMessage: EXAMPLE_MESSAGES[code],
    requestId: EXAMPLE_REQUEST_ID,
    stackTrace: code === 'USER_CODE_EXCEPTION' ? "Error: boom\n    at exports.main_handler (/var/user/index.js:2:9)" : '',
    statusCode: ErrorCodes[code].status,
  };
  if (code === 'USER_CODE_EXCEPTION') example.errorType = 'Error';
  return example;
}

/** The documented error responses of a route: one per status, describing every code that answers with it. */
export function errorResponses(...codes: ErrorCode[]): RouteConfig['responses'] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ErrorCodes[code].status, [...(byStatus.get(ErrorCodes[code].status) ?? []), code]);
  const responses: RouteConfig['responses'] = {};
  for (const [status, sameStatus] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: sameStatus.map((code) => `${ErrorCodes[code].type} (${code}): ${EXAMPLE_MESSAGES[code]}`).join('; '),
      headers: errorHeaders,
      content: { 'application/json': { schema: ScfErrorSchema, example: errorExample(sameStatus[0]!) } },
    };
  }
  return responses;
}

/** A JSON success response. */
export function jsonResponse(description: string, schema: z.ZodType, example: unknown, headers?: z.ZodObject): RouteConfig['responses'][number] {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema, example } } };
}

/** The namespace query parameter most routes take. */
export const namespaceParam = z
  .string()
  .optional()
  .openapi({ description: 'Namespace of the function', example: 'default' });

/** A function name in the path. */
export const functionNameParam = z.string().min(1).openapi({ description: 'Function name', example: 'hello' });

/** A `limit` query parameter from 1 to `max`. */
export function limitParam(max: number, fallback: number) {
  const message = `must be an integer from 1 to ${max}`;
  return z.coerce
    .number({ error: message })
    .int({ error: message })
    .min(1, { error: message })
    .max(max, { error: message })
    .default(fallback)
    .openapi({ description: `Most entries to return (default ${fallback})`, example: Math.min(fallback, 10) });
}

const DocumentSchema = z
  .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .passthrough()
  .openapi('OpenAPIDocument');

/** The security schemes of the management routes (gateway/auth/). */
const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API token: FNGATE_API_TOKEN, or apiToken in <data dir>/credentials.json' },
  tc3: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A TencentCloud API 3.0 TC3-HMAC-SHA256 signature by a key pair (FNGATE_SECRET_ID / FNGATE_SECRET_KEY, or in credentials.json)',
  },
} as const;

/** Marks the operations `needsAuth` names as needing one of the schemes above. */
function withSecurity(document: { paths?: Record<string, Record<string, unknown>>; components?: Record<string, unknown> }, needsAuth: (method: string, path: string) => boolean): void {
  document.components = { ...document.components, securitySchemes: SECURITY_SCHEMES };
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (operation && typeof operation === 'object' && needsAuth(method.toUpperCase(), path)) {
        (operation as { security?: unknown }).security = [{ bearerAuth: [] }, { tc3: [] }];
      }
    }
  }
}

/**
 * `GET /openapi.json` on the root app: the description of every route registered on it so far and later.
 * Open without credentials: it documents the API and holds nothing about the functions.
 */
export function addOpenApiRoute(app: OpenAPIHono, needsAuth: (method: string, path: string) => boolean): void {
  let document: unknown;
  const version = packageVersion();
  openapiRoute(
    app,
    {
      method: 'get',
      path: OPENAPI_PATH,
      operationId: 'getOpenApi',
      tags: ['health'],
      summary: 'This description of the REST API (OpenAPI 3.1)',
      responses: {
        200: jsonResponse('The OpenAPI 3.1 document', DocumentSchema, { openapi: '3.1.0', info: { title: 'fngate', version }, paths: {} }),
      },
    },
    (c) => {
      // Built once, on first request: every route is registered by then.
      if (document !== undefined) return c.json(document);
      document = app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'fngate',
          version,
          description:
            'The REST API of fngate, a self-hosted SCF-compatible function platform. Errors answer with the SCF error object and its status code (SPEC §5).',
        },
        tags: TAGS.map((tag) => ({ ...tag })),
      });
      withSecurity(document as Parameters<typeof withSecurity>[0], needsAuth);
      return c.json(document);
    },
  );
}
