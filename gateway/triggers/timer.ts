/**
 * Timer triggers (`events: - timer: { name, parameters: { cronExpression, enable, argument } }`): each
 * tick accepts an async event `{"Type":"Timer","TriggerName","Time","Message"}` into the function's
 * queue, so overlapping ticks wait for the function's concurrency like any async event.
 *
 * Ticks missed while the gateway was down are not replayed: after a start the first tick is the next
 * one due. Times are UTC.
 */
import { Cron } from 'croner';
import { systemClock, type Clock, type ClockTimer } from '../async/clock.ts';
import type { AsyncDispatcher } from '../async/dispatcher.ts';
import { timeOrderedId } from '../async/request-id.ts';
import type { DeployedFunction } from '../registry.ts';

/** SCF's year field range. */
const MIN_YEAR = 1970;
const MAX_YEAR = 2099;

/** A parsed SCF cron expression. */
export interface ScfCron {
  /** The first tick strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
}

/**
 * SCF cron: `second minute hour day month weekday [year]` (7 fields, the year may be left out; 5 fields
 * are read as a classic minute-level crontab). croner handles six fields; SCF's differences are
 * translated: `?` ("no specific value") becomes `*` (croner reads `?` as "the start time"), `5L` in the
 * weekday ("last Friday") becomes `5#L`, and the year is checked here. Day and weekday both given match
 * either (SCF: "或" relation, croner legacy mode). `W` (nearest weekday) is not supported.
 */
export function parseScfCron(expression: string): ScfCron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 7) {
    throw new Error(`cron expression "${expression}" has ${fields.length} fields; SCF uses 7: second minute hour day month weekday year`);
  }
  if (fields.length === 5) fields.unshift('0');
  const yearField = fields.length === 7 ? fields.pop()! : '*';
  if (/(\d|L)W/i.test(fields[3]!)) {
    throw new Error(`cron expression "${expression}": W (nearest weekday) is not supported`);
  }
  const translated = fields.map((field, index) => {
    let out = field === '?' ? '*' : field;
    if (index === 5) out = out.replace(/(\d)L\b/gi, '$1#L');
    return out;
  });
  let cron: Cron;
  try {
    cron = new Cron(translated.join(' '), { timezone: 'UTC', paused: true, legacyMode: true });
  } catch (error) {
    throw new Error(`cron expression "${expression}": ${(error as Error).message}`, { cause: error });
  }
  const years = parseYears(yearField, expression);
  return {
    next(after) {
      let from = after;
      // Each turn either returns or jumps to a later allowed year: bounded by the year range.
      for (let guard = 0; guard <= MAX_YEAR - MIN_YEAR + 1; guard++) {
        const run = cron.nextRun(from);
        if (run === null) return undefined;
        const year = run.getUTCFullYear();
        if (years.has(year)) return run;
        const nextYear = [...years].find((allowed) => allowed > year);
        if (nextYear === undefined) return undefined;
        from = new Date(Date.UTC(nextYear, 0, 1) - 1000);
      }
      return undefined;
    },
  };
}

/** The year field: `*`, `2026`, `2026-2030`, `*\/2`, `2026/2`, `2026-2030/2`, and lists of those. */
function parseYears(field: string, expression: string): Set<number> {
  const years = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d{4})(?:-(\d{4}))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`cron expression "${expression}": year "${part}" is not valid (${MIN_YEAR}-${MAX_YEAR}, , - * /)`);
    const start = match[1] === '*' ? MIN_YEAR : Number(match[2]);
    const end = match[1] === '*' ? MAX_YEAR : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? MAX_YEAR : start;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (start < MIN_YEAR || end > MAX_YEAR || start > end || step < 1) {
      throw new Error(`cron expression "${expression}": year "${part}" is outside ${MIN_YEAR}-${MAX_YEAR}`);
    }
    for (let year = start; year <= end; year += step) years.add(year);
  }
  return years;
}

/** `2019-02-21T11:49:00Z`: SCF's Time field, UTC without milliseconds. */
export function timerTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface TimerEvent {
  Type: 'Timer';
  TriggerName: string;
  Time: string;
  Message: string;
}

