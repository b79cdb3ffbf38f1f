/** Read-only management API: functions, their instances and their logs. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { FunctionConfig } from '../config.ts';
import { DEFAULT_NAMESPACE, type DeployedFunction } from '../registry.ts';
import { apiApp, errorResponses, EXAMPLE_REQUEST_ID, functionNameParam, jsonResponse, limitParam, namespaceParam, openapiRoute, valid, z } from '../openapi.ts';
import type { GatewayServices } from '../services.ts';

/** Most log lines one request returns. */
export const MAX_LOG_LIMIT = 10_000;
export const DEFAULT_LOG_LIMIT = 1000;

const FunctionSummarySchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().optional(),
    runtime: z.string(),
    type: z.enum(['event', 'web']),
    handler: z.string(),
    memorySize: z.number().int().openapi({ description: 'MB' }),
    timeout: z.number().openapi({ description: 'Seconds' }),
    initTimeout: z.number().openapi({ description: 'Seconds' }),
    reservedConcurrency: z.number().int(),
    provisionedConcurrency: z.number().int(),
    instances: z.number().int(),
    inFlight: z.number().int(),
    coldStarts: z.number().int(),
  })
  .openapi('FunctionSummary');

const summaryExample = {
  namespace: 'default',
  name: 'hello',
  version: '$LATEST',
  runtime: 'Nodejs18.15',
  type: 'event' as const,
  handler: 'index.main_handler',
  memorySize: 128,
  timeout: 3,
  initTimeout: 65,
  reservedConcurrency: 100,
  provisionedConcurrency: 0,
  instances: 1,
  inFlight: 0,
  coldStarts: 1,
};

const FunctionDetailSchema = FunctionSummarySchema.extend({
  environment: z.record(z.string(), z.string()),
  events: z.array(z.record(z.string(), z.unknown())).openapi({ description: "The function's triggers, as in fngate.yml" }),
}).openapi('Function');

const InstanceSchema = z
  .object({
    id: z.string(),
    state: z.enum(['starting', 'idle', 'busy']),
    createdAt: z.number().int().openapi({ description: 'Epoch ms' }),
    lastUsedAt: z.number().int().openapi({ description: 'Epoch ms' }),
    ageMs: z.number().int(),
    invocations: z.number().int(),
    inFlight: z.number().int(),
    provisioned: z.boolean(),
    memoryBytes: z.number().int(),
  })
  .openapi('Instance');

const LogLineSchema = z
  .object({
    requestId: z.string(),
    time: z.number().int().openapi({ description: 'Epoch ms' }),
    line: z.string().openapi({ description: 'The framed line, exactly as printed (SPEC §6)' }),
  })
  .openapi('LogLine');

const FunctionParams = z.object({ name: functionNameParam });
const NamespaceQuery = z.object({ namespace: namespaceParam });
const LogsQuery = z.object({
  namespace: namespaceParam,
  requestId: z.string().optional().openapi({ description: 'Only the lines of this invocation', example: EXAMPLE_REQUEST_ID }),
  limit: limitParam(MAX_LOG_LIMIT, DEFAULT_LOG_LIMIT),
});

/** A configuration's main keys in the REST API's names and units (fngate.yml's: MB, s). */
export function configJson(config: FunctionConfig): Pick<z.input<typeof FunctionSummarySchema>, 'runtime' | 'type' | 'handler' | 'memorySize' | 'timeout' | 'initTimeout'> {
  return {
    runtime: config.runtime,
    type: config.type,
    handler: config.handler,
    memorySize: config.memoryMb,
    timeout: config.timeoutMs / 1000,
    initTimeout: config.initTimeoutMs / 1000,
  };
}

function describe(fn: DeployedFunction): z.input<typeof FunctionSummarySchema> {
  const { config } = fn;
  return {
    namespace: config.namespace,
    name: config.name,
    version: fn.version,
    description: config.description,
    ...configJson(config),
    reservedConcurrency: config.reservedConcurrency,
    provisionedConcurrency: config.provisionedConcurrency,
    instances: fn.pool.size,
    inFlight: fn.limiter.inFlight,
    coldStarts: fn.pool.coldStarts,
  };
}

export function functionRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  const lookup = (name: string, namespace: string | undefined): DeployedFunction =>
    services.registry.lookup(namespace || DEFAULT_NAMESPACE, name);

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions',
      operationId: 'listFunctions',
      tags: ['functions'],
      summary: 'Every deployed function',
      responses: {
        200: jsonResponse('The functions', z.object({ functions: z.array(FunctionSummarySchema) }), { functions: [summaryExample] }),
      },
    },
    (c) => c.json({ functions: services.registry.list().map(describe) }),
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}',
      operationId: 'getFunction',
      tags: ['functions'],
      summary: "A function's configuration and state",
      request: { params: FunctionParams, query: NamespaceQuery },
      responses: {
        200: jsonResponse('The function', FunctionDetailSchema, { ...summaryExample, environment: { GREETING: 'hi' }, events: [] }),
        ...errorResponses('FUNCTION_NOT_FOUND', 'INVALID_PARAMETER'),
      },
    },
    (c) => {
      const fn = lookup(valid(c, 'param', FunctionParams).name, valid(c, 'query', NamespaceQuery).namespace);
      return c.json({ ...describe(fn), environment: fn.config.environment, events: fn.config.events });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}/instances',
      operationId: 'listInstances',
      tags: ['functions'],
      summary: "A function's instances",
      request: { params: FunctionParams, query: NamespaceQuery },
      responses: {
        200: jsonResponse('The instances', z.object({ instances: z.array(InstanceSchema) }), {
          instances: [
            { id: 'i-3f2a9c', state: 'idle', createdAt: 1764400000000, lastUsedAt: 1764400004200, ageMs: 5000, invocations: 3, inFlight: 0, provisioned: false, memoryBytes: 9437184 },
          ],
        }),
        ...errorResponses('FUNCTION_NOT_FOUND', 'INVALID_PARAMETER'),
      },
    },
    (c) => {
      const fn = lookup(valid(c, 'param', FunctionParams).name, valid(c, 'query', NamespaceQuery).namespace);
      const now = Date.now();
      return c.json({
        instances: fn.pool.info().map((info) => ({ ...info, ageMs: now - info.createdAt })),
      });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}/logs',
      operationId: 'getFunctionLogs',
      tags: ['functions'],
      summary: "A function's framed logs, oldest first",
      request: { params: FunctionParams, query: LogsQuery },
      responses: {
        200: jsonResponse(
          'The log lines',
          z.object({ namespace: z.string(), name: z.string(), lines: z.array(LogLineSchema) }),
          {
            namespace: 'default',
            name: 'hello',
            lines: [
              { requestId: EXAMPLE_REQUEST_ID, time: 1764400000000, line: `START RequestId: ${EXAMPLE_REQUEST_ID}` },
              { requestId: EXAMPLE_REQUEST_ID, time: 1764400000003, line: `END RequestId: ${EXAMPLE_REQUEST_ID}` },
            ],
          },
        ),
        ...errorResponses('FUNCTION_NOT_FOUND', 'INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const query = valid(c, 'query', LogsQuery);
      const fn = lookup(valid(c, 'param', FunctionParams).name, query.namespace);
      // Logs are written in batches; make this read see every invocation that already answered.
      await services.store.flush();
      const lines = services.store.getLogs({
        namespace: fn.config.namespace,
        functionName: fn.config.name,
        requestId: query.requestId || undefined,
        limit: query.limit,
      });
      return c.json({ namespace: fn.config.namespace, name: fn.config.name, lines });
    },
  );

  return app;
}
