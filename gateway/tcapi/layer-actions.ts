/** PublishLayerVersion, ListLayers, ListLayerVersions, GetLayerVersion, DeleteLayerVersion. */
import { lifecycleOf, readAll, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { ApiError, missingParameter } from './errors.ts';
import { codeOf } from './function-actions.ts';
import { optionalString, optionalStrings, pageOf, requiredInt, requiredString, type Params } from './params.ts';
import { cloudTime, layerVersionInfo } from './shapes.ts';

async function publishLayerVersion(params: Params, context: ActionContext): Promise<ActionResult> {
  const name = requiredString(params, 'LayerName');
  const runtimes = optionalStrings(params, 'CompatibleRuntimes');
  if (runtimes === undefined || runtimes.length === 0) throw missingParameter('CompatibleRuntimes');
  const code = codeOf(params, 'Content');
  if (code === undefined) throw new ApiError('MissingParameter', 'Content.ZipFile (the layer as a base64 zip) is required');
  const layer = await lifecycleOf(context).publishLayerVersion(name, code, runtimes, optionalString(params, 'Description'));
  return { LayerVersion: layer.version };
}

function listLayers(params: Params, context: ActionContext): ActionResult {
  const { offset, limit } = pageOf(params);
  const compatibleRuntime = optionalString(params, 'CompatibleRuntime') || undefined;
  const search = optionalString(params, 'SearchKey') || undefined;
  const lifecycle = lifecycleOf(context);
  const all = readAll((options) => lifecycle.listLayers({ ...options, compatibleRuntime }), { search });
  return { Layers: all.slice(offset, offset + limit).map(layerVersionInfo), TotalCount: all.length };
}

function listLayerVersions(params: Params, context: ActionContext): ActionResult {
  const runtimes = optionalStrings(params, 'CompatibleRuntime');
  const versions = lifecycleOf(context)
    .listLayerVersions(requiredString(params, 'LayerName'))
    .filter((layer) => runtimes === undefined || runtimes.length === 0 || layer.compatibleRuntimes.some((runtime) => runtimes.includes(runtime)));
  return { LayerVersions: versions.map(layerVersionInfo) };
}

function getLayerVersion(params: Params, context: ActionContext): ActionResult {
  const layer = lifecycleOf(context).getLayerVersion(requiredString(params, 'LayerName'), requiredInt(params, 'LayerVersion', { min: 1 }));
  return {
    LayerName: layer.name,
    LayerVersion: layer.version,
    CompatibleRuntimes: layer.compatibleRuntimes,
    CodeSha256: layer.codeSha256,
    Location: '',
    AddTime: cloudTime(layer.addedAt),
    Description: layer.description,
    LicenseInfo: '',
    Status: 'Active',
  };
}

async function deleteLayerVersion(params: Params, context: ActionContext): Promise<ActionResult> {
  await lifecycleOf(context).deleteLayerVersion(requiredString(params, 'LayerName'), requiredInt(params, 'LayerVersion', { min: 1 }));
  return {};
}

export const layerActions: ActionTable = {
  PublishLayerVersion: publishLayerVersion,
  ListLayers: listLayers,
  ListLayerVersions: listLayerVersions,
  GetLayerVersion: getLayerVersion,
  DeleteLayerVersion: deleteLayerVersion,
};
