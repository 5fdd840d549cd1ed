/** The Store over one SqlClient: the same repositories and migrations for either driver. */
import { SqlCheckpointRepository } from './checkpoint-repository.js';
import type { StoreDriver } from './errors.js';
import { applyMigrations } from './migrations.js';
import { LocalNotifications, type Notifications } from './notifications.js';
import { SqlOperationRepository } from './operation-repository.js';
import type { SqlClient } from './sql-client.js';
import type { Store } from './types.js';
import { SqlWorkerRepository } from './worker-repository.js';

export class SqlStore implements Store {
  readonly operations: SqlOperationRepository;
  readonly workers: SqlWorkerRepository;
  readonly checkpoints: SqlCheckpointRepository;

  constructor(
    readonly driver: StoreDriver,
    /** Exposed for tests and diagnostics; services use the repositories. */
    readonly client: SqlClient,
    /** In-process by default (PGlite: one process); openStore gives PostgreSQL its LISTEN/NOTIFY ones. */
    readonly notifications: Notifications = new LocalNotifications(),
  ) {
    this.operations = new SqlOperationRepository(client, driver === 'pglite');
    this.workers = new SqlWorkerRepository(client);
    this.checkpoints = new SqlCheckpointRepository(client);
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.client);
  }

  /** Starts the notifications (PostgreSQL: connects the listening connection). */
  async start(): Promise<void> {
    await this.notifications.start();
  }

  async close(): Promise<void> {
    try {
      await this.notifications.stop();
    } finally {
      await this.client.close();
    }
  }
}
