/**
 * The fngate.yml schema (../shared/CONFIG.md): per-function keys are serverless-cloud-framework's scf
 * `inputs`, plus fngate's own keys. Strict objects, so an unknown key or a wrong type is reported with
 * its path; cloud-only keys are listed separately and ignored with a warning. Written with the plain
 * checks of config-check.ts (not zod: start-up time, see there).
 */
import { isIP } from 'node:net';
import {
  array,
  boolean,
  either,
  INVALID,
  isMap,
  number,
  numeric,
  object,
  oneOf,
  optional,
  pipe,
  record,
  string,
  then,
  unknown,
  withDefault,
  type Check,
  type Issue,
} from './config-check.ts';

/** `reservedConcurrency` when a function does not set it (and what DeleteReservedConcurrencyConfig restores). */
export const DEFAULT_RESERVED_CONCURRENCY = 100;

export const FUNCTION_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;

/** Keys that only mean something on the cloud: accepted, ignored, one warning each. */
export const CLOUD_ONLY_KEYS = [
  'region', 'vpcConfig', 'cls', 'cfs', 'role', 'eip', 'tags', 'publicAccess',
  'asyncRunEnable', 'traceEnable', 'installDependency', 'ignoreTriggers', 'l5Enable', 'image', 'msgTTL',
] as const;

const positiveInt = number({ int: true, positive: true });
const nonNegativeInt = number({ int: true, min: 0 });
const optionalString = optional(string());
const optionalBoolean = optional(boolean);
const optionalUnknown = optional(unknown);
const upper = (text: string): string => text.toUpperCase();
/** An IPv4 or IPv6 address (no host name: a resolver is needed before names resolve). */
const ipAddress: Check<string> = pipe(string(), (value, path, issues) => {
  if (isIP(value as string) !== 0) return value as string;
  issues.push({ path, message: `must be an IP address, not "${String(value)}"` });
  return INVALID;
});

const apigwParam = object(
  {
    name: string({ min: 1 }),
    position: pipe(then(string(), upper), oneOf(['PATH', 'QUERY', 'HEADER'] as const)),
    required: optionalBoolean,
    type: optionalString,
    defaultValue: optional(then(either<string | number | boolean>('expected string, number or boolean', string(), number(), boolean), String)),
    desc: optionalString,
  },
  { strict: false },
);

