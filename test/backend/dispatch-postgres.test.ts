/**
 * The dispatch suite over a real PostgreSQL server (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
 * two stores on one fresh, uniquely named database are two backends. Dropped at the end.
 */
import { openStore, type StoreOptions } from '../../src/store/index.js';
import { registerDispatchSuite } from './dispatch-store-suite.js';
import { onFreshDatabase, TEST_POSTGRES } from '../support/postgres.js';

await onFreshDatabase('ktrdr_dispatch_test', (database) => {
  const options = (log: (sql: string) => void): StoreOptions => ({
    driver: 'postgres',
    dir: './unused',
    ...TEST_POSTGRES,
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
});
