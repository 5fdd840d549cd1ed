/** The dispatch suite over one in-memory PGlite store, shared by two registries and dispatchers (one process). */
import { openPgliteClient } from '../../src/store/pglite-client.js';
import { echoing } from '../../src/store/sql-client.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { memoryImageCache } from '../support/db-template.js';
import { registerDispatchSuite } from './dispatch-store-suite.js';

registerDispatchSuite('pglite', {
  separate: false,
  async open(log) {
    // From the migrated image the other test files cached, when there is one: initdb is most of an open's cost.
    const image = await memoryImageCache().load();
    const store = new SqlStore('pglite', echoing(await openPgliteClient(image ? { image } : {}), log));
    await store.migrate();
    await store.start();
    return [store, store];
  },
});
