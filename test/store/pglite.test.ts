import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/store/migrations.js';
import { DirectoryLockedError, MemoryStoreTemplate, openMemoryStore, openStore, StoreConnectionError } from '../../src/store/index.js';
import type { StoreOptions } from '../../src/store/index.js';
import { memoryImageCache, seedPgliteDir } from '../support/db-template.js';
import { registerStoreSuite } from './store-suite.js';
import { newOperation } from '../support/operations.js';

const scratch = await mkdtemp(join(tmpdir(), 'ktrdr-store-'));
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const pgliteOptions = (dir: string, extra: Partial<StoreOptions> = {}): StoreOptions => ({
  driver: 'pglite',
  dir,
  host: 'localhost',
  port: 5432,
  name: 'ktrdr',
  user: 'ktrdr',
  password: 'unused',
  echo: false,
  ...extra,
});

/**
 * A directory holding the migrated template database (initdb, tens of seconds on the busy 2-core machine, is paid
 * once per run): the tests that are not about creating a database start from one.
 */
async function seeded(name: string): Promise<string> {
  const dir = join(scratch, name);
  await seedPgliteDir(dir);
  return dir;
}

registerStoreSuite('pglite', { open: async () => openStore(pgliteOptions(await seeded('suite'))) });

describe('pglite driver', () => {
  it('submits within the limit in one statement (one connection: nothing comes between its count and its insert)', async () => {
    const statements: string[] = [];
    const store = await openStore(pgliteOptions(await seeded('one-statement-submit'), { echo: true, log: (sql) => void statements.push(sql) }));
    try {
      const submission = (operationId: string) => newOperation(operationId);
      statements.length = 0;
      expect((await store.operations.createWithinLimit(submission('first'), 2)).row?.operationId).toBe('first');
      expect(statements).toHaveLength(1);
      expect((await store.operations.createWithinLimit(submission('second'), 2)).row?.operationId).toBe('second');
      statements.length = 0;
      // Full (and nothing terminal to evict): the transaction says no.
      expect(await store.operations.createWithinLimit(submission('third'), 2)).toEqual({ row: null, evicted: [] });
      expect(statements.length).toBeGreaterThan(1);
      expect(await store.operations.count()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('creates a missing data directory and keeps the data across close and reopen', async () => {
    const dir = join(scratch, 'nested', 'does-not-exist-yet');
    const first = await openStore(pgliteOptions(dir));
    await first.operations.create({
      operationId: 'persisted',
      operationType: 'dummy',
      workerType: 'training',
      params: { steps: 3 },
      metadata: {},
      createdAt: new Date('2025-01-01T00:00:00Z'),
    });
    await first.operations.saveResults('persisted', { steps: 3 });
    await first.checkpoints.add({
      checkpointId: 'cp',
      operationId: 'persisted',
      units: 2,
      path: 'persisted/cp.json',
      sizeBytes: 10,
      reason: 'periodic',
      createdAt: new Date('2025-01-01T00:01:00Z'),
    });
    await first.workers.upsert({
      workerId: 'w1',
      workerType: 'training',
      endpointUrl: 'http://127.0.0.1:5003',
      status: 'available',
      currentOperationId: null,
      capabilities: {},
      metadata: {},
      registeredAt: new Date('2025-01-01T00:00:00Z'),
      lastHealthCheck: null,
      lastHealthyAt: null,
      healthCheckFailures: 0,
    });
    await first.close();

    const reopened = await openStore(pgliteOptions(dir));
    try {
      expect(await applyMigrations(reopened.client)).toEqual([]);
      expect((await reopened.operations.get('persisted'))?.params).toEqual({ steps: 3 });
      expect(await reopened.operations.getResults('persisted')).toEqual({ steps: 3 });
      expect((await reopened.checkpoints.latest('persisted'))?.units).toBe(2);
      expect((await reopened.workers.get('w1'))?.endpointUrl).toBe('http://127.0.0.1:5003');
    } finally {
      await reopened.close();
    }
  });

  it('fails with a StoreConnectionError naming the directory when it cannot be created', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'not a directory');
    const dir = join(file, 'db');
    const error: unknown = await openStore(pgliteOptions(dir)).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(StoreConnectionError);
    expect((error as StoreConnectionError).driver).toBe('pglite');
    expect((error as Error).message).toContain(`cannot open the PGlite database in ${dir}: `);
  });

  it('passes every statement to the log when echo is on', async () => {
    const logged: string[] = [];
    const store = await openStore(pgliteOptions(await seeded('echo'), { echo: true, log: (sql) => logged.push(sql) }));
    try {
      expect(logged.some((sql) => sql.startsWith('SELECT pg_advisory_xact_lock'))).toBe(true);
      logged.length = 0;
      await store.workers.get('nobody');
      expect(logged).toEqual(['SELECT worker_id, worker_type, endpoint_url, status, current_operation_id, capabilities, metadata, registered_at, last_health_check, last_healthy_at, health_check_failures FROM workers WHERE worker_id = $1']);
    } finally {
      await store.close();
    }
  });

  it('openMemoryStore opens an empty, migrated store that keeps nothing on disk', async () => {
    const store = await openMemoryStore();
    try {
      expect(store.driver).toBe('pglite');
      expect(await store.operations.count()).toBe(0);
      expect(await applyMigrations(store.client)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('MemoryStoreTemplate', () => {
  it('opens migrated stores that share nothing: the first writes, the ones from its image start empty', async () => {
    const template = new MemoryStoreTemplate(memoryImageCache());
    const first = await template.open();
    const operation = newOperation('op-template', { createdAt: new Date('2026-01-01T00:00:00Z') });
    await first.operations.create(operation);
    // Two at once: the second waits for the image rather than starting a fresh cluster of its own.
    const [second, third] = await Promise.all([template.open(), template.open()]);
    try {
      for (const store of [second, third]) {
        expect(await store.operations.count()).toBe(0);
        expect(await applyMigrations(store.client)).toEqual([]);
      }
      await second.operations.create(operation);
      expect(await third.operations.count()).toBe(0);
      expect(await first.operations.count()).toBe(1);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });

  it('hands a closed store to the next open emptied, sequences restarted, and the closed handle refuses statements', async () => {
    const template = new MemoryStoreTemplate(memoryImageCache());
    const created = new Date('2026-01-01T00:00:00Z');
    const first = await template.open();
    await first.operations.create(newOperation('op-a', { createdAt: created }));
    await first.operations.create(newOperation('op-b', { createdAt: created }));
    await first.close();
    await expect(first.operations.count()).rejects.toThrow(/closed/);
    const next = await template.open();
    try {
      expect(await next.operations.count()).toBe(0);
      expect(await applyMigrations(next.client)).toEqual([]);
      expect((await next.operations.create(newOperation('op-c', { createdAt: created }))).seq).toBe(1);
    } finally {
      await next.close();
      await template.dispose();
    }
  });
});

describe('pglite directory lock', () => {
  it('refuses a second store on an open directory naming the holder pid, and allows it once the first is closed', async () => {
    const dir = await seeded('locked');
    const first = await openStore(pgliteOptions(dir));
    const error: unknown = await openStore(pgliteOptions(dir)).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(DirectoryLockedError);
    expect((error as Error).message).toContain(`${dir} is in use by process ${process.pid}`);
    await first.close();
    const second = await openStore(pgliteOptions(dir));
    await second.close();
  });
});
