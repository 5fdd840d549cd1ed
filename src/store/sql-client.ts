/**
 * The few SQL operations the repositories need, so the same SQL runs on
 * embedded PGlite and on a PostgreSQL server.
 */
export type SqlParam = string | number | boolean | null;

export interface SqlExecutor {
  /**
   * Runs one statement with `$1…$n` placeholders and returns its rows. `name`: the statement is prepared under
   * that name on each PostgreSQL connection, parsed and planned once there instead of on every call (the hot
   * statements of dispatch, docs/architecture.md §5.4), and on PGlite once per database instance
   * (src/store/pglite-prepared.ts); one name must always go with the same SQL.
   */
  query<T>(sql: string, params?: readonly SqlParam[], name?: string): Promise<T[]>;
}

export interface SqlClient extends SqlExecutor {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Where echoed SQL goes. */
export type SqlLog = (sql: string) => void;

const oneLine = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

const echoingExecutor = (executor: SqlExecutor, log: SqlLog): SqlExecutor => ({
  query<T>(sql: string, params?: readonly SqlParam[], name?: string): Promise<T[]> {
    log(oneLine(sql));
    return executor.query<T>(sql, params, name);
  },
});

/** Wraps a client so every statement is passed to `log` before it runs (KTRDR_DB_ECHO). */
export function echoing(client: SqlClient, log: SqlLog): SqlClient {
  const plain = echoingExecutor(client, log);
  return {
    query: plain.query,
    transaction: (fn) => client.transaction((tx) => fn(echoingExecutor(tx, log))),
    close: () => client.close(),
  };
}
