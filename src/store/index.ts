/**
 * Opening the store. The options are the values of the Database settings group
 * (getDatabaseSettings()), so an entry point passes them straight in.
 */
import type { StoreDriver } from './errors.js';
import { applyMigrations } from './migrations.js';
import { LocalNotifications, PostgresNotifications } from './notifications.js';
import { openPgliteClient, type PgliteClient } from './pglite-client.js';
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
 * Fresh, migrated, in-memory PGlite stores for tests, which open hundreds. The first is migrated and imaged; later
 * ones start from that image (a third of initdb's cost). A store closed by its test is emptied (every table
 * truncated, every sequence restarted) and handed to the next open instead of being shut down, which makes most opens
 * free: restoring the image still starts PostgreSQL, 1–3 s on the busy 2-core machine. Stores open at the same time
 * never share a database, and a closed store refuses further statements, so a test holding on to one cannot see the
 * next test's rows.
 */
export interface MemoryImageCache {
  /** The image saved earlier for this schema, or null. */
  load(): Promise<Blob | null>;
  save(image: Blob): Promise<void>;
}

export class MemoryStoreTemplate {
  private image: Promise<Blob> | null = null;
  private readonly idle: PgliteClient[] = [];

  /** `cache` keeps the migrated image between processes (each test file is one), skipping initdb after the first. */
  constructor(private readonly cache?: MemoryImageCache) {}

  async open(): Promise<SqlStore> {
    const reused = this.idle.pop();
    if (reused) return new SqlStore('pglite', this.recycling(reused));
    if (this.image) return migrated(new SqlStore('pglite', this.recycling(await openPgliteClient({ image: await this.image }))));
    const first = (async () => {
      const cached = await this.cache?.load().catch(() => null);
      if (cached) return { client: await openPgliteClient({ image: cached }), image: cached };
      const client = await openPgliteClient();
      await applyMigrations(client);
      const image = await client.image();
      await this.cache?.save(image).catch(() => undefined);
      return { client, image };
    })();
    this.image = first.then((opened) => opened.image);
    // A failed first open must not leave every later one failing with it.
    this.image.catch(() => (this.image = null));
    // Migrated again: a cached image from before a new migration gets it (the cache's key should prevent that).
    return migrated(new SqlStore('pglite', this.recycling((await first).client)));
  }

  /** Shuts down the idle databases (a test file's afterAll; the process exit does it otherwise). */
  async dispose(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((client) => client.close()));
  }

  private recycling(client: PgliteClient): SqlClient {
    let closed = false;
    const open = (): void => {
      if (closed) throw new Error('this test store is closed; open another with MemoryStoreTemplate.open()');
    };
    return {
      query: (sql, params, name) => {
        open();
        return client.query(sql, params, name);
      },
      transaction: (fn) => {
        open();
        return client.transaction(fn);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await emptyDatabase(client);
          this.idle.push(client);
        } catch {
          await client.close();
        }
      },
    };
  }
}

/** Every table but the migrations' record truncated, every sequence back to its start. */
async function emptyDatabase(client: SqlClient): Promise<void> {
  const tables = await client.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
  );
  if (tables.length > 0) await client.query(`TRUNCATE ${tables.map((table) => table.name).join(', ')} RESTART IDENTITY CASCADE`);
  const sequences = await client.query<{ name: string }>(`SELECT quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'`);
  for (const sequence of sequences) await client.query(`ALTER SEQUENCE ${sequence.name} RESTART`);
}

export { DirectoryLockedError } from './directory-lock.js';
export { StoreConnectionError } from './errors.js';
export type { StoreDriver } from './errors.js';
export { SqlStore } from './sql-store.js';
export { LocalNotifications, PostgresNotifications } from './notifications.js';
export type { Notifications } from './notifications.js';
export type * from './types.js';
