/**
 * The API gateway trigger's two translations (SPEC §5): an HTTP request into SCF's apigw event, and an
 * integrated response `{isBase64Encoded, statusCode, headers, body}` back into an HTTP response.
 */
import { FnError } from '../errors.ts';

export interface ApigwEvent {
  headers: Record<string, string>;
  httpMethod: string;
  path: string;
  queryString: Record<string, string | string[]>;
  queryStringParameters: Record<string, string>;
  headerParameters: Record<string, string>;
  pathParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: {
    serviceId: string;
    requestId: string;
    httpMethod: string;
    path: string;
    sourceIp: string;
    stage: string;
    identity: Record<string, string>;
  };
}

export interface ApigwRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
  sourceIp: string;
  /** The endpoint's configured path, e.g. `/users/{id}`. */
  routePath: string;
  pathParameters: Record<string, string>;
  serviceId: string;
  stage: string;
  requestId: string;
}

const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|x-www-form-urlencoded|javascript|graphql))/i;

/** Text bodies travel as text; anything else (images, octet streams, invalid UTF-8) as base64. */
function encodeBody(body: Uint8Array, contentType: string | null): { body: string; isBase64Encoded: boolean } {
  if (body.byteLength === 0) return { body: '', isBase64Encoded: false };
  if (contentType === null || TEXT_CONTENT_TYPE.test(contentType)) {
    try {
      return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: fall through to base64.
    }
  }
  return { body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
}

export function toApigwEvent(request: ApigwRequest): ApigwEvent {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const queryString: Record<string, string | string[]> = {};
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(request.url.searchParams.keys())) {
    const values = request.url.searchParams.getAll(key);
    queryString[key] = values.length === 1 ? values[0]! : values;
    queryStringParameters[key] = values[values.length - 1]!;
  }
  return {
    headers,
    httpMethod: request.method,
    path: request.url.pathname,
    queryString,
    queryStringParameters,
    headerParameters: {},
    pathParameters: request.pathParameters,
    ...encodeBody(request.body, request.headers.get('content-type')),
    requestContext: {
      serviceId: request.serviceId,
      requestId: request.requestId,
      httpMethod: request.method,
      path: request.routePath,
      sourceIp: request.sourceIp,
      stage: request.stage,
      identity: {},
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array | string;
}

function isIntegratedShape(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value;
}

/**
 * An integrated response becomes the HTTP response; any other result is sent as JSON with 200.
 * Header values given as arrays (several Set-Cookie) become repeated headers.
 */
export function fromFunctionResult(resultJson: string, integrated: boolean): HttpAnswer {
  const result: unknown = JSON.parse(resultJson);
  if (!integrated || !isIntegratedShape(result)) {
    return { status: 200, headers: [['content-type', 'application/json; charset=utf-8']], body: resultJson };
  }
  const status = Number(result.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new FnError('USER_CODE_EXCEPTION', `integrated response has an invalid statusCode: ${String(result.statusCode)}`);
  }
  const headers: Array<[string, string]> = [];
  const given = (result.headers ?? {}) as Record<string, unknown>;
  const multi = (result.multiValueHeaders ?? {}) as Record<string, unknown>;
  for (const source of [given, multi]) {
    for (const [name, value] of Object.entries(source)) {
      for (const item of Array.isArray(value) ? value : [value]) headers.push([name, String(item)]);
    }
  }
  const rawBody = result.body === undefined || result.body === null ? '' : result.body;
  const text = typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
  const body = result.isBase64Encoded === true ? new Uint8Array(Buffer.from(text, 'base64')) : text;
  return { status, headers, body };
}
