/**
 * Namespaces and layers over REST (management credentials), over LifecycleService:
 *
 *   GET    /namespaces                          POST /namespaces {name, description}
 *   DELETE /namespaces/{namespace}              refused for `default` and while it holds functions
 *   GET    /layers?compatibleRuntime=           the newest version of each layer
 *   POST   /layers/{layer}/versions             publish {zipFile, compatibleRuntimes, description}
 *   GET    /layers/{layer}/versions             newest first
 *   GET    /layers/{layer}/versions/{version}
 *   DELETE /layers/{layer}/versions/{version}   refused while a function binds it
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp, errorResponses, jsonResponse, openapiRoute, parseBody, valid, z } from '../openapi.ts';
import type { GatewayServices } from '../services.ts';
import { decodeZip, deletedResponse, layerExample, layerJson, LayerViewSchema, NamespaceViewSchema, namespaceJson, pageQuery, readJsonBody, zipFileField } from './lifecycle-schemas.ts';

const CreateNamespaceSchema = z.object({ name: z.string().openapi({ example: 'staging' }), description: z.string().optional() }).strict().openapi('CreateNamespace');
const NamespaceParams = z.object({ namespace: z.string().openapi({ description: 'Namespace name', example: 'staging' }) });
const LayerParams = z.object({ layer: z.string().openapi({ description: 'Layer name', example: 'common' }) });
const LayerVersionParams = LayerParams.extend({
  version: z.coerce.number().int().positive().openapi({ description: 'Layer version', example: 1 }),
});
const LayerListQuery = pageQuery.extend({
  compatibleRuntime: z.string().optional().openapi({ description: 'Only layers compatible with this runtime', example: 'Nodejs18.15' }),
});
const PublishLayerSchema = z
  .object({
    zipFile: zipFileField,
    compatibleRuntimes: z.array(z.string()).min(1).openapi({ example: ['Nodejs18.15'] }),
    description: z.string().optional(),
  })
  .strict()
  .openapi('PublishLayerVersion');

const namespaceExample = { name: 'staging', description: '', addedAt: 1764400000000, modifiedAt: 1764400000000 };

export function lifecycleResourceRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  const { lifecycle } = services;

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/namespaces',
      operationId: 'listNamespaces',
      tags: ['namespaces'],
      summary: 'The namespaces',
      request: { query: pageQuery },
      responses: { 200: jsonResponse('The namespaces', z.object({ items: z.array(NamespaceViewSchema), total: z.number().int() }), { items: [namespaceExample], total: 1 }) },
    },
    (c) => {
      const page = lifecycle.listNamespaces(valid(c, 'query', pageQuery));
      return c.json({ items: page.items.map(namespaceJson), total: page.total });
    },
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/namespaces',
      operationId: 'createNamespace',
      tags: ['namespaces'],
      summary: 'Create a namespace',
      request: { body: { required: true, content: { 'application/json': { schema: CreateNamespaceSchema, example: { name: 'staging' } } } } },
      responses: { 201: jsonResponse('The namespace', NamespaceViewSchema, namespaceExample), ...errorResponses('INVALID_PARAMETER', 'ALREADY_EXISTS') },
    },
    async (c) => {
      const body = parseBody(CreateNamespaceSchema, await readJsonBody(c));
      return c.json(namespaceJson(await lifecycle.createNamespace(body.name, body.description)), 201);
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/namespaces/{namespace}',
      operationId: 'deleteNamespace',
      tags: ['namespaces'],
      summary: 'Delete an empty namespace (never default)',
      request: { params: NamespaceParams },
      responses: { ...deletedResponse('namespace staging'), ...errorResponses('INVALID_PARAMETER', 'NAMESPACE_NOT_FOUND', 'RESOURCE_IN_USE') },
    },
    async (c) => {
      const { namespace } = valid(c, 'param', NamespaceParams);
      await lifecycle.deleteNamespace(namespace);
      return c.json({ deleted: `namespace ${namespace}` });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/layers',
      operationId: 'listLayers',
      tags: ['layers'],
      summary: 'The newest version of each layer',
      request: { query: LayerListQuery },
      responses: { 200: jsonResponse('The layers', z.object({ items: z.array(LayerViewSchema), total: z.number().int() }), { items: [layerExample], total: 1 }) },
    },
    (c) => {
      const page = lifecycle.listLayers(valid(c, 'query', LayerListQuery));
      return c.json({ items: page.items.map(layerJson), total: page.total });
    },
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/layers/{layer}/versions',
      operationId: 'publishLayerVersion',
      tags: ['layers'],
      summary: 'Publish a layer version from a zip (numbered 1, 2, … per layer)',
      request: {
        params: LayerParams,
        body: { required: true, content: { 'application/json': { schema: PublishLayerSchema, example: { zipFile: 'UEsDBBQ…', compatibleRuntimes: ['Nodejs18.15'] } } } },
      },
      responses: { 201: jsonResponse('The layer version', LayerViewSchema, layerExample), ...errorResponses('INVALID_PARAMETER', 'REQUEST_TOO_LARGE') },
    },
    async (c) => {
      const body = parseBody(PublishLayerSchema, await readJsonBody(c));
      const view = await lifecycle.publishLayerVersion(valid(c, 'param', LayerParams).layer, { zipFile: decodeZip(body.zipFile) }, body.compatibleRuntimes, body.description);
      return c.json(layerJson(view), 201);
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/layers/{layer}/versions',
      operationId: 'listLayerVersions',
      tags: ['layers'],
      summary: "A layer's versions, newest first",
      request: { params: LayerParams },
      responses: { 200: jsonResponse('The versions', z.object({ items: z.array(LayerViewSchema) }), { items: [layerExample] }), ...errorResponses('LAYER_NOT_FOUND') },
    },
    (c) => c.json({ items: lifecycle.listLayerVersions(valid(c, 'param', LayerParams).layer).map(layerJson) }),
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/layers/{layer}/versions/{version}',
      operationId: 'getLayerVersion',
      tags: ['layers'],
      summary: 'One layer version',
      request: { params: LayerVersionParams },
      responses: { 200: jsonResponse('The layer version', LayerViewSchema, layerExample), ...errorResponses('INVALID_PARAMETER', 'LAYER_NOT_FOUND') },
    },
    (c) => {
      const { layer, version } = valid(c, 'param', LayerVersionParams);
      return c.json(layerJson(lifecycle.getLayerVersion(layer, version)));
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/layers/{layer}/versions/{version}',
      operationId: 'deleteLayerVersion',
      tags: ['layers'],
      summary: 'Delete a layer version no function binds',
      request: { params: LayerVersionParams },
      responses: { ...deletedResponse('layer common version 1'), ...errorResponses('INVALID_PARAMETER', 'LAYER_NOT_FOUND', 'RESOURCE_IN_USE') },
    },
    async (c) => {
      const { layer, version } = valid(c, 'param', LayerVersionParams);
      await lifecycle.deleteLayerVersion(layer, version);
      return c.json({ deleted: `layer ${layer} version ${version}` });
    },
  );

  return app;
}
