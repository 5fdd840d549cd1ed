/** SqlClient over embedded PGlite (PostgreSQL compiled to WASM, running in this process). */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { DirectoryLockedError, lockDirectory, type DirectoryLock } from './directory-lock.js';
import { describeError, StoreConnectionError } from './errors.js';
import type { SqlClient, SqlExecutor, SqlParam } from './sql-client.js';

export interface PgliteClientOptions {
  /** Data directory, created when missing; omitted: an in-memory database (tests). */
  readonly dir?: string;
  /** Told when the directory's lock was left by a process that no longer exists and is taken over. */
  readonly onStaleLock?: (message: string) => void;
}

interface PgliteQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

const executorOf = (db: PgliteQueryable): SqlExecutor => ({
  async query<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return (await db.query<T>(sql, [...params])).rows;
  },
});

export async function openPgliteClient(options: PgliteClientOptions = {}): Promise<SqlClient> {
  const target = options.dir === undefined ? 'memory' : resolve(options.dir);
  let db: PGlite;
  let lock: DirectoryLock | null = null;
  try {
    if (options.dir !== undefined) {
      await mkdir(target, { recursive: true });
      lock = await lockDirectory(target, options.onStaleLock ? { onStaleLock: options.onStaleLock } : {});
    }
    db = await PGlite.create(options.dir === undefined ? undefined : target);
  } catch (error) {
    await lock?.release();
    if (error instanceof DirectoryLockedError) throw error;
    throw new StoreConnectionError('pglite', target, describeError(error), { cause: error });
  }
  const plain = executorOf(db);
  return {
    query: plain.query,
    // PGlite serialises transactions itself; statements outside them wait their turn.
    transaction: (fn) => db.transaction((tx) => fn(executorOf(tx))),
    close: async () => {
      try {
        await db.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
