/**
 * CreateTrigger, UpdateTrigger, DeleteTrigger, ListTriggers: a function's triggers are its `events`
 * (triggers.ts maps the shapes), changed with UpdateFunctionConfiguration so they persist and re-arm
 * like any configuration change.
 */
import type { EventInput } from '../config-schema.ts';
import { lifecycleOf, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { ApiError } from './errors.ts';
import { namespaceOf, optionalEnum, optionalString, pageOf, requiredString, type Params } from './params.ts';
import { eventOf, kindOf, triggerNameOf, triggersOf } from './triggers.ts';

function eventsOf(params: Params, context: ActionContext): { namespace: string; name: string; events: EventInput[] } {
  const namespace = namespaceOf(params);
  const name = requiredString(params, 'FunctionName');
  const qualifier = optionalString(params, 'Qualifier') || undefined;
  if (qualifier !== undefined && qualifier !== '$LATEST') {
    throw new ApiError('UnsupportedOperation', `Qualifier ${qualifier}: triggers belong to $LATEST's configuration in fngate`);
  }
  return { namespace, name, events: [...lifecycleOf(context).getFunction(namespace, name).config.events] };
}

/** Where the named trigger of that type is, or -1. */
function indexOf(events: EventInput[], params: Params): number {
  const triggerName = requiredString(params, 'TriggerName');
  const type = optionalString(params, 'Type');
  if (!type) throw new ApiError('MissingParameter', 'the parameter Type is required');
  return events.findIndex((event) => triggerNameOf(event) === triggerName && kindOf(event) === type.toLowerCase());
}

function notFound(params: Params): ApiError {
  return new ApiError('ResourceNotFound.Trigger', `no ${String(params.Type)} trigger ${String(params.TriggerName)} on function ${String(params.FunctionName)}`);
}

async function createTrigger(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name, events } = eventsOf(params, context);
  if (indexOf(events, params) >= 0) throw new ApiError('ResourceInUse.Trigger', `the function already has a ${String(params.Type)} trigger ${String(params.TriggerName)}`);
  const event = eventOf(params);
  const updated = await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { events: [...events, event] });
  return { TriggerInfo: triggersOf(updated.config.events).find((trigger) => trigger.TriggerName === triggerNameOf(event) && trigger.Type === kindOf(event)) ?? {} };
}

async function updateTrigger(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name, events } = eventsOf(params, context);
  const index = indexOf(events, params);
  if (index < 0) throw notFound(params);
  events[index] = eventOf(params, events[index]);
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { events });
  return {};
}

async function deleteTrigger(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name, events } = eventsOf(params, context);
  const index = indexOf(events, params);
  if (index < 0) throw notFound(params);
  events.splice(index, 1);
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { events });
  return {};
}

function listTriggers(params: Params, context: ActionContext): ActionResult {
  const { offset, limit } = pageOf(params);
  optionalEnum(params, 'Order', ['ASC', 'DESC'] as const);
  optionalEnum(params, 'OrderBy', ['add_time', 'mod_time'] as const);
  const { events } = eventsOf(params, context);
  const triggers = triggersOf(events);
  return { Triggers: triggers.slice(offset, offset + limit), TotalCount: triggers.length };
}

export const triggerActions: ActionTable = {
  CreateTrigger: createTrigger,
  UpdateTrigger: updateTrigger,
  DeleteTrigger: deleteTrigger,
  ListTriggers: listTriggers,
};