interface ScheduledTimer {
  fn: DeployedFunction;
  /** The version or alias each tick invokes. */
  qualifier: string;
  name: string;
  argument: string;
  cron: ScfCron;
  cronExpression: string;
  handle: ClockTimer | undefined;
}

export interface TimerTriggerOptions {
  dispatcher: Pick<AsyncDispatcher, 'enqueue'>;
  /** @default the system clock */
  clock?: Clock;
  logger: { warn(obj: object, msg?: string): void };
}

export interface TimerInfo {
  namespace: string;
  functionName: string;
  name: string;
  cronExpression: string;
  nextTick: string | undefined;
}

/** Owns one clock timer per enabled timer trigger; `close` stops them all. */
export class TimerTriggers {
  #options: TimerTriggerOptions;
  #clock: Clock;
  #timers: ScheduledTimer[] = [];
  #closed = false;

  constructor(options: TimerTriggerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Schedule the enabled timer triggers of `functions`. Throws, naming the function and trigger, if a
   * cron expression is not valid; nothing is scheduled then.
   */
  start(functions: readonly DeployedFunction[]): void {
    const timers = this.#plan(functions);
    this.#timers.push(...timers);
    for (const timer of timers) this.#schedule(timer, this.#clock.now());
  }

  /**
   * Replace the schedule with the timers of `functions` (after a redeploy). Throws like `start` on an
   * invalid cron expression, keeping the schedule as it was.
   */
  reset(functions: readonly DeployedFunction[]): void {
    const timers = this.#plan(functions);
    for (const timer of this.#timers) timer.handle?.cancel();
    this.#timers = timers;
    for (const timer of timers) this.#schedule(timer, this.#clock.now());
  }

  #plan(functions: readonly DeployedFunction[]): ScheduledTimer[] {
    const timers: ScheduledTimer[] = [];
    for (const fn of functions) {
      for (const event of fn.config.events) {
        if (!('timer' in event)) continue;
        const { name, parameters } = event.timer;
        if (!parameters.enable) continue;
        let cron: ScfCron;
        try {
          cron = parseScfCron(parameters.cronExpression);
        } catch (error) {
          throw new Error(`function "${fn.config.name}": timer trigger "${name}": ${(error as Error).message}`, { cause: error });
        }
        const qualifier = parameters.qualifier ?? fn.version;
        timers.push({ fn, qualifier, name, argument: parameters.argument ?? '', cron, cronExpression: parameters.cronExpression, handle: undefined });
      }
    }
    return timers;
  }

  list(): TimerInfo[] {
    const now = new Date(this.#clock.now());
    return this.#timers.map((timer) => {
      const next = timer.cron.next(now);
      return {
        namespace: timer.fn.config.namespace,
        functionName: timer.fn.config.name,
        name: timer.name,
        cronExpression: timer.cronExpression,
        nextTick: next === undefined ? undefined : timerTime(next),
      };
    });
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) timer.handle?.cancel();
  }

  #schedule(timer: ScheduledTimer, after: number): void {
    if (this.#closed) return;
    const next = timer.cron.next(new Date(after));
    timer.handle = undefined;
    if (next === undefined) return;
    const at = next.getTime();
    timer.handle = this.#clock.setTimer(() => this.#tick(timer, at), at - this.#clock.now());
  }

  #tick(timer: ScheduledTimer, at: number): void {
    if (this.#closed) return;
    // From the later of the tick and now: ticks missed while the event loop was blocked are skipped.
    this.#schedule(timer, Math.max(at, this.#clock.now()));
    const event: TimerEvent = { Type: 'Timer', TriggerName: timer.name, Time: timerTime(new Date(at)), Message: timer.argument };
    const { config } = timer.fn;
    this.#options.dispatcher
      .enqueue([
        {
          requestId: timeOrderedId(),
          namespace: config.namespace,
          functionName: config.name,
          qualifier: timer.qualifier,
          source: `timer:${timer.name}`,
          payload: JSON.stringify(event),
        },
      ])
      .catch((error: unknown) =>
        this.#options.logger.warn({ err: error, function: config.name, trigger: timer.name, time: event.Time }, 'timer tick not queued'),
      );
  }
}
