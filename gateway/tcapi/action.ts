/** What one API 3.0 action is: a function of its parameters, answering the fields of its Response. */
import type { LifecycleService, ListOptions, Page } from '../lifecycle/contract.ts';
import type { GatewayServices } from '../services.ts';
import { ApiError } from './errors.ts';
import type { Params } from './params.ts';

export interface ActionContext {
  services: GatewayServices;
  /** The API call's RequestId. */
  requestId: string;
}

/** The fields of `Response` but RequestId, which the envelope adds. */
export type ActionResult = Record<string, unknown>;
export type Action = (params: Params, context: ActionContext) => ActionResult | Promise<ActionResult>;
export type ActionTable = Readonly<Record<string, Action>>;

/** The function catalog (versions, aliases, namespaces, layers) behind the management actions. */
export function lifecycleOf(context: ActionContext): LifecycleService {
  const lifecycle = context.services.lifecycle;
  if (lifecycle === undefined) throw new ApiError('UnsupportedOperation', 'this gateway has no function catalog');
  return lifecycle;
}

/** Page size used to read a whole list from the service (which may cap its pages). */
const READ_ALL_PAGE = 100;

/** Every item of a paged list, page by page. */
export function readAll<T>(list: (options: ListOptions) => Page<T>, options: ListOptions = {}): T[] {
  const items: T[] = [];
  for (;;) {
    const page = list({ ...options, offset: items.length, limit: READ_ALL_PAGE });
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}
