/**
 * The function actions: GetFunction, ListFunctions, CreateFunction, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction — each one call of the LifecycleService.
 */
import type { CodeSource, FunctionVersionView } from '../lifecycle/contract.ts';
import { lifecycleOf, readAll, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { ApiError, invalidParameter, missingParameter } from './errors.ts';
import { namespaceOf, optionalArray, optionalEnum, optionalFlag, optionalObject, optionalObjects, optionalString, pageOf, requiredString, zipOf, type Params } from './params.ts';
import { functionDetail, functionSummary, settingsOf } from './shapes.ts';

/** Code sources other than an inline zip name a COS bucket, a Git repository or an image: cloud services fngate has no access to. */
const CLOUD_CODE_SOURCES = ['CosBucketName', 'CosObjectName', 'TempCosObjectName', 'GitUrl', 'DemoId', 'ImageConfig'];

/** The code of a request: `<name>.ZipFile` (CreateFunction's `Code`, PublishLayerVersion's `Content`). */
export function codeOf(params: Params, name: string): CodeSource | undefined {
  const code = optionalObject(params, name);
  if (code === undefined) return undefined;
  const zip = optionalString(code, `${name}.ZipFile`);
  if (zip) return { zipFile: zipOf(zip, `${name}.ZipFile`) };
  refuseCloudSources(code, name);
  return undefined;
}

function refuseCloudSources(params: Params, where: string): void {
  const key = CLOUD_CODE_SOURCES.find((candidate) => params[candidate] !== undefined && params[candidate] !== null);
  if (key !== undefined) throw invalidParameter('CodeSource', `${where}.${key}: fngate takes code as a base64 zip (ZipFile) only`);
}

/** UpdateFunctionCode's code: top-level `ZipFile`, or `Code.ZipFile`. */
function updatedCodeOf(params: Params): CodeSource | undefined {
  const zip = optionalString(params, 'ZipFile');
  if (zip) return { zipFile: zipOf(zip, 'ZipFile') };
  refuseCloudSources(params, 'UpdateFunctionCode');
  return codeOf(params, 'Code');
}

function getFunction(params: Params, context: ActionContext): ActionResult {
  const view = lifecycleOf(context).getFunction(namespaceOf(params), requiredString(params, 'FunctionName'), optionalString(params, 'Qualifier') || undefined);
  return functionDetail(view);
}

const FUNCTION_ORDER: Record<string, (view: FunctionVersionView) => string | number> = {
  AddTime: (view) => view.addedAt,
  ModTime: (view) => view.modifiedAt,
  FunctionName: (view) => view.name,
};

/** `Filters` of ListFunctions fngate can apply (by the function's field). */
const FUNCTION_FILTERS: Record<string, (view: FunctionVersionView) => string> = {
  Runtime: (view) => view.config.runtime,
  Type: (view) => (view.config.type === 'web' ? 'HTTP' : 'Event'),
};

function listFunctions(params: Params, context: ActionContext): ActionResult {
  const namespace = namespaceOf(params);
  const { offset, limit } = pageOf(params);
  const order = optionalEnum(params, 'Order', ['ASC', 'DESC'] as const) ?? 'DESC';
  const orderBy = optionalEnum(params, 'Orderby', Object.keys(FUNCTION_ORDER)) ?? 'AddTime';
  const description = optionalString(params, 'Description') || undefined;
  const filters = (optionalObjects(params, 'Filters') ?? []).map((entry, index) => {
    const name = requiredString(entry, `Filters[${index}].Name`);
    const values = optionalArray(entry, `Filters[${index}].Values`) ?? [];
    const field = FUNCTION_FILTERS[name];
    if (field === undefined) throw invalidParameter('Filters', `Filters[${index}].Name: fngate filters by ${Object.keys(FUNCTION_FILTERS).join(', ')}`);
    return (view: FunctionVersionView): boolean => values.some((value) => String(value).toLowerCase() === field(view).toLowerCase());
  });
  const lifecycle = lifecycleOf(context);
  const search = optionalString(params, 'SearchKey') || undefined;
  const all = readAll((options) => lifecycle.listFunctions(namespace, options), { search }).filter(
    (view) => (description === undefined || view.description.includes(description)) && filters.every((keep) => keep(view)),
  );
  const key = FUNCTION_ORDER[orderBy]!;
  const sign = order === 'ASC' ? 1 : -1;
  all.sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0));
  return { Functions: all.slice(offset, offset + limit).map(functionSummary), TotalCount: all.length };
}

async function createFunction(params: Params, context: ActionContext): Promise<ActionResult> {
  const name = requiredString(params, 'FunctionName');
  if (optionalObject(params, 'Code') === undefined) throw missingParameter('Code');
  const code = codeOf(params, 'Code');
  if (code === undefined) throw new ApiError('MissingParameter.Code', 'Code.ZipFile (the function code as a base64 zip) is required');
  await lifecycleOf(context).createFunction(namespaceOf(params), name, settingsOf(params), code);
  return {};
}

async function updateFunctionCode(params: Params, context: ActionContext): Promise<ActionResult> {
  const name = requiredString(params, 'FunctionName');
  const namespace = namespaceOf(params);
  const code = updatedCodeOf(params);
  if (code === undefined) throw new ApiError('MissingParameter.Code', 'ZipFile or Code.ZipFile (the function code as a base64 zip) is required');
  const lifecycle = lifecycleOf(context);
  const handler = optionalString(params, 'Handler');
  await lifecycle.updateFunctionCode(namespace, name, code, handler ? { handler } : {});
  if (optionalFlag(params, 'Publish')) await lifecycle.publishVersion(namespace, name);
  return {};
}

async function updateFunctionConfiguration(params: Params, context: ActionContext): Promise<ActionResult> {
  const name = requiredString(params, 'FunctionName');
  const namespace = namespaceOf(params);
  const lifecycle = lifecycleOf(context);
  await lifecycle.updateFunctionConfiguration(namespace, name, settingsOf(params));
  if (optionalFlag(params, 'Publish')) await lifecycle.publishVersion(namespace, name);
  return {};
}

async function deleteFunction(params: Params, context: ActionContext): Promise<ActionResult> {
  await lifecycleOf(context).deleteFunction(namespaceOf(params), requiredString(params, 'FunctionName'), optionalString(params, 'Qualifier') || undefined);
  return {};
}

export const functionActions: ActionTable = {
  GetFunction: getFunction,
  ListFunctions: listFunctions,
  CreateFunction: createFunction,
  UpdateFunctionCode: updateFunctionCode,
  UpdateFunctionConfiguration: updateFunctionConfiguration,
  DeleteFunction: deleteFunction,
};
