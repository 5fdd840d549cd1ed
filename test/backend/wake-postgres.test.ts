/**
 * Wake-ups between two backends on one real PostgreSQL database (TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/test; docs/architecture.md §5.4): an event wakes the dispatcher of the backend
 * where it happened and nobody else, since that backend's claim covers the whole database; the others are told only
 * when that one may not take the work, and of a submission left pending (an outcome there may have missed it). Each backend has its own store (its own pool and LISTEN connection), as two
 * processes would. The database is fresh and dropped at the end.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { onFreshDatabase, TEST_POSTGRES } from '../support/postgres.js';
import { fakeWorkers } from './support/fake-worker.js';
import { eventually, startTestBackend, type TestBackend } from './support/harness.js';

const server = TEST_POSTGRES;

/** A channel only this file uses: a NOTIFY on it, once heard, says every NOTIFY committed before it was heard too. */
const BARRIER = 'ktrdr_wake_test_barrier';
const isClaim = (sql: string) => sql.trimStart().startsWith('WITH ws AS');
const isNotify = (sql: string) => sql.includes('pg_notify');

interface Node {
  readonly test: TestBackend;
  /** Every statement this backend's store ran, in order. */
  readonly statements: string[];
}

await onFreshDatabase('ktrdr_wake_test', (database, admin) => {
  const worker = fakeWorkers();
  const nodes: Node[] = [];

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.test.stop()));
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
    const client = new pg.Client({ ...server, database });
    await client.connect();
    await client.query('TRUNCATE operations, operation_results, workers, checkpoints RESTART IDENTITY CASCADE').finally(() => client.end());
  });

  const backend = async (): Promise<Node> => {
    const statements: string[] = [];
    const store = await openStore({ driver: 'postgres', dir: './unused', ...server, name: database, echo: true, log: (sql) => void statements.push(sql) });
    const node = { test: await startTestBackend({ store }), statements };
    nodes.push(node);
    return node;
  };

  /** Resolves once `node` heard a NOTIFY sent after this call: every one committed before has been heard by then. */
  const barrier = async (node: Node): Promise<void> => {
    let off = () => {};
    const heard = new Promise<void>((resolve) => (off = node.test.store.notifications.subscribe(BARRIER, resolve)));
    await node.test.store.notifications.ready();
    // On the test's database: a NOTIFY reaches only the listeners of its own database.
    const client = new pg.Client({ ...server, database });
    await client.connect();
    await client.query(`NOTIFY ${BARRIER}`).finally(() => client.end());
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the barrier NOTIFY was not heard within 10 s')), 10_000)));
    await Promise.race([heard, deadline]).finally(() => {
      clearTimeout(timer);
      off();
    });
  };

  const submit = async (node: Node): Promise<string> => {
    const response = await node.test.call('POST', '/dummy/start', { steps: 5 });
    expect(response.status).toBe(200);
    return response.body.operation_id as string;
  };

  describe('dispatch wake-ups across backends on PostgreSQL', () => {
    it('a registration, an outcome and a submission its worker took wake nobody on the other backend: no NOTIFY, no claim there', async () => {
      const [a, b] = [await backend(), await backend()];
      const fake = await worker('w-1');
      // The backends' own first passes are behind them: only what follows counts.
      await Promise.all([a.test.backend.dispatcher.whenIdle(), b.test.backend.dispatcher.whenIdle()]);
      const claimsBefore = b.statements.filter(isClaim).length;

      expect((await a.test.register(fake)).status).toBe(200);
      const first = await submit(a);
      await eventually('the first operation started on the worker', async () => fake.starts.length === 1);
      // The start's reservation ends in a statement of its own, up to 20 ms later, holding the worker's row for a
      // moment: a submission meeting it would skip the worker (SKIP LOCKED) and be left pending, which does tell
      // the others. Settled first, so that what follows is the common case this test is about.
      await a.test.backend.dispatcher.whenIdle();
      fake.finish();
      // Its outcome frees the worker without a next one (none pending).
      const outcome = await a.test.as('worker', 'w-1').call('POST', `/operations/${first}/outcome`, {
        worker_id: 'w-1',
        status: 'completed',
        result_summary: {},
        completed_at: new Date(a.test.clock.now()).toISOString(),
      });
      expect(outcome.status).toBe(200);
      const second = await submit(a);
      await eventually('the second operation started on the worker', async () => fake.starts.length === 2);
      expect(fake.starts.map((start) => start.operation_id)).toEqual([first, second]);

      // Anything A notified has reached B once B hears a later NOTIFY; B's pass, if one was woken, is then done.
      await barrier(b);
      await b.test.backend.dispatcher.whenIdle();
      expect(b.statements.filter(isClaim).length).toBe(claimsBefore);
      expect(a.statements.filter(isNotify)).toEqual([]);
    });

    it('a submission left pending (every worker busy) tells the other backends too: an outcome there may have missed it', async () => {
      const [a, b] = [await backend(), await backend()];
      const fake = await worker('w-1');
      await Promise.all([a.test.backend.dispatcher.whenIdle(), b.test.backend.dispatcher.whenIdle()]);
      expect((await a.test.register(fake)).status).toBe(200);
      await submit(a);
      await eventually('the first operation started on the worker', async () => fake.starts.length === 1);
      const claimsBefore = b.statements.filter(isClaim).length;
      expect(a.statements.filter(isNotify)).toEqual([]);

      await submit(a); // the only worker is busy: pending
      await eventually('a NOTIFY sent by the backend the submission reached', async () => a.statements.some(isNotify));
      await barrier(b);
      await b.test.backend.dispatcher.whenIdle();
      expect(b.statements.filter(isClaim).length).toBeGreaterThan(claimsBefore);
    });

    it('when the dispatcher of the backend an operation reached fails, the others are woken and one of them starts it', async () => {
      const [a, b] = [await backend(), await backend()];
      const fake = await worker('w-1');
      await Promise.all([a.test.backend.dispatcher.whenIdle(), b.test.backend.dispatcher.whenIdle()]);
      // A's claims fail from now on, as with a broken connection pool: it cannot take the work.
      a.test.backend.registry.claimOrContend = () => Promise.reject(new Error('the claim failed'));
      expect((await a.test.register(fake)).status).toBe(200);
      const id = await submit(a);
      await eventually('the operation started on the worker, through the other backend', async () => fake.starts.length === 1);
      expect(fake.starts.map((start) => start.operation_id)).toEqual([id]);
      expect(a.statements.filter(isNotify).length).toBeGreaterThan(0);
    });
  });
});
