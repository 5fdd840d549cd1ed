/**
 * Opening the store. The options are the values of the Database settings group
 * (getDatabaseSettings()), so an entry point passes them straight in.
 */
import type { StoreDriver } from './errors.js';
import { LocalNotifications, PostgresNotifications } from './notifications.js';
import { openPgliteClient } from './pglite-client.js';
import { openPostgresClient } from './postgres-client.js';
import { echoing } from './sql-client.js';
import type { SqlClient, SqlLog } from './sql-client.js';
import { SqlStore } from './sql-store.js';

export interface StoreOptions {
  readonly driver: StoreDriver;
  /** PGlite data directory (created when missing). */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  /** PostgreSQL database name. */
  readonly name: string;
  readonly user: string;
  readonly password: string;
  /** Pass every SQL statement to `log` before running it. */
  readonly echo: boolean;
  /** Where echoed SQL goes; stderr when omitted. */
  readonly log?: SqlLog;
  /** Told when a PGlite directory lock left by a dead process is taken over. */
  readonly onStaleLock?: (message: string) => void;
}

const stderrLog: SqlLog = (sql) => void process.stderr.write(`SQL: ${sql}\n`);

async function openClient(options: StoreOptions): Promise<SqlClient> {
  switch (options.driver) {
    case 'pglite':
      return openPgliteClient({ dir: options.dir, ...(options.onStaleLock ? { onStaleLock: options.onStaleLock } : {}) });
    case 'postgres':
      return openPostgresClient(options);
  }
}

/** Applies migrations; closes the store when they fail, so a failed start leaves nothing open. */
async function migrated(store: SqlStore): Promise<SqlStore> {
  try {
    await store.migrate();
    await store.start();
    return store;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Opens the store and applies pending migrations.
 * Throws StoreConnectionError when the database cannot be reached or opened.
 */
export async function openStore(options: StoreOptions): Promise<SqlStore> {
  const opened = await openClient(options);
  const client = options.echo ? echoing(opened, options.log ?? stderrLog) : opened;
  const notifications = options.driver === 'postgres' ? new PostgresNotifications(options, client) : new LocalNotifications();
  return migrated(new SqlStore(options.driver, client, notifications));
}

/** A fresh, migrated, in-memory PGlite store (tests). */
export async function openMemoryStore(): Promise<SqlStore> {
  return migrated(new SqlStore('pglite', await openPgliteClient()));
}

/**
 * Fresh, migrated, in-memory PGlite stores, each after the first started from an image of the first taken right
 * after its migrations: the same empty schema at a third of the cost (tests open dozens). Stores share nothing.
 */
export class MemoryStoreTemplate {
  private image: Promise<Blob> | null = null;

  async open(): Promise<SqlStore> {
    if (this.image) return migrated(new SqlStore('pglite', await openPgliteClient({ image: await this.image })));
    const first = (async () => {
      const client = await openPgliteClient();
      const store = await migrated(new SqlStore('pglite', client));
      return { store, image: await client.image() };
    })();
    this.image = first.then((opened) => opened.image);
    // A failed first open must not leave every later one failing with it.
    this.image.catch(() => (this.image = null));
    return (await first).store;
  }
}

export { DirectoryLockedError } from './directory-lock.js';
export { StoreConnectionError } from './errors.js';
export type { StoreDriver } from './errors.js';
export { SqlStore } from './sql-store.js';
export { LocalNotifications, PostgresNotifications } from './notifications.js';
export type { Notifications } from './notifications.js';
export type * from './types.js';
