/**
 * Named prepared statements on PGlite. `PGlite.query` sends Parse, Describe, Bind, Describe and Execute for every
 * call, so PostgreSQL parses, analyses and plans the statement each time: for the large CTE statements of dispatch
 * that is most of their cost (docs/architecture.md §5.4). A statement run under a name is parsed once per PGlite
 * instance (Parse and Describe of a named statement), and each call after sends only Bind, Execute and Sync in one
 * protocol round, its values serialised and its rows parsed with PGlite's own serializers and parsers, exactly as
 * `query` does.
 */
import { messages as pgMessages, parse, protocol, type PGlite } from '@electric-sql/pglite';
import { PreparedStatementConflictError } from './errors.js';
import type { SqlParam } from './sql-client.js';

type BackendMessage = pgMessages.BackendMessage;

interface Prepared {
  readonly sql: string;
  /** The parameter types PostgreSQL inferred: they choose each value's serializer, as `query` does. */
  readonly paramTypes: readonly number[];
  /** The statement's RowDescription (absent when it returns no rows): names and types for parsing each DataRow. */
  readonly rowDescription: BackendMessage | undefined;
}

/**
 * The named statements of one PGlite instance (a new instance, including one opened from an image, has none: the
 * statements live in its PostgreSQL session, not in the data directory).
 */
export class PglitePreparedStatements {
  private readonly statements = new Map<string, Prepared>();

  constructor(private readonly db: PGlite) {}

  /**
   * Runs the statement named `name` outside a transaction. It takes PGlite's transaction mutex and then its query
   * mutex, as `PGlite.query` does: `execProtocol*` take neither, and without the transaction mutex a call could run
   * between two statements of an open transaction, inside it. The underscored methods are PGlite's (public in its
   * typings, not in its documentation): pglite-prepared.test.ts fails if an upgrade changes what they lock.
   */
  async query<T>(name: string, sql: string, params: readonly SqlParam[]): Promise<T[]> {
    await this.db._checkReady();
    return this.db._runExclusiveTransaction(() => this.exclusive(() => this.run<T>(name, sql, params, true)));
  }

  /**
   * Runs the statement named `name` in the transaction that holds PGlite's transaction mutex now (a
   * `db.transaction` callback): only the query mutex is taken, as `tx.query` does.
   */
  queryInTransaction<T>(name: string, sql: string, params: readonly SqlParam[]): Promise<T[]> {
    return this.exclusive(() => this.run<T>(name, sql, params, false));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.db._runExclusiveQuery(async () => {
      // close() takes both mutexes before it tears the instance down: a call queued behind it must fail as
      // `query` does ("PGlite is closed"), not reach a released WASM module.
      await this.db._checkReady();
      return fn();
    });
  }

  private async run<T>(name: string, sql: string, params: readonly SqlParam[], syncToFs: boolean): Promise<T[]> {
    const prepared = await this.prepared(name, sql);
    const values = params.map((param, i) => {
      if (param === null) return null;
      const oid = prepared.paramTypes[i];
      const serialize = oid === undefined ? undefined : this.db.serializers[oid];
      return serialize ? serialize(param) : param.toString();
    });
    // One round: Sync in the same batch ends the implicit transaction (outside a block) and, after an error,
    // brings the session back to ReadyForQuery before the error is thrown, so the next statement runs normally.
    const messages = await this.exchange(
      [protocol.serialize.bind({ statement: name, values }), protocol.serialize.execute({}), protocol.serialize.sync()],
      sql,
      params,
    );
    // `query` syncs the file system after each statement outside a transaction; the transaction's COMMIT does it.
    if (syncToFs) await this.db.syncToFs();
    const described = prepared.rowDescription === undefined ? messages : [prepared.rowDescription, ...messages];
    return (parse.parseResults(described, this.db.parsers)[0]?.rows ?? []) as T[];
  }

  private async prepared(name: string, sql: string): Promise<Prepared> {
    const known = this.statements.get(name);
    if (known !== undefined) {
      if (known.sql !== sql) throw new PreparedStatementConflictError(name);
      return known;
    }
    // Parse fails (a syntax error, an aborted transaction) before the name exists: nothing is cached and the next
    // call tries again.
    const messages = await this.exchange(
      [protocol.serialize.parse({ name, text: sql }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()],
      sql,
      [],
    );
    const prepared: Prepared = {
      sql,
      paramTypes: parse.parseDescribeStatementResults(messages),
      rowDescription: messages.find((message) => message.name === 'rowDescription'),
    };
    this.statements.set(name, prepared);
    return prepared;
  }

  /** Sends the messages in one protocol call; a server error gets the fields `query` adds to it (query, params). */
  private async exchange(messages: readonly Uint8Array[], sql: string, params: readonly SqlParam[]): Promise<BackendMessage[]> {
    try {
      return await this.db.execProtocolStream(Buffer.concat(messages), { syncToFs: false });
    } catch (error) {
      // The same DatabaseError object `query` throws (its `code` is the SQLSTATE that sqlState() reads).
      if (error instanceof pgMessages.DatabaseError) Object.assign(error, { query: sql, params: [...params], queryOptions: undefined });
      throw error;
    }
  }
}
