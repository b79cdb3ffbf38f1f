/**
 * Triggers as the SDK sees them (`Trigger`: TriggerName, Type, TriggerDesc, Enable …) over fngate's
 * `events` (fngate.yml's shapes: timer, cmq, ckafka, apigw). A function's triggers are part of its
 * configuration, so the trigger actions read and write `events` through UpdateFunctionConfiguration.
 */
import type { EventInput } from '../config-schema.ts';
import { ApiError, invalidParameter } from './errors.ts';
import { optionalEnum, optionalString, requiredString, type Params } from './params.ts';

/** The trigger types the API can create (apigw triggers come from fngate.yml only). */
export const CREATABLE_TRIGGER_TYPES = ['timer', 'cmq', 'ckafka'] as const;

type Kind = 'timer' | 'cmq' | 'ckafka' | 'apigw';

export function kindOf(event: EventInput): Kind {
  if ('timer' in event) return 'timer';
  if ('cmq' in event) return 'cmq';
  if ('ckafka' in event) return 'ckafka';
  return 'apigw';
}

/** The name a trigger is known by: its own name, else its topic (as the cloud names CMQ/CKafka triggers). */
export function triggerNameOf(event: EventInput): string {
  if ('timer' in event) return event.timer.name;
  if ('cmq' in event) return event.cmq.name ?? event.cmq.parameters.name;
  if ('ckafka' in event) return event.ckafka.name ?? event.ckafka.parameters.name ?? event.ckafka.parameters.topic;
  return event.apigw.name ?? 'apigw';
}

function enabledOf(event: EventInput): boolean {
  if ('timer' in event) return event.timer.parameters.enable;
  if ('cmq' in event) return event.cmq.parameters.enable;
  if ('ckafka' in event) return event.ckafka.parameters.enable;
  return true;
}

function descOf(event: EventInput): string {
  if ('timer' in event) return JSON.stringify({ cron: event.timer.parameters.cronExpression });
  if ('cmq' in event) return JSON.stringify({ topicName: event.cmq.parameters.name });
  if ('ckafka' in event) return JSON.stringify({ topic: event.ckafka.parameters.topic, maxMsgNum: String(event.ckafka.parameters.maxMsgNum) });
  return JSON.stringify(event.apigw.parameters);
}

/** A function's triggers (its `events`) as `Trigger` / `TriggerInfo` objects. */
export function triggersOf(events: readonly EventInput[]): Array<Record<string, unknown>> {
  return events.map((event) => ({
    TriggerName: triggerNameOf(event),
    Type: kindOf(event),
    TriggerDesc: descOf(event),
    Enable: enabledOf(event) ? 1 : 0,
    CustomArgument: 'timer' in event ? (event.timer.parameters.argument ?? '') : '',
    Qualifier: '$LATEST',
    AvailableStatus: 'Available',
    BindStatus: '',
    ResourceId: '',
    TriggerAttribute: '',
    Description: '',
    AddTime: '',
    ModTime: '',
  }));
}

/** TriggerDesc: JSON for most types; a timer's may also be the bare cron expression. */
function parseDesc(text: string | undefined, kind: Kind): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    if (kind === 'timer') return { cron: text };
  }
  if (kind === 'timer') return { cron: text };
  throw invalidParameter('TriggerDesc', 'TriggerDesc: expected a JSON object');
}

/**
 * The event a CreateTrigger / UpdateTrigger describes. `previous` is the trigger being updated: what the
 * update leaves out is kept.
 */
export function eventOf(params: Params, previous?: EventInput): EventInput {
  const name = requiredString(params, 'TriggerName');
  const type = optionalEnum(params, 'Type', [...CREATABLE_TRIGGER_TYPES, 'apigw'] as const);
  if (type === undefined) throw new ApiError('MissingParameter', 'the parameter Type is required');
  if (type === 'apigw') throw new ApiError('UnsupportedOperation', 'API gateway triggers are declared in fngate.yml (events: - apigw)');
  const enableText = optionalEnum(params, 'Enable', ['OPEN', 'CLOSE'] as const);
  const enable = enableText === undefined ? (previous ? enabledOf(previous) : true) : enableText === 'OPEN';
  const given = optionalString(params, 'TriggerDesc');
  const desc = parseDesc(given, type);
  const text = (key: string): string | undefined => (typeof desc[key] === 'string' && desc[key] !== '' ? (desc[key] as string) : undefined);
  // CreateTrigger's Qualifier: the version or alias the trigger invokes (kept on update when not given).
  const previousQualifier = previous ? Object.values(previous)[0]?.parameters?.qualifier : undefined;
  const qualifier = optionalString(params, 'Qualifier') ?? previousQualifier;
  if (type === 'timer') {
    const old = previous && 'timer' in previous ? previous.timer.parameters : undefined;
    const cronExpression = text('cron') ?? old?.cronExpression;
    if (cronExpression === undefined) throw new ApiError('MissingParameter', 'a timer trigger needs TriggerDesc (its cron expression)');
    const argument = optionalString(params, 'CustomArgument') ?? old?.argument;
    return { timer: { name, parameters: { cronExpression, enable, argument, qualifier } } };
  }
  if (type === 'cmq') {
    const old = previous && 'cmq' in previous ? previous.cmq.parameters.name : undefined;
    return { cmq: { name, parameters: { name: text('topicName') ?? old ?? name, enable, qualifier } } };
  }
  const old = previous && 'ckafka' in previous ? previous.ckafka.parameters : undefined;
  const maxMsgNum = Number(desc.maxMsgNum ?? old?.maxMsgNum ?? 100);
  if (!Number.isInteger(maxMsgNum) || maxMsgNum < 1 || maxMsgNum > 10_000) throw invalidParameter('TriggerDesc', 'TriggerDesc.maxMsgNum: expected an integer from 1 to 10000');
  return { ckafka: { name, parameters: { name: old?.name, topic: text('topic') ?? old?.topic ?? name, maxMsgNum, retry: old?.retry, enable, qualifier } } };
}
