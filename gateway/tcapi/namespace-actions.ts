/** CreateNamespace, ListNamespaces, DeleteNamespace. */
import { lifecycleOf, readAll, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { invalidParameter } from './errors.ts';
import { optionalEnum, optionalObjects, optionalString, pageOf, requiredString, type Params } from './params.ts';
import { namespaceView } from './shapes.ts';
import type { NamespaceView } from '../lifecycle/contract.ts';

/** ListNamespaces' `SearchKey` keys, by the field they match (a substring, as the console searches). */
const SEARCH_FIELDS: Record<string, (namespace: NamespaceView) => string> = {
  Namespace: (namespace) => namespace.name,
  Description: (namespace) => namespace.description,
};

const NAMESPACE_ORDER: Record<string, (namespace: NamespaceView) => string | number> = {
  Name: (namespace) => namespace.name,
  AddTime: (namespace) => namespace.addedAt,
  ModTime: (namespace) => namespace.modifiedAt,
};

async function createNamespace(params: Params, context: ActionContext): Promise<ActionResult> {
  await lifecycleOf(context).createNamespace(requiredString(params, 'Namespace'), optionalString(params, 'Description'));
  return {};
}

function listNamespaces(params: Params, context: ActionContext): ActionResult {
  const { offset, limit } = pageOf(params);
  const order = optionalEnum(params, 'Order', ['ASC', 'DESC'] as const) ?? 'ASC';
  const orderBy = optionalEnum(params, 'Orderby', Object.keys(NAMESPACE_ORDER)) ?? 'AddTime';
  const searches = (optionalObjects(params, 'SearchKey') ?? []).map((entry, index) => {
    const key = requiredString(entry, `SearchKey[${index}].Key`);
    const value = optionalString(entry, `SearchKey[${index}].Value`) ?? '';
    const field = SEARCH_FIELDS[key];
    if (field === undefined) throw invalidParameter('SearchKey', `SearchKey[${index}].Key: one of ${Object.keys(SEARCH_FIELDS).join(', ')}`);
    return (namespace: NamespaceView): boolean => field(namespace).includes(value);
  });
  const lifecycle = lifecycleOf(context);
  const all = readAll((options) => lifecycle.listNamespaces(options)).filter((namespace) => searches.every((keep) => keep(namespace)));
  const key = NAMESPACE_ORDER[orderBy]!;
  const sign = order === 'ASC' ? 1 : -1;
  all.sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0));
  return { Namespaces: all.slice(offset, offset + limit).map(namespaceView), TotalCount: all.length };
}

async function deleteNamespace(params: Params, context: ActionContext): Promise<ActionResult> {
  await lifecycleOf(context).deleteNamespace(requiredString(params, 'Namespace'));
  return {};
}

export const namespaceActions: ActionTable = {
  CreateNamespace: createNamespace,
  ListNamespaces: listNamespaces,
  DeleteNamespace: deleteNamespace,
};
