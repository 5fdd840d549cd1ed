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
