/**
 * Async invocation as one part of the gateway: the dispatcher over the store's queue, the topic bus and
 * the timer triggers. Made without side effects; `start` (after the functions are deployed, before the
 * HTTP server listens) resumes the stored queue and schedules the triggers; `close` stops all of it.
 */
import type { QueueStore } from '../../store/queue-store.ts';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import type { InvokeStep } from '../invoke/invocation.ts';
import type { FunctionRegistry } from '../registry.ts';
import { TimerTriggers } from '../triggers/timer.ts';
import { TopicBus } from '../triggers/topics.ts';
import type { Clock } from './clock.ts';
import { AsyncDispatcher, type DispatcherLogger } from './dispatcher.ts';
import { createGatewayExecutor } from './executor.ts';

export interface AsyncServiceOptions {
  queue: QueueStore;
  registry: FunctionRegistry;
  globalLimiter: ConcurrencyLimiter;
  invoke: InvokeStep;
  /** The account ID (CMQ's topicOwner). */
  appId: string;
  logger: DispatcherLogger;
  /** @default the system clock */
  clock?: Clock;
}

export class AsyncService {
  readonly queue: QueueStore;
  readonly dispatcher: AsyncDispatcher;
  readonly topics: TopicBus;
  readonly timers: TimerTriggers;
  #registry: FunctionRegistry;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncServiceOptions) {
    this.queue = options.queue;
    this.#registry = options.registry;
    this.dispatcher = new AsyncDispatcher({
      store: options.queue,
      executor: createGatewayExecutor(options),
      clock: options.clock,
      logger: options.logger,
    });
    this.topics = new TopicBus({ dispatcher: this.dispatcher, appId: options.appId });
    this.timers = new TimerTriggers({ dispatcher: this.dispatcher, clock: options.clock, logger: options.logger });
  }

  /** Throws (naming the function and trigger) on an invalid cron expression, before anything starts. */
  start(): void {
    const functions = this.#registry.list();
    // Timers are armed first because they validate; none can fire before the dispatcher starts below.
    this.timers.start(functions);
    this.dispatcher.start();
    this.topics.start(functions, this.queue.topicOffsets());
  }

  /**
   * Follow a change of the deployed functions: queues look their functions up again, timers and topic
   * subscriptions are rebuilt from the new configurations. An invalid cron expression keeps the timers
   * as they were and is reported to `onError`.
   */
  refresh(onError: (error: unknown) => void): void {
    if (this.#closing) return;
    const functions = this.#registry.list();
    this.dispatcher.refreshTargets();
    this.topics.resubscribe(functions);
    try {
      this.timers.reset(functions);
    } catch (error) {
      onError(error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.timers.close();
      await this.dispatcher.close();
    })();
    return this.#closing;
  }
}
