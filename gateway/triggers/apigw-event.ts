/**
 * The API gateway trigger's two translations (SPEC §5): an HTTP request into SCF's apigw event, and an
 * integrated response `{isBase64Encoded, statusCode, headers, body}` back into an HTTP response.
 */
import { FnError } from '../errors.ts';

/** A query value as SCF delivers it: a key given without `=` (`?flag`) is `true`; a repeated key a list. */
export type QueryValue = string | true | string[];

export interface ApigwEvent {
  headers: Record<string, string>;
  httpMethod: string;
  path: string;
  queryString: Record<string, QueryValue>;
  queryStringParameters: Record<string, string>;
  headerParameters: Record<string, string>;
  pathParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: {
    serviceId: string;
    path: string;
    httpMethod: string;
    requestId: string;
    identity: Record<string, string>;
    sourceIp: string;
    stage: string;
  };
}

/** A front-end parameter declared on the endpoint (`param:` of the scf component's endpoints). */
export interface DeclaredParameter {
  name: string;
  position: 'PATH' | 'QUERY' | 'HEADER';
  defaultValue?: string;
}

/** The endpoint's settings that show in the event. */
export interface ApigwEndpointInfo {
  /** The configured path, e.g. `/users/{id}`: requestContext.path. */
  path: string;
  /** The configured method (`ANY` included): requestContext.httpMethod. */
  method: string;
  serviceId: string;
  stage: string;
  /** serviceTimeout, seconds: the `endpoint-timeout` header. */
  serviceTimeoutS: number;
  /** The function qualifier the trigger invokes: the `x-qualifier` header. */
  qualifier: string;
  params: DeclaredParameter[];
  /** The endpoint's isBase64Encoded switch: every body arrives base64-encoded. */
  base64Body: boolean;
}

export interface ApigwRequest {
  method: string;
  /** The request path (no query). */
  path: string;
  /** The raw query string, without `?`. */
  rawQuery: string;
  headers: Headers;
  body: Uint8Array;
  sourceIp: string;
  scheme: 'http' | 'https';
  endpoint: ApigwEndpointInfo;
  pathParameters: Record<string, string>;
  requestId: string;
}

const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|x-www-form-urlencoded|javascript|graphql))/i;

/**
 * Text bodies travel as text; anything else (images, octet streams, invalid UTF-8) as base64, since a
 * JSON string cannot carry raw bytes. An endpoint with isBase64Encoded sends every body as base64.
 */
function encodeBody(body: Uint8Array, contentType: string | null, forceBase64: boolean): { body: string; isBase64Encoded: boolean } {
  if (body.byteLength === 0) return { body: '', isBase64Encoded: false };
  if (!forceBase64 && (contentType === null || TEXT_CONTENT_TYPE.test(contentType))) {
    try {
      return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: fall through to base64.
    }
  }
  return { body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/**
 * SCF's `queryString`: one value as a string, repeated keys as a list, a key without `=` as `true`
 * (scf-go-lib's APIGatewayQueryString reads exactly these three shapes; its test event holds
 * `"i": true` for `?i`). URLSearchParams cannot tell `?flag` from `?flag=`, so the query is split here.
 */
export function parseQueryString(rawQuery: string): Record<string, QueryValue> {
  const values = new Map<string, Array<string | true>>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value: string | true = eq < 0 ? true : decodeQueryPart(pair.slice(eq + 1));
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  const query: Record<string, QueryValue> = {};
  for (const [key, list] of values) {
    query[key] = list.length === 1 ? list[0]! : list.map((value) => (value === true ? '' : value));
  }
  return query;
}

/** API gateway's request ID: 32 hex digits, sent as x-api-requestid and x-b3-traceid. */
export const apiRequestIdOf = (requestId: string): string => requestId.replace(/-/g, '');

/**
 * The headers API gateway adds before invoking the function (seen in SCF's own sample events: the seeds'
 * CustomRuntime example, scf-go-lib's apigw test event): the client's own values are replaced.
 */
export function apigwHeaders(request: Pick<ApigwRequest, 'requestId' | 'scheme' | 'endpoint'>): Record<string, string> {
  const apiRequestId = apiRequestIdOf(request.requestId);
  return {
    'endpoint-timeout': String(request.endpoint.serviceTimeoutS),
    'x-anonymous-consumer': 'true',
    'x-api-requestid': apiRequestId,
    'x-api-scheme': request.scheme,
    'x-b3-traceid': apiRequestId,
    'x-qualifier': request.endpoint.qualifier,
  };
}

export function toApigwEvent(request: ApigwRequest): ApigwEvent {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  Object.assign(headers, apigwHeaders(request));
  const queryString = parseQueryString(request.rawQuery);
  // Only parameters declared on the endpoint fill queryStringParameters and headerParameters (SCF's
  // events leave both {} for an API without declared parameters).
  const queryStringParameters: Record<string, string> = {};
  const headerParameters: Record<string, string> = {};
  for (const param of request.endpoint.params) {
    if (param.position === 'QUERY') {
      const given = queryString[param.name];
      const value = Array.isArray(given) ? given.at(-1) : given === true ? '' : given;
      if (value !== undefined || param.defaultValue !== undefined) queryStringParameters[param.name] = value ?? param.defaultValue!;
    } else if (param.position === 'HEADER') {
      const value = request.headers.get(param.name) ?? param.defaultValue;
      if (value !== undefined) headerParameters[param.name] = value;
    }
  }
  const { endpoint } = request;
  return {
    headers,
    httpMethod: request.method,
    path: request.path,
    queryString,
    queryStringParameters,
    headerParameters,
    pathParameters: request.pathParameters,
    ...encodeBody(request.body, request.headers.get('content-type'), endpoint.base64Body),
    requestContext: {
      serviceId: endpoint.serviceId,
      path: endpoint.path,
      httpMethod: endpoint.method,
      requestId: request.requestId,
      identity: {},
      sourceIp: request.sourceIp,
      stage: endpoint.stage,
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
