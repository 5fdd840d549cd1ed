/**
 * The periodic duties' lease on a real PostgreSQL server (TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/test), with a ManualClock and timers that fire only when it moves. Each run
 * locks a key of its own, so runs in parallel on the same database never meet.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DutyLease } from '../../src/backend/services/duty-lease.js';
import { ManualClock } from '../../src/common/clock.js';
import { PeriodicTask, type Timers } from '../../src/common/periodic-task.js';
import { openLockSession } from '../../src/store/advisory-lock.js';
import { TEST_POSTGRES, TEST_POSTGRES_DATABASE } from '../support/postgres.js';

const server = { ...TEST_POSTGRES, name: TEST_POSTGRES_DATABASE };
const key = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
const INTERVAL = 1_000;
const logger = pino({ level: process.env.KTRDR_TEST_LOG ? 'debug' : 'silent' });

/** Timers driven by a ManualClock: `advance` runs what fell due, in order, and lets each run settle. */
class ClockTimers implements Timers {
  private readonly due: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  constructor(private readonly clock: ManualClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.due.push({ at: this.clock.now() + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const index = this.due.findIndex((entry) => entry.id === handle);
    if (index >= 0) this.due.splice(index, 1);
  }

  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      this.due.sort((a, b) => a.at - b.at);
      const first = this.due[0];
      if (!first || first.at > end) break;
      this.due.shift();
      this.clock.set(first.at);
      first.fn();
      await settle();
    }
    this.clock.set(end);
  }
}

interface Node {
  readonly lease: DutyLease;
  readonly duty: PeriodicTask;
  readonly runs: { count: number };
  readonly changes: string[];
}

const nodes: Node[] = [];

function node(name: string, clock: ManualClock, timers: Timers): Node {
  const runs = { count: 0 };
  const duty = new PeriodicTask({ name: `${name}-duty`, intervalMs: INTERVAL, run: () => void runs.count++, timers });
  const changes: string[] = [];
  const lease = new DutyLease({
    instance: name,
    duties: [duty],
    intervalMs: INTERVAL,
    connect: () => openLockSession({ ...server, applicationName: `ktrdr-lease-test ${name}`, key }),
    logger,
    clock,
    timers,
  });
  lease.onChange((state) => changes.push(state));
  const created = { lease, duty, runs, changes };
  nodes.push(created);
  return created;
}

/** The server-side pid of the session holding the test's lock, as another connection sees it. */
async function holderPid(admin: pg.Client): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [key],
  );
  return rows[0]?.pid ?? null;
}

/** Lets the promise chains a try or a lost connection started run to their end (real I/O: a bounded poll). */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.lease.stop()));
});

describe('DutyLease on PostgreSQL', () => {
  it('one of two holds; when the holder’s connection closes it stops at once and the other takes over at its next try', async () => {
    const admin = new pg.Client({ ...server, database: server.name });
    await admin.connect();
    try {
      const clock = new ManualClock();
      const timers = new ClockTimers(clock);
      const a = node('a', clock, timers);
      const b = node('b', clock, timers);

      await a.lease.tryOnce();
      await b.lease.tryOnce();
      expect([a.lease.state, b.lease.state]).toEqual(['held', 'standby']);
      expect([a.duty.isRunning, b.duty.isRunning]).toEqual([true, false]);
      const pidOfA = await holderPid(admin);
      expect(pidOfA).not.toBeNull();

      // Both on their schedules now: only the holder's duty runs when the clock moves.
      a.lease.start();
      b.lease.start();
      const settle = async () => void (await Promise.all([a, b].flatMap((n) => [n.lease.task.whenIdle(), n.duty.whenIdle()])));
      await timers.advance(3 * INTERVAL, settle);
      expect(a.runs.count).toBeGreaterThanOrEqual(2);
      expect(b.runs.count).toBe(0);

      // The server ends A's session (what it does when A's process dies): the lock goes with it.
      await admin.query('SELECT pg_terminate_backend($1)', [pidOfA]);
      await until('a to notice it lost its lock connection', () => a.lease.state === 'standby');
      expect(a.duty.isRunning).toBe(false);
      const runsOfA = a.runs.count;

      // B's next try, at most one interval later, takes the lock. (A tries again too; whichever comes first holds.)
      await timers.advance(INTERVAL, settle);
      await until('one of them to hold the duties again', () => a.lease.state === 'held' || b.lease.state === 'held');
      const holders = [a, b].filter((n) => n.lease.state === 'held');
      expect(holders).toHaveLength(1);
      const pidAfter = await holderPid(admin);
      expect(pidAfter).not.toBeNull();
      expect(pidAfter).not.toBe(pidOfA);
      if (holders[0] === a) expect(a.changes).toEqual(['held', 'standby', 'held']);
      else expect(b.changes).toEqual(['held']);
      await timers.advance(2 * INTERVAL, settle);
      // Never two holders running the duties at once.
      expect([a.duty.isRunning, b.duty.isRunning].filter(Boolean)).toHaveLength(1);
      if (holders[0] === b) expect(a.runs.count).toBe(runsOfA);
    } finally {
      await admin.end();
    }
  });

  it('a graceful stop unlocks at once: the standby takes over at its next try', async () => {
    const clock = new ManualClock();
    const timers = new ClockTimers(clock);
    const a = node('a', clock, timers);
    const b = node('b', clock, timers);
    await a.lease.tryOnce();
    await b.lease.tryOnce();
    expect(b.lease.state).toBe('standby');

    await a.lease.stop();
    expect(a.lease.state).toBe('standby');
    expect(a.duty.isRunning).toBe(false);
    await b.lease.tryOnce();
    expect(b.lease.state).toBe('held');
    expect(b.duty.isRunning).toBe(true);
  });

  it('a standby that cannot reach the server keeps trying and takes the duties when it can', async () => {
    const clock = new ManualClock();
    let reachable = false;
    const duty = new PeriodicTask({ name: 'duty', intervalMs: INTERVAL, run: () => undefined, timers: new ClockTimers(clock) });
    const lease = new DutyLease({
      instance: 'c',
      duties: [duty],
      intervalMs: INTERVAL,
      connect: () => (reachable ? openLockSession({ ...server, applicationName: 'ktrdr-lease-test c', key }) : Promise.reject(new Error('ECONNREFUSED'))),
      logger,
      clock,
    });
    nodes.push({ lease, duty, runs: { count: 0 }, changes: [] });
    await expect(lease.tryOnce()).rejects.toThrow('ECONNREFUSED');
    expect(lease.state).toBe('standby');
    reachable = true;
    await lease.tryOnce();
    expect(lease.state).toBe('held');
  });
});

describe('DutyLease without a lock (PGlite)', () => {
  it('is always the holder', async () => {
    const clock = new ManualClock();
    const timers = new ClockTimers(clock);
    const duty = new PeriodicTask({ name: 'duty', intervalMs: INTERVAL, run: () => undefined, timers });
    const lease = new DutyLease({ instance: 'solo', duties: [duty], intervalMs: INTERVAL, connect: null, logger, clock, timers });
    lease.start();
    await until('the lease to be held', () => lease.state === 'held');
    expect(duty.isRunning).toBe(true);
    await lease.stop();
    expect(duty.isRunning).toBe(false);
  });
});
