/**
 * Named statements on PGlite (src/store/pglite-prepared.ts): prepared once per database instance, with the same
 * rows, the same errors and the same serialisation as `PGlite.query`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlState, FOREIGN_KEY_VIOLATION, PreparedStatementConflictError, UNIQUE_VIOLATION } from '../../src/store/errors.js';
import { MemoryStoreTemplate, SqlStore } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/migrations.js';
import { openPgliteClient, type PgliteClient } from '../../src/store/pglite-client.js';
import type { SqlClient, SqlExecutor } from '../../src/store/sql-client.js';
import { memoryImageCache } from '../support/db-template.js';
import { newOperation } from '../support/operations.js';

let image: Blob;
const clients: PgliteClient[] = [];

/** A migrated in-memory database of its own, from the image the test runs share. */
async function open(): Promise<PgliteClient> {
  const client = await openPgliteClient({ image });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  // The template saves the migrated image to the shared cache on its first open (built by initdb when missing).
  const template = new MemoryStoreTemplate(memoryImageCache());
  const store = await template.open();
  await store.close();
  await template.dispose();
  const cached = await memoryImageCache().load();
  if (cached) {
    image = cached;
  } else {
    const fresh = await openPgliteClient();
    await applyMigrations(fresh);
    image = await fresh.image();
    await fresh.close();
  }
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
});

const SCRATCH_TABLE = `CREATE TABLE scratch (
  id text PRIMARY KEY,
  n int8,
  doc jsonb,
  at timestamptz,
  parent text REFERENCES scratch (id)
)`;

const INSERT = 'INSERT INTO scratch (id, n, doc, at, parent) VALUES ($1, $2, $3::text::jsonb, $4::timestamptz, $5) RETURNING *';

/** How many times PostgreSQL ran the statement prepared under `name` (null: nothing is prepared under it). */
async function executions(sql: SqlExecutor, name: string): Promise<number | null> {
  const [row] = await sql.query<{ runs: number }>(
    'SELECT (generic_plans + custom_plans)::int4 AS runs FROM pg_prepared_statements WHERE name = $1 AND NOT from_sql',
    [name],
  );
  return row?.runs ?? null;
}

