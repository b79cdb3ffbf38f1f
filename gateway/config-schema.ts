/**
 * The fngate.yml schema (../shared/CONFIG.md): per-function keys are serverless-cloud-framework's scf
 * `inputs`, plus fngate's own keys. Strict objects, so an unknown key or a wrong type is reported with
 * its path; cloud-only keys are listed separately and ignored with a warning.
 */
import { z } from 'zod';

export const FUNCTION_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;

/** Keys that only mean something on the cloud: accepted, ignored, one warning each. */
export const CLOUD_ONLY_KEYS = [
  'region', 'vpcConfig', 'cls', 'cfs', 'role', 'eip', 'tags', 'publicAccess',
  'asyncRunEnable', 'traceEnable', 'installDependency', 'ignoreTriggers', 'l5Enable', 'image', 'msgTTL',
] as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
/** A number that may come as a numeric string, as a serverless.yml `${env:X}` variable gives it. */
const numeric = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value), schema);

const apigwParam = z.looseObject({
  name: z.string().min(1),
  position: z.string().transform((p) => p.toUpperCase()).pipe(z.enum(['PATH', 'QUERY', 'HEADER'])),
  required: z.boolean().optional(),
  type: z.string().optional(),
  defaultValue: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  desc: z.string().optional(),
});

/** The scf component's `endpoints` item; paths may start with `=` (exact) or `^~` (preferred prefix). */
const apigwEndpoint = z.strictObject({
  path: z.string().regex(/^(=|\^~)?\//, 'must start with /, =/ or ^~/'),
  method: z.string().default('ANY').transform((m) => m.toUpperCase()),
  function: z
    .looseObject({ isIntegratedResponse: z.boolean().default(false), functionQualifier: z.string().optional() })
    .default({ isIntegratedResponse: false }),
  /** Seconds: API gateway's backend timeout, shown to the function as the `endpoint-timeout` header. */
  serviceTimeout: numeric(z.number().positive()).default(15),
  /** Every request body reaches the function base64-encoded. */
  isBase64Encoded: z.boolean().default(false),
  param: z.array(apigwParam).default([]),
  // Cloud API gateway settings that have no local meaning.
  protocol: z.string().optional(),
  description: z.string().optional(),
  enableCORS: z.boolean().optional(),
  responseType: z.string().optional(),
  apiName: z.string().optional(),
  apiId: z.string().optional(),
  authType: z.string().optional(),
  auth: z.unknown().optional(),
  usagePlan: z.unknown().optional(),
  app: z.unknown().optional(),
  isBase64Trigger: z.boolean().optional(),
  base64EncodedTriggerRules: z.unknown().optional(),
});

const apigwEvent = z.strictObject({
  apigw: z.looseObject({
    name: z.string().optional(),
    parameters: z.looseObject({
      serviceName: z.string().optional(),
      serviceId: z.string().optional(),
      environment: z.string().optional(),
      protocols: z.array(z.string()).optional(),
      endpoints: z.array(apigwEndpoint).min(1),
    }),
  }),
});

const timerEvent = z.strictObject({
  timer: z.strictObject({
    name: z.string().min(1),
    parameters: z.strictObject({
      cronExpression: z.string().min(1),
      enable: z.boolean().default(true),
      argument: z.string().optional(),
    }),
  }),
});

const cmqEvent = z.strictObject({
  cmq: z.looseObject({
    name: z.string().optional(),
    parameters: z.looseObject({ name: z.string().min(1), enable: z.boolean().default(true) }),
  }),
});

const ckafkaEvent = z.strictObject({
  ckafka: z.looseObject({
    name: z.string().optional(),
    parameters: z.looseObject({
      name: z.string().optional(),
      topic: z.string().min(1),
      maxMsgNum: positiveInt.max(10000).default(100),
      retry: z.number().int().optional(),
      enable: z.boolean().default(true),
    }),
  }),
});

export const eventSchema = z.union([apigwEvent, timerEvent, cmqEvent, ckafkaEvent]);

const layerRef = z.strictObject({ name: z.string().min(1), version: z.union([positiveInt, z.string()]) });

const srcSchema = z.union([
  z.string().min(1),
  z.looseObject({ src: z.string().min(1), exclude: z.array(z.string()).optional() }),
]);

const cloudOnly = Object.fromEntries(CLOUD_ONLY_KEYS.map((key) => [key, z.unknown().optional()]));

export const functionSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  namespace: z.string().regex(/^[A-Za-z0-9_-]{1,30}$/).default('default'),
  src: srcSchema.optional(),
  handler: z.string().min(1).optional(),
  runtime: z.string().min(1).default('Nodejs18.15'),
  type: z.enum(['event', 'web']).default('event'),
  memorySize: numeric(positiveInt.min(64).max(32768)).default(128),
  timeout: numeric(z.number().positive().max(86400)).default(3),
  initTimeout: numeric(z.number().positive().max(300)).optional(),
  environment: z
    .strictObject({ variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}) })
    .default({ variables: {} }),
  layers: z.array(layerRef).max(5).default([]),
  events: z.array(eventSchema).default([]),
  // fngate extensions.
  reservedConcurrency: numeric(nonNegativeInt.max(100000)).default(100),
  provisionedConcurrency: numeric(nonNegativeInt).default(0),
  instanceConcurrency: numeric(positiveInt.max(1000)).optional(),
  retryNum: nonNegativeInt.max(10).default(2),
  maxEventAge: positiveInt.max(21600).default(21600),
  maxPendingEvents: positiveInt.default(100000),
  handlerStyle: z.enum(['scf', 'functiongraph']).default('scf'),
  initializer: z.string().optional(),
  /** Node.js event functions: isolated-vm isolates (default) or a real Node.js child process per instance. */
  nodeRuntime: z.enum(['isolate', 'process']).optional(),
  /** Image-style event function: events are POSTed to /event-invoke of the function's own server. */
  eventInvoke: z.enum(['handler', 'http']).default('handler'),
  /** `POST /functions/{name}/invoke`: open (an SCF function URL with auth type NONE) or needing the API credentials. */
  invokeAuth: z.enum(['none', 'token']).default('none'),
  domains: z.array(z.string().min(1)).default([]),
  ...cloudOnly,
});

export const gatewaySchema = z
  .strictObject({
    concurrencyLimit: positiveInt.default(1000),
    idleInstanceSeconds: z.number().positive().default(600),
    region: z.string().default('ap-guangzhou'),
    appId: z.string().default('1250000000'),
    uin: z.string().default('100000000001'),
    logRetentionDays: z.number().positive().default(7),
  })
  .default({
    concurrencyLimit: 1000,
    idleInstanceSeconds: 600,
    region: 'ap-guangzhou',
    appId: '1250000000',
    uin: '100000000001',
    logRetentionDays: 7,
  });

export const manifestSchema = z.strictObject({
  gateway: gatewaySchema,
  functions: z.record(z.string(), z.unknown()).default({}),
  layers: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});

export type FunctionInput = z.output<typeof functionSchema>;
export type GatewayInput = z.output<typeof gatewaySchema>;
export type EventInput = z.output<typeof eventSchema>;
