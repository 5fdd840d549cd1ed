/**
 * A PostgreSQL session advisory lock on a dedicated connection (docs/architecture.md §9). The lock lives as long as
 * the session: when the process holding it dies, even by kill -9, the server sees the connection close and
 * releases the lock, so no lease record can outlive its holder and nobody has to wait out an expiry.
 */
import pg from 'pg';
import { describeError, StoreConnectionError } from './errors.js';
import { describeTarget, type PostgresClientOptions } from './postgres-client.js';

/** One connection that can hold one advisory lock. */
export interface LockSession {
  /** pg_try_advisory_lock: true when this session holds the lock now (also when it already did). */
  tryLock(): Promise<boolean>;
  /** A round trip: rejects when the connection is gone (a silent network loss shows here, not in an event). */
  ping(): Promise<void>;
  /** Called once when the connection ends or fails; the lock is then gone with it. */
  onLost(listener: (reason: string) => void): void;
  /** Unlocks (when held) and closes the connection. Never rejects. */
  close(): Promise<void>;
}

export type LockSessionFactory = () => Promise<LockSession>;

/**
 * The key of the periodic duties' lock. Advisory lock keys are per database, so backends on other databases (the
 * tests' own) never meet it. The value is arbitrary but fixed: every version of ktrdr must use the same one.
 */
export const DUTIES_LOCK_KEY = 7_469_082_033; // next to the migration and operation-limit keys

export interface AdvisoryLockOptions extends PostgresClientOptions {
  /** Shown in pg_stat_activity.application_name, so an operator sees which backend holds the lock. */
  readonly applicationName: string;
  readonly key?: number;
}

/** Opens one connection for the lock (outside the store's pool: a pooled connection is shared and recycled). */
export async function openLockSession(options: AdvisoryLockOptions): Promise<LockSession> {
  const key = options.key ?? DUTIES_LOCK_KEY;
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    database: options.name,
    user: options.user,
    password: options.password,
    application_name: options.applicationName.slice(0, 63),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // The server notices a peer that vanished without closing (a cut network) through TCP keep-alives too.
    keepAlive: true,
  });
  const listeners: ((reason: string) => void)[] = [];
  let lostReason: string | null = null;
  const lose = (reason: string) => {
    if (lostReason !== null) return;
    lostReason = reason;
    for (const listener of listeners) listener(reason);
  };
  client.on('error', (error) => lose(describeError(error)));
  client.on('end', () => lose('connection closed'));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new StoreConnectionError('postgres', describeTarget(options), describeError(error), { cause: error });
  }
  let closing = false;
  return {
    async tryLock() {
      const rows = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      return rows.rows[0]?.locked === true;
    },
    async ping() {
      await client.query('SELECT 1');
    },
    onLost(listener) {
      if (lostReason !== null) listener(lostReason);
      else listeners.push(listener);
    },
    async close() {
      if (closing) return;
      closing = true;
      lostReason ??= 'closed';
      // Closing the session releases the lock anyway; unlocking first hands it over even if the close lingers.
      await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
