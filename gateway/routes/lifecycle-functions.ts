/**
 * The function lifecycle over REST (management credentials), a thin transport over LifecycleService:
 *
 *   POST   /functions                                  create (JSON: settings + zipFile base64)
 *   PATCH  /functions/{name}                           update the configuration of $LATEST
 *   PUT    /functions/{name}/code                      new $LATEST code (application/zip, or {"zipFile"})
 *   DELETE /functions/{name}?qualifier=                the function, or one published version
 *   POST   /functions/{name}/versions                  publish $LATEST as the next version
 *   GET    /functions/{name}/versions                  $LATEST and the published versions
 *   DELETE /functions/{name}/versions/{version}        refused while an alias routes to it
 *   GET    /functions/{name}/aliases                   the aliases
 *   GET    /functions/{name}/aliases/{alias}
 *   PUT    /functions/{name}/aliases/{alias}           create or update (version, additionalVersionWeights)
 *   DELETE /functions/{name}/aliases/{alias}
 *
 * Every route takes `?namespace=` (default `default`).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { FnError } from '../errors.ts';
import { apiApp, errorResponses, functionNameParam, jsonResponse, openapiRoute, parseBody, valid, z } from '../openapi.ts';
import { settingsFromManifestKeys } from '../lifecycle/settings.ts';
import { DEFAULT_NAMESPACE } from '../registry.ts';
import type { GatewayServices } from '../services.ts';
import {
  AliasBodySchema,
  aliasExample,
  aliasJson,
  AliasViewSchema,
  CreateFunctionSchema,
  decodeZip,
  deletedResponse,
  functionExample,
  functionJson,
  FunctionViewSchema,
  namespaceQuery,
  pageQuery,
  readJsonBody,
  readZipBody,
  UpdateFunctionSchema,
  zipFileField,
} from './lifecycle-schemas.ts';

const FunctionParams = z.object({ name: functionNameParam });
const VersionParams = FunctionParams.extend({ version: z.string().openapi({ description: 'A published version number', example: '1' }) });
const AliasParams = FunctionParams.extend({ alias: z.string().openapi({ description: 'Alias name', example: 'prod' }) });
const DeleteQuery = namespaceQuery.extend({
  qualifier: z.string().optional().openapi({ description: 'A published version to delete instead of the whole function', example: '1' }),
});
const ListQuery = namespaceQuery.extend(pageQuery.shape);
const AliasListQuery = ListQuery.extend({ version: z.string().optional().openapi({ description: 'Only aliases routing to this version', example: '1' }) });
const PublishSchema = z.object({ description: z.string().optional() }).strict().openapi('PublishVersion');

const FunctionPage = z.object({ items: z.array(FunctionViewSchema), total: z.number().int() });
const AliasPage = z.object({ items: z.array(AliasViewSchema), total: z.number().int() });

const namespaceOf = (c: Context, schema: typeof namespaceQuery = namespaceQuery): string => valid(c, 'query', schema).namespace || DEFAULT_NAMESPACE;
const jsonBody = (description: string, schema: z.ZodType, example: unknown) => ({
  required: true,
  description,
  content: { 'application/json': { schema, example } },
});

export function lifecycleFunctionRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  const { lifecycle } = services;

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/functions',
      operationId: 'createFunction',
      tags: ['lifecycle'],
      summary: 'Create a function from a zip; it serves at once',
      request: { body: jsonBody('Settings (fngate.yml keys and units) and the code', CreateFunctionSchema, { name: 'hello', runtime: 'Nodejs18.15', handler: 'index.main_handler', zipFile: 'UEsDBBQ…' }) },
      responses: {
        201: jsonResponse('The function', FunctionViewSchema, { ...functionExample, version: '$LATEST' }),
        ...errorResponses('INVALID_PARAMETER', 'NAMESPACE_NOT_FOUND', 'REQUEST_TOO_LARGE', 'ALREADY_EXISTS'),
      },
    },
    async (c) => {
      const { name, namespace, zipFile, ...settings } = parseBody(CreateFunctionSchema, await readJsonBody(c));
      const view = await lifecycle.createFunction(namespace || DEFAULT_NAMESPACE, name, settingsFromManifestKeys(settings), { zipFile: decodeZip(zipFile) });
      return c.json(functionJson(view), 201);
    },
  );

  openapiRoute(
    app,
    {
      method: 'patch',
      path: '/functions/{name}',
      operationId: 'updateFunctionConfiguration',
      tags: ['lifecycle'],
      summary: "Change $LATEST's configuration; new requests run it",
      request: { params: FunctionParams, query: namespaceQuery, body: jsonBody('The settings to change', UpdateFunctionSchema, { memorySize: 256, timeout: 10 }) },
      responses: {
        200: jsonResponse('The function', FunctionViewSchema, { ...functionExample, version: '$LATEST' }),
        ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND', 'LAYER_NOT_FOUND'),
      },
    },
    async (c) => {
      const settings = settingsFromManifestKeys(parseBody(UpdateFunctionSchema, await readJsonBody(c)));
      const view = await lifecycle.updateFunctionConfiguration(namespaceOf(c), valid(c, 'param', FunctionParams).name, settings);
      return c.json(functionJson(view));
    },
  );

  openapiRoute(
    app,
    {
      method: 'put',
      path: '/functions/{name}/code',
      operationId: 'updateFunctionCode',
      tags: ['lifecycle'],
      summary: 'New $LATEST code; in-flight requests finish on the old',
      request: {
        params: FunctionParams,
        query: namespaceQuery,
        body: {
          required: true,
          description: 'The zip (at most 50 MB), raw or as {"zipFile": base64}',
          content: {
            'application/zip': { schema: z.string().openapi({ description: 'The zip itself' }) },
            'application/json': { schema: z.object({ zipFile: zipFileField }), example: { zipFile: 'UEsDBBQ…' } },
          },
        },
      },
      responses: {
        200: jsonResponse('The function', FunctionViewSchema, { ...functionExample, version: '$LATEST' }),
        ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND', 'REQUEST_TOO_LARGE'),
      },
    },
    async (c) => {
      const { name } = valid(c, 'param', FunctionParams);
      const namespace = namespaceOf(c);
      // Known before a large upload is read.
      lifecycle.getFunction(namespace, name);
      const view = await lifecycle.updateFunctionCode(namespace, name, { zipFile: await readZipBody(c) });
      return c.json(functionJson(view));
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/functions/{name}',
      operationId: 'deleteFunction',
      tags: ['lifecycle'],
      summary: 'Delete the function (its versions and aliases too), or one published version',
      request: { params: FunctionParams, query: DeleteQuery },
      responses: { ...deletedResponse('function default/hello'), ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND', 'RESOURCE_IN_USE', 'QUALIFIER_NOT_FOUND') },
    },
    async (c) => {
      const query = valid(c, 'query', DeleteQuery);
      const namespace = query.namespace || DEFAULT_NAMESPACE;
      const { name } = valid(c, 'param', FunctionParams);
      await lifecycle.deleteFunction(namespace, name, query.qualifier || undefined);
      return c.json({ deleted: query.qualifier ? `version ${query.qualifier} of ${namespace}/${name}` : `function ${namespace}/${name}` });
    },
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/functions/{name}/versions',
      operationId: 'publishVersion',
      tags: ['lifecycle'],
      summary: 'Publish $LATEST (code and configuration) as the next version number',
      request: { params: FunctionParams, query: namespaceQuery, body: { required: false, content: { 'application/json': { schema: PublishSchema, example: { description: 'release 1' } } } } },
      responses: { 201: jsonResponse('The version', FunctionViewSchema, functionExample), ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND') },
    },
    async (c) => {
      const body = parseBody(PublishSchema, await readJsonBody(c));
      const view = await lifecycle.publishVersion(namespaceOf(c), valid(c, 'param', FunctionParams).name, body.description);
      return c.json(functionJson(view), 201);
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}/versions',
      operationId: 'listVersions',
      tags: ['lifecycle'],
      summary: '$LATEST, then the published versions, oldest first',
      request: { params: FunctionParams, query: ListQuery },
      responses: { 200: jsonResponse('The versions', FunctionPage, { items: [functionExample], total: 1 }), ...errorResponses('FUNCTION_NOT_FOUND') },
    },
    (c) => {
      const query = valid(c, 'query', ListQuery);
      const page = lifecycle.listVersions(query.namespace || DEFAULT_NAMESPACE, valid(c, 'param', FunctionParams).name, query);
      return c.json({ items: page.items.map(functionJson), total: page.total });
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/functions/{name}/versions/{version}',
      operationId: 'deleteVersion',
      tags: ['lifecycle'],
      summary: 'Delete a published version (refused while an alias routes to it)',
      request: { params: VersionParams, query: namespaceQuery },
      responses: { ...deletedResponse('version 1 of default/hello'), ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND', 'QUALIFIER_NOT_FOUND', 'RESOURCE_IN_USE') },
    },
    async (c) => {
      const { name, version } = valid(c, 'param', VersionParams);
      const namespace = namespaceOf(c);
      await lifecycle.deleteVersion(namespace, name, version);
      return c.json({ deleted: `version ${version} of ${namespace}/${name}` });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}/aliases',
      operationId: 'listAliases',
      tags: ['lifecycle'],
      summary: "A function's aliases",
      request: { params: FunctionParams, query: AliasListQuery },
      responses: { 200: jsonResponse('The aliases', AliasPage, { items: [aliasExample], total: 1 }), ...errorResponses('FUNCTION_NOT_FOUND') },
    },
    (c) => {
      const query = valid(c, 'query', AliasListQuery);
      const page = lifecycle.listAliases(query.namespace || DEFAULT_NAMESPACE, valid(c, 'param', FunctionParams).name, query);
      return c.json({ items: page.items.map(aliasJson), total: page.total });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/functions/{name}/aliases/{alias}',
      operationId: 'getAlias',
      tags: ['lifecycle'],
      summary: 'An alias and its routing',
      request: { params: AliasParams, query: namespaceQuery },
      responses: { 200: jsonResponse('The alias', AliasViewSchema, aliasExample), ...errorResponses('FUNCTION_NOT_FOUND', 'QUALIFIER_NOT_FOUND') },
    },
    (c) => {
      const { name, alias } = valid(c, 'param', AliasParams);
      return c.json(aliasJson(lifecycle.getAlias(namespaceOf(c), name, alias)));
    },
  );

  openapiRoute(
    app,
    {
      method: 'put',
      path: '/functions/{name}/aliases/{alias}',
      operationId: 'putAlias',
      tags: ['lifecycle'],
      summary: 'Create an alias, or change where it routes',
      request: { params: AliasParams, query: namespaceQuery, body: jsonBody('The routing', AliasBodySchema, { version: '1', additionalVersionWeights: [{ version: '2', weight: 0.1 }] }) },
      responses: {
        200: jsonResponse('The alias', AliasViewSchema, aliasExample),
        ...errorResponses('INVALID_PARAMETER', 'FUNCTION_NOT_FOUND', 'QUALIFIER_NOT_FOUND'),
      },
    },
    async (c) => {
      const { name, alias } = valid(c, 'param', AliasParams);
      const namespace = namespaceOf(c);
      const body = parseBody(AliasBodySchema, await readJsonBody(c));
      const exists = lifecycle.listAliases(namespace, name).items.some((item) => item.name === alias);
      if (exists) return c.json(aliasJson(await lifecycle.updateAlias(namespace, name, alias, body, body.description)));
      if (body.version === undefined) throw new FnError('INVALID_PARAMETER', `alias ${alias} does not exist yet: give the version it routes to`);
      const routing = { version: body.version, additionalVersionWeights: body.additionalVersionWeights };
      return c.json(aliasJson(await lifecycle.createAlias(namespace, name, alias, routing, body.description)));
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/functions/{name}/aliases/{alias}',
      operationId: 'deleteAlias',
      tags: ['lifecycle'],
      summary: 'Delete an alias',
      request: { params: AliasParams, query: namespaceQuery },
      responses: { ...deletedResponse('alias prod of default/hello'), ...errorResponses('FUNCTION_NOT_FOUND', 'QUALIFIER_NOT_FOUND') },
    },
    async (c) => {
      const { name, alias } = valid(c, 'param', AliasParams);
      const namespace = namespaceOf(c);
      await lifecycle.deleteAlias(namespace, name, alias);
      return c.json({ deleted: `alias ${alias} of ${namespace}/${name}` });
    },
  );

  return app;
}