describe('named statements on PGlite', () => {
  it('give the rows PGlite.query gives: jsonb, timestamptz, int8, numeric, arrays, booleans and NULLs', async () => {
    const client = await open();
    const statements: { sql: string; params: (string | number | boolean | null)[] }[] = [
      {
        sql: `SELECT $1::text AS t, $2::int8 AS big, $3::text::jsonb AS doc, $4::timestamptz AS at, $5::bool AS yes,
                NULL::text AS nothing, NULL::jsonb AS no_doc, NULL::timestamptz AS no_at, ARRAY[1, 2, 3]::int4[] AS ints,
                ARRAY['a', NULL, 'c"d']::text[] AS texts, 12.50::numeric AS num, 1.5::float8 AS f, 9007199254740993::int8 AS huge,
                '{"a": [1, {"b": null}], "c": "é"}'::jsonb AS nested, interval '1 day 2 hours' AS span`,
        params: ['x', 42, JSON.stringify({ k: [1, 2], s: 'v' }), '2025-01-02T03:04:05.678Z', true],
      },
      // Types PostgreSQL infers from the statement, not from casts.
      { sql: 'SELECT $1 = $2 AS same, $3 + 1 AS next, $4 AS untyped', params: ['a', 'a', 41, 'as text'] },
      { sql: 'SELECT $1::int4 AS i, $2::text AS nothing', params: [7, null] },
      { sql: 'SELECT 1 AS n WHERE false', params: [] },
      { sql: 'SELECT g AS n, g::text AS s FROM generate_series(1, 5) AS g', params: [] },
    ];
    for (const [i, { sql, params }] of statements.entries()) {
      const plain = await client.query(sql, params);
      const prepared = await client.query(sql, params, `test_rows_${i}`);
      // Twice: the second call runs the cached statement (and its cached row description).
      const again = await client.query(sql, params, `test_rows_${i}`);
      expect(prepared).toEqual(plain);
      expect(again).toEqual(plain);
    }
    const [row] = await client.query<Record<string, unknown>>(statements[0]!.sql, statements[0]!.params, 'test_rows_0');
    expect(row).toMatchObject({ big: 42, doc: { k: [1, 2], s: 'v' }, yes: true, nothing: null, no_doc: null, no_at: null, ints: [1, 2, 3] });
    expect(row?.at).toBeInstanceOf(Date);
    expect((row?.at as Date).toISOString()).toBe('2025-01-02T03:04:05.678Z');
  });

  it('give the rows of statements that change data, and none for one without RETURNING', async () => {
    const client = await open();
    await client.query(SCRATCH_TABLE);
    const values = ['a', 5, JSON.stringify({ x: 1 }), '2025-01-01T00:00:00Z', null];
    expect(await client.query(INSERT, values, 'test_insert')).toEqual([
      { id: 'a', n: 5, doc: { x: 1 }, at: new Date('2025-01-01T00:00:00Z'), parent: null },
    ]);
    expect(await client.query('UPDATE scratch SET n = n + $2 WHERE id = $1', ['a', 1], 'test_update')).toEqual([]);
    expect(await client.query('SELECT n FROM scratch WHERE id = $1', ['a'], 'test_read')).toEqual([{ n: 6 }]);
  });

  it('give the dispatch statements’ results the unprepared path gives', async () => {
    // Two databases from one image, the same calls: one store's client drops the names.
    const [named, plainClient] = [await open(), await open()];
    const unnamed: SqlClient = {
      query: (sql, params) => plainClient.query(sql, params),
      transaction: (fn) => plainClient.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) })),
      close: () => plainClient.close(),
    };
    const run = async (store: SqlStore) => {
      const now = new Date('2025-01-01T00:00:00Z');
      const results: unknown[] = [];
      for (const workerId of ['w-0', 'w-1']) {
        results.push(
          await store.workers.register({ workerId, workerType: 'training', endpointUrl: `http://127.0.0.1:1/${workerId}`, currentOperationId: null, capabilities: {}, metadata: {}, now, movedFrom: null }),
        );
      }
      const submission = (operationId: string) => newOperation(operationId, { params: { steps: 3 }, metadata: { tag: 'x' }, createdAt: now });
      for (let i = 0; i < 4; i++) results.push(await store.operations.createWithinLimit(submission(`op-${i}`), 100, now));
      results.push(await store.workers.claim(['training'], 5, now, []));
      results.push(await store.operations.get('op-0'));
      results.push(
        await store.operations.recordOutcome({ operationId: 'op-0', workerId: 'w-0', status: 'completed', errorMessage: null, resultSummary: { ok: true }, results: { pnl: 1.5 }, progress: { percentage: 90, current_step: 'last', steps_completed: 9, steps_total: 10, items_processed: 9, items_total: null, context: {} }, completedAt: now, orphanKey: 'orphaned_worker_id', takeNext: true, now }),
      );
      results.push(await store.operations.get('op-0'));
      results.push(await store.operations.get('op-missing'));
      return results;
    };
    const prepared = await run(new SqlStore('pglite', named));
    expect(prepared).toEqual(await run(new SqlStore('pglite', unnamed)));
    // The statements did run prepared.
    expect(await executions(named, 'ktrdr_outcome')).toBe(1);
    expect(await executions(named, 'ktrdr_submit_and_claim')).toBe(4);
  });

  it('are prepared once and reused by every later call', async () => {
    const client = await open();
    for (let i = 0; i < 30; i++) expect(await client.query('SELECT $1::int4 + 1 AS n', [i], 'test_reuse')).toEqual([{ n: i + 1 }]);
    const rows = await client.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name = 'test_reuse'`);
    expect(rows).toHaveLength(1);
    expect(await executions(client, 'test_reuse')).toBe(30);
  });

  it('refuse a name already prepared with other SQL', async () => {
    const client = await open();
    await client.query('SELECT 1 AS n', [], 'test_conflict');
    await expect(client.query('SELECT 2 AS n', [], 'test_conflict')).rejects.toBeInstanceOf(PreparedStatementConflictError);
    expect(await client.query('SELECT 1 AS n', [], 'test_conflict')).toEqual([{ n: 1 }]);
  });

  it('fail with the SQLSTATE PGlite.query fails with, and leave the session usable', async () => {
    const client = await open();
    await client.query(SCRATCH_TABLE);
    const values = (id: string, parent: string | null) => [id, 1, '{}', '2025-01-01T00:00:00Z', parent];
    await client.query(INSERT, values('a', null), 'test_insert');

    const plainError = await client.query(INSERT, values('a', null)).catch((error: unknown) => error);
    const preparedError = await client.query(INSERT, values('a', null), 'test_insert').catch((error: unknown) => error);
    expect(sqlState(preparedError)).toBe(UNIQUE_VIOLATION);
    expect(preparedError).toBeInstanceOf((plainError as object).constructor);
    expect((preparedError as Error).message).toBe((plainError as Error).message);
    expect(preparedError).toMatchObject({ constraint: 'scratch_pkey', table: 'scratch', query: INSERT });
    // The session is back to idle: the next statements, prepared and not, run.
    expect(await client.query('SELECT count(*)::int4 AS n FROM scratch')).toEqual([{ n: 1 }]);
    expect(await client.query(INSERT, values('b', 'a'), 'test_insert')).toHaveLength(1);

    const foreignKey = await client.query(INSERT, values('c', 'missing'), 'test_insert').catch((error: unknown) => error);
    expect(sqlState(foreignKey)).toBe(FOREIGN_KEY_VIOLATION);
    expect(await client.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'a' }, { id: 'b' }]);

    // A statement that does not parse is not kept: the name is free for a correct one.
    const syntax = await client.query('SELEC 1', [], 'test_broken').catch((error: unknown) => error);
    expect(sqlState(syntax)).toBe('42601');
    expect(await client.query('SELECT 1 AS n', [], 'test_broken')).toEqual([{ n: 1 }]);
    // A run-time error in the statement itself (division by zero), then the same statement succeeding.
    expect(sqlState(await client.query('SELECT 1 / $1::int4 AS q', [0], 'test_div').catch((error: unknown) => error))).toBe('22012');
    expect(await client.query('SELECT 1 / $1::int4 AS q', [1], 'test_div')).toEqual([{ q: 1 }]);
  });

  it('run inside transactions, prepared there or before, and outlive a rollback', async () => {
    const client = await open();
    await client.query(SCRATCH_TABLE);
    const values = (id: string) => [id, 1, '{}', '2025-01-01T00:00:00Z', null];
    // Prepared inside the transaction, used outside after it.
    await client.transaction(async (tx) => {
      await tx.query(INSERT, values('in-tx'), 'test_insert');
      expect(await tx.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'in-tx' }]);
    });
    expect(await client.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'in-tx' }]);
    // Prepared outside, used inside a transaction that rolls back: its rows go, the statement stays.
    await expect(
      client.transaction(async (tx) => {
        await tx.query(INSERT, values('rolled-back'), 'test_insert');
        expect(await tx.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'in-tx' }, { id: 'rolled-back' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // An error of a prepared statement inside a transaction: its sqlState, the transaction rolled back.
    const failed = await client
      .transaction(async (tx) => {
        await tx.query(INSERT, values('lost'), 'test_insert');
        await tx.query(INSERT, values('in-tx'), 'test_insert');
      })
      .catch((error: unknown) => error);
    expect(sqlState(failed)).toBe(UNIQUE_VIOLATION);
    expect(await client.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'in-tx' }]);
    expect(await client.query(INSERT, values('after'), 'test_insert')).toHaveLength(1);
    expect(await executions(client, 'test_insert')).toBe(5);
  });

  it('wait for an open transaction instead of running inside it', async () => {
    const client = await open();
    await client.query(SCRATCH_TABLE);
    await client.query(INSERT, ['warm', 1, '{}', '2025-01-01T00:00:00Z', null], 'test_insert');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedInTx = new Promise<void>((resolve) => (inserted = resolve));
    const order: string[] = [];
    const transaction = client
      .transaction(async (tx) => {
        await tx.query(INSERT, ['uncommitted', 1, '{}', '2025-01-01T00:00:00Z', null], 'test_insert');
        inserted();
        await gate;
        order.push('transaction');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await insertedInTx;
    // Run inside the transaction, this would see its uncommitted row (the same session).
    const outside = client.query<{ n: number }>('SELECT count(*)::int4 AS n FROM scratch', [], 'test_count').then((rows) => {
      order.push('outside');
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([]);
    release();
    await transaction;
    expect(await outside).toEqual([{ n: 1 }]);
    expect(order).toEqual(['transaction', 'outside']);
  });

  it('concurrent first calls of one name prepare it once', async () => {
    const client = await open();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.query('SELECT $1::int4 AS n', [i], 'test_concurrent')));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => [{ n: i }]));
    expect(await executions(client, 'test_concurrent')).toBe(10);
  });

  it('are prepared again in a database opened from an image, and refused once the database is closed', async () => {
    const client = await open();
    await client.query(SCRATCH_TABLE);
    await client.query(INSERT, ['a', 1, '{}', '2025-01-01T00:00:00Z', null], 'test_insert');
    const copy = await openPgliteClient({ image: await client.image() });
    clients.push(copy);
    expect(await executions(copy, 'test_insert')).toBeNull();
    expect(await copy.query(INSERT, ['b', 2, '{}', '2025-01-01T00:00:00Z', null], 'test_insert')).toHaveLength(1);
    expect(await copy.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).toEqual([{ id: 'a' }, { id: 'b' }]);
    await copy.close();
    await expect(copy.query('SELECT id FROM scratch ORDER BY id', [], 'test_ids')).rejects.toThrow('PGlite is closed');
    // The original is untouched and keeps its statement.
    expect(await executions(client, 'test_insert')).toBe(1);
  });
});
