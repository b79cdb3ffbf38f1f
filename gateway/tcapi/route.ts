/**
 * TencentCloud API 3.0 at `POST /` (../shared/PROTOCOLS.md): a request naming its action in
 * `X-TC-Action`, signed with TC3-HMAC-SHA256, its parameters as a JSON object. Every answer is HTTP 200
 * with `{"Response": {..., "RequestId"}}` or the error envelope, as the cloud answers: the official SDK
 * turns any other status into an error carrying only the status text.
 * A POST / without `X-TC-Action` is not an API call and goes on to the other routes.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { callerOf } from '../auth/guard.ts';
import { readBody } from '../body.ts';
import { toFnError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { ActionResult } from './action.ts';
import { ACTIONS } from './actions.ts';
import { TCAPI_ROUTE } from './describe.ts';
import { ApiError, cloudErrorOf, type ErrorSubject } from './errors.ts';
import type { Params } from './params.ts';
import { newRequestId } from '../request-id.ts';

export const ACTION_HEADER = 'x-tc-action';
export const API_VERSION = '2018-04-16';
/** The largest zip CreateFunction, UpdateFunctionCode and PublishLayerVersion take inline (SCF: 50 MB). */
export const MAX_INLINE_ZIP_BYTES = 50 * 1024 * 1024;
/** A request body: the largest zip as base64, plus room for the other parameters. */
export const MAX_API_BODY_BYTES = Math.ceil(MAX_INLINE_ZIP_BYTES / 3) * 4 + 1024 * 1024;

function envelope(c: Context, requestId: string, result: ActionResult): Response {
  return c.json({ Response: { ...result, RequestId: requestId } }, 200);
}

function errorEnvelope(c: Context, requestId: string, error: { code: string; message: string }): Response {
  return c.json({ Response: { Error: { Code: error.code, Message: error.message }, RequestId: requestId } }, 200);
}

/**
 * The service of the credential scope must be this endpoint's: `scf`, or what the SDK derives from the
 * endpoint it was given (its first dot-separated label: `127` for `127.0.0.1:9000`).
 */
function checkService(authorization: string, host: string): void {
  const scope = /Credential=[^/,]*\/[^/,]*\/([^/,]*)\/tc3_request/.exec(authorization);
  if (scope === null) return;
  const service = scope[1]!;
  const firstLabel = host.split('.')[0];
  if (service !== 'scf' && service !== firstLabel && service !== firstLabel?.replace(/:\d+$/, '')) {
    throw new ApiError('AuthFailure.SignatureFailure', `the credential scope names the service ${service}; this endpoint is scf (or ${firstLabel})`);
  }
}

/**
 * The body, read only for a caller that may be let in: credentials that need no body (a Bearer token,
 * or none at all) are checked first, so an unauthenticated upload is refused before it is buffered.
 */
async function authenticatedBody(c: Context, services: GatewayServices): Promise<Buffer> {
  const caller = callerOf(c);
  if (!services.auth.needsBody(caller.header('authorization'))) {
    const failure = services.auth.check({ ...caller, body: Buffer.alloc(0) });
    if (failure !== undefined) throw failure;
    return readApiBody(c);
  }
  const body = await readApiBody(c);
  const failure = services.auth.check({ ...caller, body });
  if (failure !== undefined) throw failure;
  checkService(caller.header('authorization') ?? '', caller.header('host') ?? '');
  return body;
}

function parseParams(body: Buffer): Params {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError('InvalidParameterValue.Param', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError('InvalidParameterValue.Param', 'the request body must be a JSON object of parameters');
  return value as Params;
}

/** What a failed action was about: the qualifier it named, and what it acts on (its name without the verb). */
function subjectOf(action: string, params: Params): ErrorSubject {
  const pick = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    qualifier: pick(params.Qualifier) ?? pick(params.FunctionVersion) ?? (action.endsWith('Alias') ? pick(params.Name) : undefined),
    resource: /^(?:Create|Delete|Update|Publish|Get|Put)(\w+?)(?:Config)?$/.exec(action)?.[1],
  };
}

async function readApiBody(c: Context): Promise<Buffer> {
  try {
    return await readBody(c, MAX_API_BODY_BYTES);
  } catch (error) {
    const fnError = toFnError(error);
    if (fnError.code !== 'REQUEST_TOO_LARGE') throw fnError;
    throw new ApiError(
      'RequestSizeLimitExceeded',
      `the request body is over ${MAX_API_BODY_BYTES} bytes: an inline ZipFile holds a zip of at most ${MAX_INLINE_ZIP_BYTES / 1024 / 1024} MB`,
    );
  }
}

export function tcapiRoutes(services: GatewayServices): OpenAPIHono {
  const app = new OpenAPIHono();
  // Described, not validated: the handler answers every failure in the envelope, and passes a POST / without X-TC-Action on.
  app.openAPIRegistry.registerPath(TCAPI_ROUTE);
  app.on('POST', '/', async (c, next) => {
    const actionName = c.req.header(ACTION_HEADER);
    if (actionName === undefined) return next();
    const requestId = newRequestId();
    let params: Params = {};
    try {
      const body = await authenticatedBody(c, services);
      const version = c.req.header('x-tc-version');
      if (!version) throw new ApiError('MissingParameter', 'the X-TC-Version header is required');
      if (version !== API_VERSION) throw new ApiError('NoSuchVersion', `the API version ${version} does not exist: fngate answers ${API_VERSION}`);
      const action = ACTIONS.get(actionName);
      if (action === undefined) throw new ApiError('InvalidAction', `the action ${actionName} does not exist`);
      params = parseParams(body);
      return envelope(c, requestId, await action(params, { services, requestId }));
    } catch (error) {
      const cloud = cloudErrorOf(error, subjectOf(actionName, params));
      if (!(error instanceof ApiError) && toFnError(error).status >= 500) {
        services.logger.error({ err: error, action: actionName, requestId }, 'TencentCloud API action failed');
      }
      return errorEnvelope(c, requestId, cloud);
    }
  });
  return app;
}
