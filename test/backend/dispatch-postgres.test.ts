/**
 * The dispatch suite over a real PostgreSQL server (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
 * two stores on one fresh, uniquely named database are two backends. Dropped at the end.
 */
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import { openStore, type StoreOptions } from '../../src/store/index.js';
import { registerDispatchSuite } from './dispatch-store-suite.js';
import { TEST_POSTGRES } from '../support/postgres.js';

const server = TEST_POSTGRES;
const database = `ktrdr_dispatch_test_${process.pid}_${Date.now().toString(36)}`;

const admin = new pg.Client({ ...server, database: 'postgres', connectionTimeoutMillis: 5_000 });
const reachable = await admin.connect().then(
  () => null,
  (error: unknown) => new Error(`PostgreSQL is not reachable at ${server.host}:${server.port} as ${server.user}: ${String(error)}`),
);

if (reachable) {
  // A failing test rather than a skipped suite, so a missing server cannot pass unnoticed.
  it('PostgreSQL server is reachable', () => {
    throw reachable;
  });
} else {
  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  const options = (log: (sql: string) => void): StoreOptions => ({
    driver: 'postgres',
    dir: './unused',
    ...server,
    name: database,
    echo: true,
    log,
  });

  registerDispatchSuite('postgres', {
    separate: true,
    async open(log) {
      return [await openStore(options(log)), await openStore(options(log))];
    },
  });
}
