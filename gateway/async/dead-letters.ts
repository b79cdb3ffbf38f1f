/**
 * The dead-letter queue's operations (events in status dead or expired): redrive one or all of a
 * function's back into its queue with fresh retries and a fresh maxEventAge, and purge. The dispatcher
 * owns the live events; this reads the store after a flush and hands revived events back to its table.
 */
import type { QueueStore } from '../../store/queue-store.ts';
import type { PendingAsyncEvent } from '../../store/queue-statements.ts';
import { FnError } from '../errors.ts';
import type { Clock } from './clock.ts';
import type { EventTable } from './event-table.ts';
import { stateOf, type FunctionQueue } from './function-queue.ts';
import { redriven } from './outcome.ts';
import type { RedriveSummary } from './types.ts';

export class DeadLetters {
  readonly #store: QueueStore;
  readonly #table: EventTable;
  readonly #clock: Clock;
  /** Called once revived events are ready to run. */
  readonly #wake: () => void;

  constructor(store: QueueStore, table: EventTable, clock: Clock, wake: () => void) {
    this.#store = store;
    this.#table = table;
    this.#clock = clock;
    this.#wake = wake;
  }

  /** Put one dead letter back in its queue with a fresh set of retries and a fresh maxEventAge. */
  async redrive(requestId: string): Promise<void> {
    await this.#store.flush();
    const record = this.#store.get(requestId);
    if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no dead letter with request ID ${requestId}`);
    if ((record.status !== 'dead' && record.status !== 'expired') || this.#table.refs.has(requestId)) {
      throw new FnError('INVALID_PARAMETER', `the async event ${requestId} is ${this.#table.refs.get(requestId)?.state.status ?? record.status}, not a dead letter`);
    }
    const queue = this.#table.queueFor(record.namespace, record.functionName, record.qualifier);
    const refusal = this.#table.refusal(queue, 1);
    if (refusal !== undefined) throw refusal;
    this.#revive(record, queue);
    this.#wake();
  }

  /** Redrive the dead letters of a function, oldest first, as many as its queue has room for. */
  async redriveAll(namespace: string, functionName: string, qualifier: string): Promise<RedriveSummary> {
    await this.#store.flush();
    const queue = this.#table.queueFor(namespace, functionName, qualifier);
    const target = queue.target;
    if (target === undefined) throw new FnError('FUNCTION_NOT_FOUND', `function ${functionName} is not deployed in namespace ${namespace}`);
    const room = Math.max(0, target.maxPendingEvents - queue.pending - queue.reserved);
    const total = this.#store.countDeadLetters(namespace, functionName);
    const revived: string[] = [];
    for (const record of this.#store.deadLetters({ namespace, functionName, limit: room })) {
      if (this.#table.refs.has(record.requestId)) continue;
      this.#revive(record, this.#table.queueFor(namespace, functionName, record.qualifier));
      revived.push(record.requestId);
    }
    this.#wake();
    return { redriven: revived, left: total - revived.length };
  }

  /** Drop the dead letters of a function (they become `failed`); resolves with how many. */
  async purge(namespace: string, functionName: string): Promise<number> {
    await this.#store.flush();
    return this.#store.purgeDeadLetters(namespace, functionName);
  }

  #revive(record: PendingAsyncEvent, queue: FunctionQueue): void {
    const state = stateOf(record);
    this.#store.update(state, redriven(state, this.#clock.now()));
    this.#table.makeReady(this.#table.newRef(state, queue));
  }
}
