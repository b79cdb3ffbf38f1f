/**
 * Internal topics standing in for CMQ topics and CKafka: `POST /topics/{topic}/messages` delivers each
 * message to the functions subscribed with `- cmq: { parameters: { name } }` (one message per event, the
 * CMQ Records shape) and `- ckafka: { parameters: { topic, maxMsgNum } }` (up to maxMsgNum messages per
 * event, the Ckafka Records shape), through the durable async queue. A publish is all or nothing: every
 * event it makes is committed in one transaction before it is acknowledged.
 *
 * Batching is per publish: the messages of one request are cut into events of at most maxMsgNum (and at
 * most 6 MB). Messages of separate requests are not merged, so an acknowledged message never waits in
 * memory. Each topic has one partition (0) and a persistent offset.
 */
import { randomBytes } from 'node:crypto';
import { MAX_SYNC_PAYLOAD_BYTES } from '../body.ts';
import type { AsyncDispatcher, EnqueueItem } from '../async/dispatcher.ts';
import { timeOrderedId } from '../async/request-id.ts';
import type { DeployedFunction } from '../registry.ts';

export interface TopicMessage {
  msgBody: string;
  /** CMQ tags: a list, or one comma-separated string. */
  msgTag?: string | string[];
  /** CKafka message key. */
  msgKey?: string;
}

export type SubscriptionKind = 'cmq' | 'ckafka';

export interface Subscription {
  kind: SubscriptionKind;
  topic: string;
  fn: DeployedFunction;
  /** The version or alias each delivery invokes. */
  qualifier: string;
  /** The trigger's name: CMQ's subscriptionName. */
  name: string;
  /** CKafka: most messages per event. */
  maxMsgNum: number;
}

export interface Delivery {
  function: string;
  namespace: string;
  kind: SubscriptionKind;
  requestId: string;
  messages: number;
}

export interface PublishResult {
  topic: string;
  messages: Array<{ msgId: string; offset: number }>;
  deliveries: Delivery[];
}

/** What CKafka reports as the key of a message that has none (SCF's consumer prints Python's None). */
export const NO_MSG_KEY = 'None';

export interface TopicBusOptions {
  dispatcher: Pick<AsyncDispatcher, 'enqueue'>;
  /** The account ID, CMQ's topicOwner (a number in the event). */
  appId: string;
}

export class TopicBus {
  #options: TopicBusOptions;
  #subscriptions = new Map<string, Subscription[]>();
  #offsets = new Map<string, number>();

  constructor(options: TopicBusOptions) {
    this.#options = options;
  }

  /** Subscribe the enabled cmq/ckafka triggers of `functions`; `offsets` are the stored next offsets. */
  start(functions: readonly DeployedFunction[], offsets: ReadonlyMap<string, number>): void {
    for (const [topic, next] of offsets) this.#offsets.set(topic, next);
    this.resubscribe(functions);
  }

