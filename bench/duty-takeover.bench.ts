/**
 * How soon a standby backend takes the periodic duties over when the holder's session ends (docs/architecture.md §9):
 * three DutyLeases in one process on a real PostgreSQL server (TEST_POSTGRES_URL), real timers, lease intervals
 * of 300 ms and 1 s. The holder's session is ended by the server (pg_terminate_backend: what the server does with
 * the connection of a process killed with kill -9), and the time until another lease holds is measured through
 * its change listener. Prints median and worst, in ms and in intervals.
 * Peer: a lease row with an expiry (renewed every interval, expiring after three, the usual setting of
 * expiry-based leader election) cannot be taken before it expires: 2 to 3 intervals after a kill, by construction.
 */
import pg from 'pg';
import { pino } from 'pino';
import { DutyLease } from '../src/backend/services/duty-lease.js';
import { systemClock } from '../src/common/clock.js';
import { openLockSession } from '../src/store/advisory-lock.js';
import { median } from './stats.js';

const PG_URL = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const server = {
  host: PG_URL.hostname,
  port: Number(PG_URL.port || 5432),
  name: PG_URL.pathname.slice(1) || 'test',
  user: decodeURIComponent(PG_URL.username || 'postgres'),
  password: decodeURIComponent(PG_URL.password),
};
const ROUNDS = 10;
const logger = pino({ level: 'silent' });

async function holderPid(admin: pg.Client, key: number): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [key],
  );
  return rows[0]?.pid ?? null;
}

async function measure(intervalMs: number): Promise<number[]> {
  const key = 2_000_000 + Math.floor(Math.random() * 1_000_000_000);
  const admin = new pg.Client({ ...server, database: server.name });
  await admin.connect();
  const waiters: ((name: string) => void)[] = [];
  const leases = ['a', 'b', 'c'].map((name) => {
    const lease = new DutyLease({
      instance: name,
      duties: [],
      intervalMs,
      connect: () => openLockSession({ ...server, applicationName: `ktrdr-bench ${name}`, key }),
      logger,
      clock: systemClock,
    });
    lease.onChange((state) => {
      if (state === 'held') for (const waiter of waiters.splice(0)) waiter(name);
    });
    return lease;
  });
  const nextHolder = () => new Promise<string>((resolve) => waiters.push(resolve));
  try {
    const first = nextHolder();
    for (const lease of leases) lease.start();
    await first;
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A random point in the standbys' cycle, as a crash would fall.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
      const pid = await holderPid(admin, key);
      const taken = nextHolder();
      const start = process.hrtime.bigint();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await taken;
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return times;
  } finally {
    await Promise.all(leases.map((lease) => lease.stop()));
    await admin.end();
  }
}

export async function dutyTakeoverBench(): Promise<void> {
  console.log('\nduty takeover (3 leases on PostgreSQL, holder session ended by the server)');
  for (const intervalMs of [300, 1_000]) {
    const times = await measure(intervalMs);
    const worst = Math.max(...times);
    console.log(
      `  interval ${intervalMs} ms: median ${median(times).toFixed(0)} ms (${(median(times) / intervalMs).toFixed(2)} intervals), ` +
        `worst ${worst.toFixed(0)} ms (${(worst / intervalMs).toFixed(2)} intervals) over ${times.length} takeovers; ` +
        `peer (expiry lease, TTL 3 intervals): ${2 * intervalMs}–${3 * intervalMs} ms by construction`,
    );
  }
}
