/** SqlClient over a PostgreSQL server through a `pg` connection pool. */
import pg from 'pg';
import { describeError, StoreConnectionError } from './errors.js';
import type { SqlClient, SqlExecutor, SqlParam } from './sql-client.js';

export interface PostgresClientOptions {
  readonly host: string;
  readonly port: number;
  /** Database name. */
  readonly name: string;
  readonly user: string;
  readonly password: string;
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
}

const DEFAULT_MAX_CONNECTIONS = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const executorOf = (db: pg.Pool | pg.PoolClient): SqlExecutor => ({
  async query<T>(sql: string, params: readonly SqlParam[] = [], name?: string): Promise<T[]> {
    const result = await (name === undefined ? db.query(sql, [...params]) : db.query({ name, text: sql, values: [...params] }));
    return result.rows as T[];
  },
});

export const describeTarget = (options: PostgresClientOptions): string =>
  `${options.host}:${options.port}/${options.name} as ${options.user}`;

/** Opens a pool and proves it can reach the server, so a bad setting fails at start-up, not on first use. */
export async function openPostgresClient(options: PostgresClientOptions): Promise<SqlClient> {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    database: options.name,
    user: options.user,
    password: options.password,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  // An idle connection dropped by the server would otherwise crash the process;
  // the next query reports the problem to its caller instead.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreConnectionError('postgres', describeTarget(options), describeError(error), { cause: error });
  }

  const plain = executorOf(pool);
  return {
    query: plain.query,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      let broken = false;
      try {
        await connection.query('BEGIN');
        const result = await fn(executorOf(connection));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
