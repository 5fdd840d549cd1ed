/**
 * The store suite against a real PostgreSQL server (TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Each file run gets fresh, uniquely
 * named databases and drops them at the end. An unreachable server fails the
 * tests: skipping would hide that the PostgreSQL driver went untested.
 */
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../src/store/errors.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openStore, StoreConnectionError } from '../../src/store/index.js';
import type { StoreOptions } from '../../src/store/index.js';
import { registerStoreSuite } from './store-suite.js';
import { TEST_POSTGRES } from '../support/postgres.js';
import { newOperation } from '../support/operations.js';

const server = TEST_POSTGRES;
const runId = `${process.pid}_${Date.now().toString(36)}`;
const suiteDatabase = `ktrdr_store_test_${runId}`;
const migrationRaceDatabase = `ktrdr_store_race_${runId}`;
const limitRaceDatabase = `ktrdr_store_limit_${runId}`;
const submitDatabase = `ktrdr_store_submit_${runId}`;

const postgresOptions = (name: string, extra: Partial<StoreOptions> = {}): StoreOptions => ({
  driver: 'postgres',
  dir: './unused',
  host: server.host,
  port: server.port,
  name,
  user: server.user,
  password: server.password,
  echo: false,
  ...extra,
});

/** The server's maintenance database, to create and drop the test databases; an Error when unreachable. */
async function connectAdmin(): Promise<pg.Client | Error> {
  const client = new pg.Client({ ...server, database: 'postgres', connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    return new Error(
      `PostgreSQL is not reachable at ${server.host}:${server.port} as ${server.user} (${describeError(error)}). ` +
        'Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
        'or point TEST_POSTGRES_URL at a running server.',
    );
  }
}

const admin = await connectAdmin();

if (admin instanceof Error) {
  // A failing test rather than a skipped suite, so a missing server cannot pass unnoticed.
  it('PostgreSQL server is reachable', () => {
    throw admin;
  });
} else {
  beforeAll(async () => {
    for (const name of [suiteDatabase, migrationRaceDatabase, limitRaceDatabase, submitDatabase]) await admin.query(`CREATE DATABASE ${name}`);
  });

  afterAll(async () => {
    for (const name of [suiteDatabase, migrationRaceDatabase, limitRaceDatabase, submitDatabase]) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await admin.end();
  });

  registerStoreSuite('postgres', { open: () => openStore(postgresOptions(suiteDatabase)) });
  registerDriverTests();
}

/** A local port nothing listens on: bind an ephemeral one, then release it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function registerDriverTests(): void {
  describe('postgres driver', () => {
    it('several processes starting at once apply each migration exactly once', async () => {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(postgresOptions(migrationRaceDatabase))));
      try {
        const recorded = await stores[0]!.client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(recorded.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((migration) => migration.version));
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it('two backends submitting at once on one database keep KTRDR_OPS_MAX_OPERATIONS', async () => {
      const stores = await Promise.all([1, 2].map(() => openStore(postgresOptions(limitRaceDatabase))));
      try {
        const limit = 50;
        const submissions = Array.from({ length: 80 }, (_, i) =>
          stores[i % 2]!.operations.createWithinLimit(
            { operationId: `race-${i}`, operationType: 'dummy', workerType: 'training', params: {}, metadata: {}, createdAt: new Date() },
            limit,
          ),
        );
        const created = (await Promise.all(submissions)).filter((result) => result.row !== null);
        expect(created).toHaveLength(limit);
        expect(await stores[0]!.operations.count()).toBe(limit);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it('submits within the limit in one statement (ktrdr_submit_operation: the lock, then the counted insert)', async () => {
      const statements: string[] = [];
      const store = await openStore(postgresOptions(submitDatabase, { echo: true, log: (sql) => void statements.push(sql) }));
      try {
        const submission = (operationId: string) => newOperation(operationId, { params: { steps: 1 }, metadata: { origin: 'test' } });
        statements.length = 0;
        expect((await store.operations.createWithinLimit(submission('first'), 2)).row).toMatchObject({
          operationId: 'first',
          status: 'pending',
          params: { steps: 1 },
          metadata: { origin: 'test' },
          createdAt: new Date('2025-01-01T00:00:00Z'),
        });
        expect(statements).toHaveLength(1);
        expect(statements[0]).toContain('ktrdr_submit_operation');
        expect((await store.operations.createWithinLimit(submission('second'), 2)).row?.operationId).toBe('second');
        // A duplicate id is still a conflict, not a server error.
        await expect(store.operations.createWithinLimit(submission('second'), 5)).rejects.toMatchObject({ code: 'CONFLICT' });
        statements.length = 0;
        // Full (and nothing terminal to evict): the function inserts nothing and the evicting transaction says no.
        expect(await store.operations.createWithinLimit(submission('third'), 2)).toEqual({ row: null, evicted: [] });
        expect(statements.length).toBeGreaterThan(1);
        expect(await store.operations.count()).toBe(2);
      } finally {
        await store.close();
      }
    });

    it('an unreachable server is a StoreConnectionError naming host:port/database and user', async () => {
      const port = await closedPort();
      const options = { ...postgresOptions('ktrdr'), host: '127.0.0.1', port, user: 'ktrdr' };
      const error: unknown = await openStore(options).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(StoreConnectionError);
      expect((error as StoreConnectionError).driver).toBe('postgres');
      expect((error as Error).message).toMatch(new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/ktrdr as ktrdr: .+`));
      expect((error as Error).message).toContain('ECONNREFUSED');
    });

    it('a database that does not exist is a StoreConnectionError carrying the server’s reason', async () => {
      const error: unknown = await openStore(postgresOptions('ktrdr_no_such_database')).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(StoreConnectionError);
      expect((error as Error).message).toBe(
        `cannot connect to PostgreSQL at ${server.host}:${server.port}/ktrdr_no_such_database as ${server.user}: ` +
          'database "ktrdr_no_such_database" does not exist',
      );
    });

    it('passes every statement to the log when echo is on, inside transactions too', async () => {
      const logged: string[] = [];
      const store = await openStore(postgresOptions(suiteDatabase, { echo: true, log: (sql) => logged.push(sql) }));
      try {
        expect(logged.some((sql) => sql.startsWith('SELECT pg_advisory_xact_lock'))).toBe(true);
        logged.length = 0;
        await store.operations.count();
        expect(logged).toEqual(['SELECT count(*) AS n FROM operations']);
      } finally {
        await store.close();
      }
    });
  });
}
