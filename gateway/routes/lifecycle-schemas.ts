/**
 * The REST shapes of the function lifecycle: request bodies in fngate.yml's keys and units (memorySize in
 * MB, timeout in s) mapped onto the service's FunctionSettings, the views it answers with, and reading a
 * zip from a request (raw `application/zip`, or base64 `zipFile` in JSON), with SCF's size limit.
 */
import type { Context } from 'hono';
import { readBody } from '../body.ts';
import { FnError } from '../errors.ts';
import type { AliasView, FunctionVersionView, LayerVersionView, NamespaceView } from '../lifecycle/contract.ts';
import { MAX_ZIP_BYTES, MB } from '../lifecycle/limits.ts';
import { z } from '../openapi.ts';
import { configJson } from './functions.ts';

/**
 * Bodies read up to half again the zip limit, so a zip somewhat over it is refused by the code store with
 * its size named; past this the body is not read at all.
 */
export const MAX_RAW_ZIP_BODY_BYTES = Math.floor(MAX_ZIP_BYTES * 1.5);
/** The same zip in base64 (4/3 larger) inside a JSON body. */
export const MAX_JSON_ZIP_BODY_BYTES = Math.ceil((MAX_RAW_ZIP_BODY_BYTES * 4) / 3) + 64 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const namespaceQuery = z.object({
  namespace: z.string().optional().openapi({ description: 'Namespace of the function (default: default)', example: 'default' }),
});

export const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).optional().openapi({ description: 'Entries to skip', example: 0 }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Most entries to return', example: 20 }),
  search: z.string().optional().openapi({ description: 'Only names holding this text', example: 'hel' }),
});

const LayerRefSchema = z.object({ name: z.string(), version: z.number().int().positive() }).strict();

export const SettingsSchema = z
  .object({
    description: z.string().optional(),
    runtime: z.string().optional().openapi({ example: 'Nodejs18.15' }),
    type: z.enum(['event', 'web']).optional(),
    handler: z.string().optional().openapi({ example: 'index.main_handler' }),
    initializer: z.string().optional(),
    nodeRuntime: z.enum(['isolate', 'process']).optional(),
    memorySize: z.number().int().optional().openapi({ description: 'MB: 64, or 128 to 3072 in steps of 128', example: 128 }),
    timeout: z.number().positive().optional().openapi({ description: 'Seconds, 1 to 900', example: 3 }),
    initTimeout: z.number().positive().optional().openapi({ description: 'Seconds' }),
    environment: z.record(z.string(), z.string()).optional().openapi({ example: { GREETING: 'hi' } }),
    layers: z.array(LayerRefSchema).optional().openapi({ description: 'Up to 5, stacked under /opt in this order' }),
    events: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: "Triggers, as fngate.yml's events" }),
    reservedConcurrency: z.number().int().min(0).optional(),
    provisionedConcurrency: z.number().int().min(0).optional(),
    instanceConcurrency: z.number().int().positive().optional(),
    retryNum: z.number().int().min(0).optional(),
    maxEventAge: z.number().int().positive().optional().openapi({ description: 'Seconds' }),
    invokeAuth: z.enum(['none', 'token']).optional(),
  })
  .strict();

/** What a DELETE answers: what it deleted. */
export const DeletedSchema = z.object({ deleted: z.string() }).openapi('Deleted');

export function deletedResponse(example: string) {
  return { 200: { description: 'Deleted', content: { 'application/json': { schema: DeletedSchema, example: { deleted: example } } } } };
}

export const zipFileField = z.string().openapi({ description: 'The code: a zip (at most 50 MB), base64' });

export const CreateFunctionSchema = SettingsSchema.extend({
  name: z.string().openapi({ example: 'hello' }),
  namespace: z.string().optional(),
  zipFile: zipFileField,
})
  .strict()
  .openapi('CreateFunction');

export const UpdateFunctionSchema = SettingsSchema.openapi('UpdateFunction');

export function decodeZip(base64: string): Buffer {
  if (!BASE64.test(base64)) throw new FnError('INVALID_PARAMETER', 'zipFile is not base64');
  return Buffer.from(base64, 'base64');
}

function zipTooLarge(error: unknown): unknown {
  if ((error as FnError).code !== 'REQUEST_TOO_LARGE') return error;
  return new FnError('REQUEST_TOO_LARGE', `the request body is over ${MAX_RAW_ZIP_BODY_BYTES} bytes; a zip sent with the request may be at most ${MAX_ZIP_BYTES / MB} MB`);
}

/** A JSON body, read with the cap that fits a base64 zip. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const body = await readBody(c, MAX_JSON_ZIP_BODY_BYTES).catch((error: unknown) => {
    throw zipTooLarge(error);
  });
  try {
    return JSON.parse(body.toString('utf8') || '{}');
  } catch (error) {
    throw new FnError('INVALID_PARAMETER', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A zip sent as the raw body (`application/zip`, `application/octet-stream`) or as `{"zipFile": base64}`. */
