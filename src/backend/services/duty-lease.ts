/**
 * Which backend runs the periodic duties (health checks, orphan detection, retention) when several share one
 * PostgreSQL database (docs/architecture.md §9). One session advisory lock covers all of them: the holder runs
 * their loops, the others try `pg_try_advisory_lock` every `intervalMs` and run none. The lock is released by the
 * server when the holder's connection closes, so a holder killed with kill -9 is replaced at the next try of a
 * standby, within one interval. A holder that loses its lock connection stops the duties at once (the lock may
 * already be someone else's) and tries to connect and lock again at its next try.
 *
 * Why one lock and not one per duty: the duties are light (a pass is a few queries and one GET /health per worker),
 * they read each other's results (the orphan detector trusts the claims the health checker records), and a single
 * holder is one connection per backend, one takeover to watch and one name to report.
 *
 * Without a lock factory (PGlite: one backend per directory, enforced by its lock file) the lease is always held.
 */
import type { Clock } from '../../common/clock.js';
import { errorText } from '../../common/errors.js';
import { PeriodicTask, type Timers } from '../../common/periodic-task.js';
import type { Logger } from '../../logging/logger.js';
import type { LockSession, LockSessionFactory } from '../../store/advisory-lock.js';

export type DutyState = 'held' | 'standby';

export interface DutyLeaseOptions {
  /** This backend's name in the logs and in GET /health (host:port, pid). */
  readonly instance: string;
  /** The duties' loops: started when the lock is taken, stopped when it is lost or released. */
  readonly duties: readonly PeriodicTask[];
  /** How often a standby tries the lock and a holder checks its connection. */
  readonly intervalMs: number;
  /** Null: no other backend can share the store (PGlite); the lease is always held. */
  readonly connect: LockSessionFactory | null;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly timers?: Timers;
}

export class DutyLease {
  readonly task: PeriodicTask;
  private session: LockSession | null = null;
  private held = false;
  private stopped = false;
  private heldSince: number | null = null;
  private attempts = 0;
  /** Told each time this backend takes or loses the duties (tests, metrics). */
  private readonly listeners: ((state: DutyState) => void)[] = [];

  constructor(private readonly options: DutyLeaseOptions) {
    this.task = new PeriodicTask({
      name: 'duty-lease',
      intervalMs: options.intervalMs,
      run: () => this.tryOnce(),
      onError: (error) => options.logger.warn({ err: error }, 'duty lease try failed'),
      // A backend that starts alone takes the duties at once, not an interval later.
      runAtStart: true,
      timers: options.timers,
    });
  }

  get state(): DutyState {
    return this.held ? 'held' : 'standby';
  }

  get instance(): string {
    return this.options.instance;
  }

  /** When this backend took the duties (clock ms), or null. */
  get since(): number | null {
    return this.heldSince;
  }

  /** How many times this backend asked for the lock (ktrdr_duty_lease_tries_total): takeovers are counted in tries. */
  get tries(): number {
    return this.attempts;
  }

  onChange(listener: (state: DutyState) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.stopped = false;
    this.task.start();
  }

  /** Stops trying; a holder stops the duties (waiting for a run in progress) and unlocks, so a standby takes over at its next try. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.task.stop();
    const wasHeld = this.held;
    await this.release();
    if (wasHeld) this.options.logger.info({ instance: this.options.instance }, 'released the periodic duties');
  }

  /** One try: take the lock when free, or check a held one is still ours. Public for tests (ManualClock). */
  async tryOnce(): Promise<void> {
    if (this.stopped) return;
    if (!this.options.connect) {
      if (!this.held) {
        this.attempts++;
        this.take();
      }
      return;
    }
    if (this.held) {
      try {
        await this.session?.ping();
      } catch (error) {
        await this.lose(`its lock connection failed: ${errorText(error)}`);
      }
      return;
    }
    if (!this.session) {
      const session = await this.options.connect();
      if (this.stopped) return void (await session.close());
      this.session = session;
      session.onLost((reason) => {
        if (this.session !== session) return;
        void this.lose(`its lock connection was lost: ${reason}`);
      });
    }
    const session = this.session;
    this.attempts++;
    if (await session.tryLock()) {
      if (this.stopped || this.session !== session) return void (await session.close());
      this.take();
    }
  }

  private take(): void {
    this.held = true;
    this.heldSince = this.options.clock.now();
    for (const duty of this.options.duties) duty.start();
    this.options.logger.info({ instance: this.options.instance }, 'took over the periodic duties');
    for (const listener of this.listeners) listener('held');
  }

  /**
   * The lock may be someone else's already: the duties' schedules stop at once, without waiting for a pass in
   * progress (a pass is idempotent against the store; two at once for a moment do no harm, two for long would).
   */
  private async lose(reason: string): Promise<void> {
    const session = this.session;
    this.session = null;
    if (this.held) {
      this.held = false;
      this.heldSince = null;
      for (const duty of this.options.duties) void duty.stop();
      this.options.logger.warn({ instance: this.options.instance, reason }, 'lost the periodic duties; will try to take them again');
      for (const listener of this.listeners) listener('standby');
    }
    await session?.close();
  }

  private async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    const wasHeld = this.held;
    this.held = false;
    this.heldSince = null;
    // The duties stop before the unlock, so two holders never run them at once.
    await Promise.all(this.options.duties.map((duty) => duty.stop()));
    await session?.close();
    if (wasHeld) for (const listener of this.listeners) listener('standby');
  }
}
