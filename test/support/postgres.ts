import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';

/**
 * The PostgreSQL server the tests use: TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test.
 * Each test file creates (and drops) databases of its own on it.
 */
const url = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

/** Connection options of the server, without a database. */
export const TEST_POSTGRES = {
  host: url.hostname,
  port: Number(url.port || 5432),
  user: decodeURIComponent(url.username || 'postgres'),
  password: decodeURIComponent(url.password),
};

/** The database the URL names, which exists before any test runs. */
export const TEST_POSTGRES_DATABASE = url.pathname.slice(1) || 'test';

/**
 * A fresh, uniquely named database (`prefix`, the pid and the time) on the test server for one test file: created
 * before its tests and dropped, connections and all, after them. `register` declares the file's tests, given the
 * database's name and a client connected to the server's `postgres` database. When the server cannot be reached it
 * declares one failing test instead, so that a missing server cannot pass unnoticed.
 */
export async function onFreshDatabase(prefix: string, register: (database: string, admin: pg.Client) => void): Promise<void> {
  const database = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ ...TEST_POSTGRES, database: 'postgres', connectionTimeoutMillis: 5_000 });
  const unreachable = await admin.connect().then(
    () => null,
    (error: unknown) => new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES.host}:${TEST_POSTGRES.port} as ${TEST_POSTGRES.user}: ${String(error)}`),
  );
  if (unreachable) {
    it('PostgreSQL server is reachable', () => {
      throw unreachable;
    });
    return;
  }
  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });
  register(database, admin);
}