export async function readZipBody(c: Context): Promise<Buffer> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('json')) {
    const parsed = z.object({ zipFile: zipFileField }).safeParse(await readJsonBody(c));
    if (!parsed.success) throw new FnError('INVALID_PARAMETER', 'the JSON body needs zipFile: the zip, base64');
    return decodeZip(parsed.data.zipFile);
  }
  return readBody(c, MAX_RAW_ZIP_BODY_BYTES).catch((error: unknown) => {
    throw zipTooLarge(error);
  });
}

export const FunctionViewSchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    version: z.string().openapi({ description: '$LATEST or a published version number' }),
    description: z.string(),
    runtime: z.string(),
    type: z.enum(['event', 'web']),
    handler: z.string(),
    memorySize: z.number().int(),
    timeout: z.number().openapi({ description: 'Seconds' }),
    initTimeout: z.number().openapi({ description: 'Seconds' }),
    environment: z.record(z.string(), z.string()),
    layers: z.array(z.object({ name: z.string(), version: z.number().int() })),
    codeSha256: z.string().openapi({ description: 'SHA-256 of the stored code (empty for a folder used in place)' }),
    codeSize: z.number().int(),
    origin: z.enum(['manifest', 'api']),
    addedAt: z.number().int().openapi({ description: 'Epoch ms' }),
    modifiedAt: z.number().int().openapi({ description: 'Epoch ms' }),
  })
  .openapi('FunctionVersion');

export function functionJson(view: FunctionVersionView): z.input<typeof FunctionViewSchema> {
  const { config } = view;
  return {
    namespace: view.namespace,
    name: view.name,
    version: view.version,
    description: view.description,
    ...configJson(config),
    environment: config.environment,
    layers: config.layers.map((layer) => ({ name: layer.name, version: Number(layer.version) })),
    codeSha256: view.codeSha256,
    codeSize: view.codeSize,
    origin: view.origin,
    addedAt: view.addedAt,
    modifiedAt: view.modifiedAt,
  };
}

export const functionExample: z.input<typeof FunctionViewSchema> = {
  namespace: 'default',
  name: 'hello',
  version: '1',
  description: '',
  runtime: 'Nodejs18.15',
  type: 'event',
  handler: 'index.main_handler',
  memorySize: 128,
  timeout: 3,
  initTimeout: 3,
  environment: {},
  layers: [],
  codeSha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  codeSize: 312,
  origin: 'api',
  addedAt: 1764400000000,
  modifiedAt: 1764400000000,
};

const WeightSchema = z.object({ version: z.string(), weight: z.number().min(0).max(1) }).strict();

export const AliasBodySchema = z
  .object({
    version: z.string().optional().openapi({ description: 'The main version ($LATEST or a number); needed to create', example: '1' }),
    additionalVersionWeights: z.array(WeightSchema).optional().openapi({ description: 'A second version and the share (0-1) of requests it gets', example: [{ version: '2', weight: 0.1 }] }),
    description: z.string().optional(),
  })
  .strict()
  .openapi('AliasRouting');

export const AliasViewSchema = z
  .object({
    namespace: z.string(),
    functionName: z.string(),
    name: z.string(),
    version: z.string(),
    additionalVersionWeights: z.array(WeightSchema),
    description: z.string(),
    addedAt: z.number().int(),
    modifiedAt: z.number().int(),
  })
  .openapi('Alias');

export const aliasJson = (view: AliasView): z.input<typeof AliasViewSchema> => ({ ...view, additionalVersionWeights: view.additionalVersionWeights ?? [] });

export const aliasExample: z.input<typeof AliasViewSchema> = {
  namespace: 'default',
  functionName: 'hello',
  name: 'prod',
  version: '1',
  additionalVersionWeights: [{ version: '2', weight: 0.1 }],
  description: '',
  addedAt: 1764400000000,
  modifiedAt: 1764400000000,
};

export const NamespaceViewSchema = z
  .object({ name: z.string(), description: z.string(), addedAt: z.number().int(), modifiedAt: z.number().int() })
  .openapi('Namespace');

export const namespaceJson = (view: NamespaceView): z.input<typeof NamespaceViewSchema> => ({ ...view });

export const LayerViewSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    description: z.string(),
    compatibleRuntimes: z.array(z.string()),
    codeSha256: z.string(),
    codeSize: z.number().int(),
    addedAt: z.number().int(),
  })
  .openapi('LayerVersion');

export const layerJson = (view: LayerVersionView): z.input<typeof LayerViewSchema> => ({ ...view });

export const layerExample: z.input<typeof LayerViewSchema> = {
  name: 'common',
  version: 1,
  description: '',
  compatibleRuntimes: ['Nodejs18.15'],
  codeSha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  codeSize: 2048,
  addedAt: 1764400000000,
};
