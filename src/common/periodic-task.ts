/**
 * A background loop with an explicit lifecycle: `start()` schedules `run` every
 * `intervalMs` (never overlapping itself), `stop()` cancels the schedule and
 * waits for a run in progress, so shutdown never cuts work in half.
 * Tests call `runOnce()` instead of waiting for the timer.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PeriodicTaskOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly run: () => Promise<void> | void;
  /** Called when a run throws; the loop goes on. */
  readonly onError?: (error: unknown) => void;
  /** Run once immediately on start instead of waiting a first interval. */
  readonly runAtStart?: boolean;
  readonly timers?: Timers;
}

export class PeriodicTask {
  private handle: unknown = null;
  private running: Promise<void> | null = null;
  private started = false;
  private readonly timers: Timers;

  constructor(private readonly options: PeriodicTaskOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`${options.name}: interval must be > 0 ms (got ${options.intervalMs})`);
    this.timers = options.timers ?? realTimers;
  }

  get name(): string {
    return this.options.name;
  }

  get isRunning(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.runAtStart) void this.tick();
    else this.schedule();
  }

  /** Stops the schedule and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
    await this.running;
  }

  /** Waits for the run in progress, if any, without asking for one (tests that fire timers by hand). */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One run now (waits for one in progress first, never two at once). */
  async runOnce(): Promise<void> {
    while (this.running) await this.running;
    const run = (async () => {
      try {
        await this.options.run();
      } catch (error) {
        this.options.onError?.(error);
      }
    })();
    this.running = run;
    try {
      await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private schedule(): void {
    // Already scheduled: a start() during the stop of a run in progress must not leave two timers behind.
    if (!this.started || this.handle !== null) return;
    this.handle = this.timers.setTimeout(() => void this.tick(), this.options.intervalMs);
  }

  private async tick(): Promise<void> {
    this.handle = null;
    await this.runOnce();
    this.schedule();
  }
}
