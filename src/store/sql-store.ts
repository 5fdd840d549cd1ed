/** The Store over one SqlClient: the same repositories and migrations for either driver. */
import { SqlCheckpointRepository } from './checkpoint-repository.js';
import type { StoreDriver } from './errors.js';
import { applyMigrations } from './migrations.js';
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
  ) {
    this.operations = new SqlOperationRepository(client);
    this.workers = new SqlWorkerRepository(client);
    this.checkpoints = new SqlCheckpointRepository(client);
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.client);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
