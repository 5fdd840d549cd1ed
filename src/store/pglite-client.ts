/** SqlClient over embedded PGlite (PostgreSQL compiled to WASM, running in this process). */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { DirectoryLockedError, lockDirectory, type DirectoryLock } from './directory-lock.js';
import { describeError, StoreConnectionError } from './errors.js';
import { PglitePreparedStatements } from './pglite-prepared.js';
import type { SqlClient, SqlExecutor, SqlParam } from './sql-client.js';

export interface PgliteClientOptions {
  /** Data directory, created when missing; omitted: an in-memory database (tests). */
  readonly dir?: string;
  /** Told when the directory's lock was left by a process that no longer exists and is taken over. */
  readonly onStaleLock?: (message: string) => void;
  /** In memory only: start from this data-directory image (see `image()`) instead of an empty cluster. */
  readonly image?: Blob;
}

export interface PgliteClient extends SqlClient {
  /**
   * The whole data directory as an image another in-memory client can start from. Starting from one skips
   * PostgreSQL's initdb, most of the cost of opening (a fresh in-memory database took 11–14 s on the busy 2-core
   * machine, one from an image 3 s).
   */
  image(): Promise<Blob>;
}

/**
 * Statements outside a transaction: a named one runs as a prepared statement (parsed and planned once per instance,
 * see pglite-prepared.ts), any other through `PGlite.query`.
 */
const executorOf = (db: PGlite, prepared: PglitePreparedStatements): SqlExecutor => ({
  async query<T>(sql: string, params: readonly SqlParam[] = [], name?: string): Promise<T[]> {
    if (name !== undefined) return prepared.query<T>(name, sql, params);
    return (await db.query<T>(sql, [...params])).rows;
  },
});

/** Statements in a `db.transaction` callback: the same session, so the same named statements. */
const transactionExecutorOf = (tx: Transaction, prepared: PglitePreparedStatements): SqlExecutor => ({
  async query<T>(sql: string, params: readonly SqlParam[] = [], name?: string): Promise<T[]> {
    // A transaction that has ended refuses statements: tx.query throws PGlite's own error for it.
    if (name !== undefined && !tx.closed) return prepared.queryInTransaction<T>(name, sql, params);
    return (await tx.query<T>(sql, [...params])).rows;
  },
});

export async function openPgliteClient(options: PgliteClientOptions = {}): Promise<PgliteClient> {
  const target = options.dir === undefined ? 'memory' : resolve(options.dir);
  let db: PGlite;
  let lock: DirectoryLock | null = null;
  try {
    if (options.dir !== undefined) {
      await mkdir(target, { recursive: true });
      lock = await lockDirectory(target, options.onStaleLock ? { onStaleLock: options.onStaleLock } : {});
    }
    db = options.dir !== undefined ? await PGlite.create(target) : await PGlite.create(options.image ? { loadDataDir: options.image } : {});
  } catch (error) {
    await lock?.release();
    if (error instanceof DirectoryLockedError) throw error;
    throw new StoreConnectionError('pglite', target, describeError(error), { cause: error });
  }
  // Per instance: a reopened database, or one started from an image, is a new PostgreSQL session with none prepared.
  const prepared = new PglitePreparedStatements(db);
  const plain = executorOf(db, prepared);
  return {
    query: plain.query,
    // PGlite serialises transactions itself; statements outside them wait their turn.
    transaction: (fn) => db.transaction((tx) => fn(transactionExecutorOf(tx, prepared))),
    // Uncompressed: the image stays in memory, and compressing 40 MB costs more than it saves there.
    image: () => db.dumpDataDir('none'),
    close: async () => {
      try {
        await db.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