/** The scf component's `endpoints` item; paths may start with `=` (exact) or `^~` (preferred prefix). */
const apigwEndpoint = object(
  {
    path: string({ pattern: /^(=|\^~)?\//, patternMessage: 'must start with /, =/ or ^~/' }),
    method: withDefault(then(string(), upper), 'ANY'),
    function: withDefault(
      object({ isIntegratedResponse: withDefault(boolean, false), functionQualifier: optionalString }, { strict: false }),
      { isIntegratedResponse: false, functionQualifier: undefined },
    ),
    /** Seconds: API gateway's backend timeout, shown to the function as the `endpoint-timeout` header. */
    serviceTimeout: withDefault(numeric(number({ positive: true })), 15),
    /** Every request body reaches the function base64-encoded. */
    isBase64Encoded: withDefault(boolean, false),
    param: withDefault(array(apigwParam), []),
    // Cloud API gateway settings that have no local meaning.
    protocol: optionalString,
    description: optionalString,
    enableCORS: optionalBoolean,
    responseType: optionalString,
    apiName: optionalString,
    apiId: optionalString,
    authType: optionalString,
    auth: optionalUnknown,
    usagePlan: optionalUnknown,
    app: optionalUnknown,
    isBase64Trigger: optionalBoolean,
    base64EncodedTriggerRules: optionalUnknown,
  },
  { strict: true },
);

const apigwEvent = object(
  {
    apigw: object(
      {
        name: optionalString,
        parameters: object(
          {
            serviceName: optionalString,
            serviceId: optionalString,
            environment: optionalString,
            protocols: optional(array(string())),
            endpoints: array(apigwEndpoint, { min: 1 }),
          },
          { strict: false },
        ),
      },
      { strict: false },
    ),
  },
  { strict: true },
);

const timerEvent = object(
  {
    timer: object(
      {
        name: string({ min: 1 }),
        parameters: object(
          // qualifier: the version or alias the trigger invokes (serverless.yml's timer parameter; default $LATEST).
          { cronExpression: string({ min: 1 }), enable: withDefault(boolean, true), argument: optionalString, qualifier: optionalString },
          { strict: true },
        ),
      },
      { strict: true },
    ),
  },
  { strict: true },
);

const cmqEvent = object(
  {
    cmq: object(
      {
        name: optionalString,
        parameters: object({ name: string({ min: 1 }), enable: withDefault(boolean, true), qualifier: optionalString }, { strict: false }),
      },
      { strict: false },
    ),
  },
  { strict: true },
);

const ckafkaEvent = object(
  {
    ckafka: object(
      {
        name: optionalString,
        parameters: object(
          {
            name: optionalString,
            topic: string({ min: 1 }),
            maxMsgNum: withDefault(number({ int: true, positive: true, max: 10000 }), 100),
            retry: optional(number({ int: true })),
            enable: withDefault(boolean, true),
            qualifier: optionalString,
          },
          { strict: false },
        ),
      },
      { strict: false },
    ),
  },
  { strict: true },
);

export type EventInput =
  | CheckedOf<typeof apigwEvent> | CheckedOf<typeof timerEvent> | CheckedOf<typeof cmqEvent> | CheckedOf<typeof ckafkaEvent>;
type CheckedOf<C> = C extends Check<infer T> ? T : never;

const EVENT_KINDS: Record<string, Check<EventInput>> = { apigw: apigwEvent, timer: timerEvent, cmq: cmqEvent, ckafka: ckafkaEvent };

/** One trigger: a map with one key naming its kind, checked by that kind's shape. */
export const eventSchema: Check<EventInput> = (value, path, issues) => {
  const kind = isMap(value) ? Object.keys(value).find((key) => key in EVENT_KINDS) : undefined;
  if (kind === undefined) {
    issues.push({ path, message: `an event is a map with one of the keys ${Object.keys(EVENT_KINDS).join(', ')}` });
    return INVALID;
  }
  return EVENT_KINDS[kind]!(value, path, issues);
};

const layerRef = object(
  { name: string({ min: 1 }), version: either<number | string>('expected a positive integer or a string', positiveInt, string()) },
  { strict: true },
);

const srcSchema = either<string | { src: string; exclude?: string[] }>(
  'expected a path, or a map with src (and exclude)',
  string({ min: 1 }),
  object({ src: string({ min: 1 }), exclude: optional(array(string())) }, { strict: false }),
);

const cloudOnly = Object.fromEntries(CLOUD_ONLY_KEYS.map((key) => [key, optionalUnknown])) as Record<(typeof CLOUD_ONLY_KEYS)[number], typeof optionalUnknown>;

export const functionSchema = object(
  {
    name: optionalString,
    description: optionalString,
    namespace: withDefault(string({ pattern: /^[A-Za-z0-9_-]{1,30}$/, patternMessage: 'must be 1-30 letters, digits, _ or -' }), 'default'),
    src: optional(srcSchema),
    handler: optional(string({ min: 1 })),
    runtime: withDefault(string({ min: 1 }), 'Nodejs18.15'),
    type: withDefault(oneOf(['event', 'web'] as const), 'event'),
    memorySize: withDefault(numeric(number({ int: true, positive: true, min: 64, max: 32768 })), 128),
    timeout: withDefault(numeric(number({ positive: true, max: 86400 })), 3),
    initTimeout: optional(numeric(number({ positive: true, max: 300 }))),
    environment: withDefault(
      object(
        { variables: withDefault(record(either<string | number | boolean>('expected string, number or boolean', string(), number(), boolean)), {}) },
        { strict: true },
      ),
      () => ({ variables: {} }),
    ),
    layers: withDefault(array(layerRef, { max: 5 }), []),
    events: withDefault(array(eventSchema), []),
    // fngate extensions.
    reservedConcurrency: withDefault(numeric(number({ int: true, min: 0, max: 100000 })), DEFAULT_RESERVED_CONCURRENCY),
    provisionedConcurrency: withDefault(numeric(nonNegativeInt), 0),
    instanceConcurrency: optional(numeric(number({ int: true, positive: true, max: 1000 }))),
    retryNum: withDefault(number({ int: true, min: 0, max: 10 }), 2),
    maxEventAge: withDefault(number({ int: true, positive: true, max: 21600 }), 21600),
    maxPendingEvents: withDefault(positiveInt, 100000),
    handlerStyle: withDefault(oneOf(['scf', 'functiongraph'] as const), 'scf'),
    initializer: optionalString,
    /** Node.js event functions: isolated-vm isolates (default) or a real Node.js child process per instance. */
    nodeRuntime: optional(oneOf(['isolate', 'process'] as const)),
    /** Image-style event function: events are POSTed to /event-invoke of the function's own server. */
    eventInvoke: withDefault(oneOf(['handler', 'http'] as const), 'handler'),
    /** `POST /functions/{name}/invoke`: open (an SCF function URL with auth type NONE) or needing the API credentials. */
    invokeAuth: withDefault(oneOf(['none', 'token'] as const), 'none'),
    domains: withDefault(array(string({ min: 1 })), []),
    ...cloudOnly,
  },
  { strict: true },
);

/** fngate.yml's `gateway` section when it is left out; also each key's default. */
export const GATEWAY_DEFAULTS = {
  concurrencyLimit: 1000,
  idleInstanceSeconds: 600,
  region: 'ap-guangzhou',
  appId: '1250000000',
  uin: '100000000001',
  logRetentionDays: 7,
  logRetentionMb: 1024,
  maxConnections: undefined as number | undefined,
  headersTimeoutSeconds: 20,
  requestTimeoutSeconds: 60,
  keepAliveTimeoutSeconds: 5,
  drainSeconds: 20,
  /**
   * How an accepted async event is committed before its 202: full (the WAL is fsynced: it survives a
   * power cut) or normal (it survives any crash of fngate, not the machine's).
   */
  asyncAcceptSync: 'full' as 'normal' | 'full',
  /**
   * Whether every invocation leaves its record and framed log in the store (`fngate logs`, GetFunctionLogs,
   * the invocation list). Off is for a gateway used only to serve or to load-test; nothing is kept then.
   */
  recordInvocations: true,
  /** The network of every sandbox (runtimes/sandbox/network.ts). */
  sandboxNetwork: { hostLoopback: true, dns: [] as string[] },
};

export const gatewaySchema = object(
  {
    concurrencyLimit: withDefault(positiveInt, GATEWAY_DEFAULTS.concurrencyLimit),
    idleInstanceSeconds: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.idleInstanceSeconds),
    region: withDefault(string(), GATEWAY_DEFAULTS.region),
    appId: withDefault(string(), GATEWAY_DEFAULTS.appId),
    uin: withDefault(string(), GATEWAY_DEFAULTS.uin),
    logRetentionDays: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.logRetentionDays),
    /** Logs are also pruned, oldest first, once they hold more than this many MB of text. */
    logRetentionMb: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.logRetentionMb),
    /** Open client connections; more get a 503. Default: most of the file descriptors `ulimit -n` allows. */
    maxConnections: optional(positiveInt),
    /** A client must send its request head within this (slowloris). */
    headersTimeoutSeconds: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.headersTimeoutSeconds),
    /** …and its whole request, body included, within this. */
    requestTimeoutSeconds: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.requestTimeoutSeconds),
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutSeconds: withDefault(number({ positive: true }), GATEWAY_DEFAULTS.keepAliveTimeoutSeconds),
    /** On SIGTERM, how long in-flight requests and async attempts may finish before they are cut. */
    drainSeconds: withDefault(number({ min: 0 }), GATEWAY_DEFAULTS.drainSeconds),
    asyncAcceptSync: withDefault(oneOf(['normal', 'full'] as const), GATEWAY_DEFAULTS.asyncAcceptSync),
    recordInvocations: withDefault(boolean, GATEWAY_DEFAULTS.recordInvocations),
    sandboxNetwork: withDefault(
      object(
        {
          /** Whether functions reach the host's loopback services at 10.0.2.2 (host.fngate.internal). */
          hostLoopback: withDefault(boolean, GATEWAY_DEFAULTS.sandboxNetwork.hostLoopback),
          /** IP addresses of the resolvers sandboxes' DNS queries go to; empty: the host's. */
          dns: withDefault(array(ipAddress), GATEWAY_DEFAULTS.sandboxNetwork.dns),
        },
        { strict: true },
      ),
      GATEWAY_DEFAULTS.sandboxNetwork,
    ),
  },
  { strict: true },
);

export const manifestSchema = object(
  {
    gateway: withDefault(gatewaySchema, GATEWAY_DEFAULTS),
    functions: withDefault(record(unknown), {}),
    layers: withDefault(record(record(string())), {}),
  },
  { strict: true },
);

export type FunctionInput = CheckedOf<typeof functionSchema>;
export type GatewayInput = CheckedOf<typeof gatewaySchema>;

/** Check `value` against `schema`: its checked value, or the issues (each with its key path). */
export function parseWith<T>(schema: Check<T>, value: unknown): { success: true; data: T } | { success: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const data = schema(value, [], issues);
  return data === INVALID || issues.length > 0 ? { success: false, issues } : { success: true, data };
}
