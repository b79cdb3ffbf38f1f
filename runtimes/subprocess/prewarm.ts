/**
 * Started-but-unspecialised interpreters, so a cold start skips interpreter start-up: a spare process
 * runs the shim with a neutral environment and waits for `load`. Taking one starts a replacement in
 * the background. Owned by an adapter; its close() ends the spares.
 */
import type { FunctionProcess } from './process.ts';

/** Spares per runtime when an adapter does not say. */
export const DEFAULT_PREWARM_SIZE = 2;
/** How long after a spare is taken its replacement is started. */
export const REFILL_DELAY_MS = 50;
/** Longest a pre-warmed interpreter may take to boot before it is ended as failed. */
const SPARE_BOOT_TIMEOUT_MS = 30_000;
/** Consecutive failed spawns after which refilling stops until a spare is asked for again. */
export const MAX_PREWARM_FAILURES = 3;

export interface PrewarmPoolOptions {
  size: number;
  spawn(): Promise<FunctionProcess>;
  /** A spare failed to spawn or died while waiting. */
  onError?(error: unknown): void;
}

interface Spare {
  process: FunctionProcess;
  started: boolean;
  /** Settles when the spare announced `started`, or died. */
  settled: Promise<void>;
}

export class PrewarmPool {
  #options: PrewarmPoolOptions;
  #spares: Spare[] = [];
  #spawning: Array<Promise<void>> = [];
  #refillTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: PrewarmPoolOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#spares.length;
  }

  /** Spawn the missing spares; resolves when every spare is up (or failed). */
  async fill(): Promise<void> {
    this.#failures = 0;
    this.#refill();
    await Promise.all(this.#spawning);
    await Promise.all(this.#spares.map((spare) => spare.settled));
  }

  /** A spare, booted ones first; undefined when none is left. Starts a replacement in the background. */
  take(): FunctionProcess | undefined {
    const usable = this.#spares.filter((spare) => !spare.process.hasExited);
    const spare = usable.find((candidate) => candidate.started) ?? usable[0];
    if (spare) this.#spares.splice(this.#spares.indexOf(spare), 1);
    // The replacement boots a while later, so its interpreter start-up does not take the CPU from the
    // cold start that took this spare.
    if (!this.#refillTimer) {
      this.#refillTimer = setTimeout(() => {
        this.#refillTimer = undefined;
        this.#refill();
      }, REFILL_DELAY_MS);
      this.#refillTimer.unref();
    }
    return spare?.process;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refillTimer);
    await Promise.allSettled(this.#spawning);
    const spares = this.#spares;
    this.#spares = [];
    await Promise.allSettled(spares.map((spare) => spare.process.close()));
  }

  #refill(): void {
    while (
      !this.#closed &&
      this.#failures < MAX_PREWARM_FAILURES &&
      this.#spares.length + this.#spawning.length < this.#options.size
    ) {
      const spawning: Promise<void> = this.#options.spawn().then(
        (process) => {
          this.#spawning.splice(this.#spawning.indexOf(spawning), 1);
          if (this.#closed) return void process.close();
          this.#adopt(process);
        },
        (error) => {
          this.#spawning.splice(this.#spawning.indexOf(spawning), 1);
          this.#failures++;
          this.#options.onError?.(error);
        },
      );
      this.#spawning.push(spawning);
    }
  }

  #adopt(process: FunctionProcess): void {
    let bootTimer: NodeJS.Timeout | undefined;
    // A spare that never boots (nor exits) must not hold `fill` forever: past the deadline it is ended,
    // and its exit takes it out of the pool like any failed spare.
    const bootDeadline = new Promise<void>((resolve) => {
      bootTimer = setTimeout(() => {
        if (!spare.started) void process.close();
        resolve();
      }, SPARE_BOOT_TIMEOUT_MS);
      bootTimer.unref();
    });
    const spare: Spare = {
      process,
      started: false,
      settled: Promise.race([process.channel.started, process.exited.then(() => {}), bootDeadline]).finally(() => clearTimeout(bootTimer)),
    };
    void process.channel.started.then(() => {
      spare.started = true;
      this.#failures = 0;
    });
    void process.exited.then((info) => {
      const index = this.#spares.indexOf(spare);
      if (index < 0) return; // Taken: its instance handles the exit.
      this.#spares.splice(index, 1);
      void process.close();
      if (!spare.started) this.#failures++;
      this.#options.onError?.(new Error(`a pre-warmed interpreter exited (code ${info.code}, signal ${info.signal})`));
      this.#refill();
    });
    this.#spares.push(spare);
  }
}
