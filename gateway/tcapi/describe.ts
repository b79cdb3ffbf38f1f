/** `POST /` in the OpenAPI document: one operation whose action is a header (the actions: actions.ts). */
import type { RouteConfig } from '@hono/zod-openapi';
import { EXAMPLE_REQUEST_ID, jsonResponse, z } from '../openapi.ts';

const ActionHeaders = z.object({
  'X-TC-Action': z.string().openapi({ description: 'The action: Invoke, GetFunction, CreateFunction, PublishVersion, CreateAlias, ListAsyncEvents …', example: 'Invoke' }),
  'X-TC-Version': z.enum(['2018-04-16']).openapi({ description: 'The API version (SCF 2018-04-16)', example: '2018-04-16' }),
  'X-TC-Timestamp': z.string().regex(/^\d+$/).openapi({ description: 'Unix seconds; more than 5 minutes off is refused', example: '1764400000' }),
  'X-TC-Region': z.string().optional().openapi({ description: 'Accepted and ignored', example: 'ap-guangzhou' }),
});

const paramsExample = { FunctionName: 'hello', ClientContext: '{"name":"fngate"}', LogType: 'Tail' };
const ParamsSchema = z.record(z.string(), z.unknown()).openapi('TencentCloudApiParameters', {
  description: "The action's parameters, as the SDK's request model (scf_models.d.ts) names them",
  example: paramsExample,
});

const EnvelopeSchema = z
  .object({
    Response: z
      .object({
        RequestId: z.string(),
        Error: z.object({ Code: z.string(), Message: z.string() }).optional().openapi({ description: 'Present when the call failed' }),
      })
      .passthrough()
      .openapi({ description: "The action's response fields and RequestId, or Error and RequestId" }),
  })
  .openapi('TencentCloudApiResponse');

const successExample = {
  Response: {
    Result: {
      FunctionRequestId: EXAMPLE_REQUEST_ID,
      RetMsg: '{"message":"Hello, fngate!"}',
      ErrMsg: '',
      Log: '',
      Duration: 1.42,
      BillDuration: 2,
      MemUsage: 9437184,
      InvokeResult: 0,
    },
    RequestId: '2f5e6a3c-8d1b-4f0e-a7c2-9b4d6e1f3a58',
  },
};

export const TCAPI_ROUTE: RouteConfig = {
  method: 'post',
  path: '/',
  operationId: 'tencentCloudApi',
  tags: ['tencentcloud-api'],
  summary: 'TencentCloud API 3.0 (SCF 2018-04-16), as the official SDKs call it',
  description:
    'Signed with TC3-HMAC-SHA256 by a key pair of the gateway (or a Bearer API token). Every answer is HTTP 200 with the envelope: ' +
    '`{"Response": {..., "RequestId"}}`, or `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` with the cloud\'s error codes ' +
    '(AuthFailure.*, InvalidAction, MissingParameter, InvalidParameterValue.*, ResourceNotFound.* …). A POST / without X-TC-Action is not ' +
    "this operation: it reaches the functions' API gateway endpoints.",
  security: [{ tc3: [] }, { bearerAuth: [] }],
  request: {
    headers: ActionHeaders,
    body: { description: "The action's parameters", content: { 'application/json': { schema: ParamsSchema, example: paramsExample } } },
  },
  responses: { 200: jsonResponse('The response, or the error envelope', EnvelopeSchema, successExample) },
};