  /** Subscribe exactly the enabled triggers of `functions` (after a redeploy); offsets are kept. */
  resubscribe(functions: readonly DeployedFunction[]): void {
    this.#subscriptions.clear();
    for (const fn of functions) {
      for (const event of fn.config.events) {
        if ('cmq' in event && event.cmq.parameters.enable) {
          const { parameters } = event.cmq;
          const qualifier = parameters.qualifier ?? fn.version;
          this.#add({ kind: 'cmq', topic: parameters.name, fn, qualifier, name: event.cmq.name ?? fn.config.name, maxMsgNum: 1 });
        } else if ('ckafka' in event && event.ckafka.parameters.enable) {
          const { parameters } = event.ckafka;
          this.#add({
            kind: 'ckafka',
            topic: parameters.topic,
            fn,
            qualifier: parameters.qualifier ?? fn.version,
            name: event.ckafka.name ?? parameters.name ?? fn.config.name,
            maxMsgNum: parameters.maxMsgNum,
          });
        }
      }
    }
  }

  /** Every topic that has subscribers or messages. */
  list(): Array<{ topic: string; nextOffset: number; subscribers: Array<{ function: string; namespace: string; kind: SubscriptionKind; name: string; maxMsgNum?: number }> }> {
    const topics = new Set([...this.#subscriptions.keys(), ...this.#offsets.keys()]);
    return [...topics].sort().map((topic) => ({
      topic,
      nextOffset: this.#offsets.get(topic) ?? 0,
      subscribers: (this.#subscriptions.get(topic) ?? []).map((sub) => ({
        function: sub.fn.config.name,
        namespace: sub.fn.config.namespace,
        kind: sub.kind,
        name: sub.name,
        ...(sub.kind === 'ckafka' ? { maxMsgNum: sub.maxMsgNum } : {}),
      })),
    }));
  }

  /**
   * Deliver `messages` to every subscriber of `topic`: resolves once all the events are durably queued.
   * A topic without subscribers takes the messages (their offsets advance) and delivers nothing.
   */
  async publish(topic: string, messages: readonly TopicMessage[]): Promise<PublishResult> {
    const first = this.#offsets.get(topic) ?? 0;
    // Offsets are taken before the commit, so concurrent publishes get distinct ranges; a failed publish
    // leaves a gap, never a duplicate.
    this.#offsets.set(topic, first + messages.length);
    const publishTime = cmqTime(new Date());
    const items: EnqueueItem[] = [];
    const deliveries: Delivery[] = [];
    const deliver = (sub: Subscription, records: unknown[], requestId: string): void => {
      const { config } = sub.fn;
      items.push({
        requestId,
        namespace: config.namespace,
        functionName: config.name,
        qualifier: sub.qualifier,
        source: `${sub.kind}:${topic}`,
        payload: JSON.stringify({ Records: records }),
      });
      deliveries.push({ function: config.name, namespace: config.namespace, kind: sub.kind, requestId, messages: records.length });
    };
    for (const sub of this.#subscriptions.get(topic) ?? []) {
      if (sub.kind === 'cmq') {
        messages.forEach((message, i) => {
          const requestId = timeOrderedId();
          deliver(sub, [cmqRecord(topic, sub.name, Number(this.#options.appId), publishTime, String(first + i), message)], requestId);
        });
      } else {
        for (const chunk of ckafkaChunks(topic, messages, first, sub.maxMsgNum)) deliver(sub, chunk, timeOrderedId());
      }
    }
    await this.#options.dispatcher.enqueue(items, [[topic, first + messages.length]]);
    return {
      topic,
      messages: messages.map((_, i) => ({ msgId: String(first + i), offset: first + i })),
      deliveries,
    };
  }

  #add(sub: Subscription): void {
    const subs = this.#subscriptions.get(sub.topic) ?? [];
    subs.push(sub);
    this.#subscriptions.set(sub.topic, subs);
  }
}

function tagsOf(tag: TopicMessage['msgTag']): string[] {
  if (tag === undefined) return [];
  if (Array.isArray(tag)) return tag;
  return tag === '' ? [] : tag.split(',').map((part) => part.trim());
}

/** CMQ's publishTime: `2019-08-16T10:48:49Z`, UTC without milliseconds (scf-go-lib's CMQ test event). */
export function cmqTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CMQ's own request ID: a decimal number (`2758374289357404466` in scf-go-lib's test event), not SCF's. */
export function cmqRequestId(): string {
  return BigInt.asUintN(63, randomBytes(8).readBigUInt64BE()).toString();
}

/**
 * One CMQ topic record (SCF "CMQ Topic trigger" event). Field types as SCF delivers them (scf-go-lib
 * events/cmq.go and its test event): topicOwner a number, msgId and requestId decimal strings, msgTag
 * one string with the tags joined by ", " (older docs show a list; scf-go-lib reads both).
 */
function cmqRecord(
  topic: string,
  subscriptionName: string,
  topicOwner: number,
  publishTime: string,
  msgId: string,
  message: TopicMessage,
): { CMQ: Record<string, unknown> } {
  return {
    CMQ: {
      type: 'topic',
      topicOwner,
      topicName: topic,
      subscriptionName,
      publishTime,
      msgId,
      requestId: cmqRequestId(),
      msgBody: message.msgBody,
      msgTag: tagsOf(message.msgTag).join(', '),
    },
  };
}

/** The messages as Ckafka records, cut into events of at most `maxMsgNum` records and 6 MB. */
function ckafkaChunks(topic: string, messages: readonly TopicMessage[], firstOffset: number, maxMsgNum: number): unknown[][] {
  const chunks: unknown[][] = [];
  let chunk: unknown[] = [];
  let bytes = 0;
  messages.forEach((message, i) => {
    const record = {
      Ckafka: { topic, partition: 0, offset: firstOffset + i, msgKey: message.msgKey ?? NO_MSG_KEY, msgBody: message.msgBody },
    };
    const size = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (chunk.length > 0 && (chunk.length >= maxMsgNum || bytes + size > MAX_SYNC_PAYLOAD_BYTES - 64)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  });
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
