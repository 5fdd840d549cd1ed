/**
 * One behavioural suite for the Store, registered once per driver so PGlite
 * and PostgreSQL are held to exactly the same contract.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyProgress } from '../../src/api/contract.js';
import type { OperationStatus, WorkerType } from '../../src/api/contract.js';
import { KtrdrError } from '../../src/common/errors.js';
import { applyMigrations, MIGRATIONS } from '../../src/store/migrations.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { CheckpointRow, NewOperation, OperationRow, WorkerRow } from '../../src/store/types.js';
import { newOperation as newDummyOperation } from '../support/operations.js';

export interface StoreHarness {
  /** Opens a migrated store; the suite empties it before each test and closes it at the end. */
  open(): Promise<SqlStore>;
}

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

const newOperation = (operationId: string, overrides: Partial<NewOperation> = {}): NewOperation =>
  newDummyOperation(operationId, {
    params: { steps: 10, step_delay_ms: 5, fail_at_step: null, worker_type: 'training' },
    metadata: { submitted_by: 'test' },
    createdAt: T0,
    ...overrides,
  });

const newWorker = (workerId: string, overrides: Partial<WorkerRow> = {}): WorkerRow => ({
  workerId,
  workerType: 'training',
  endpointUrl: `http://127.0.0.1:5000/${workerId}`,
  status: 'available',
  currentOperationId: null,
  capabilities: { gpu: false, cores: 8 },
  metadata: { host: 'box' },
  registeredAt: T0,
  lastHealthCheck: null,
  lastHealthyAt: null,
  healthCheckFailures: 0,
  ...overrides,
});

const newCheckpoint = (checkpointId: string, operationId: string, overrides: Partial<CheckpointRow> = {}): CheckpointRow => ({
  checkpointId,
  operationId,
  units: 1,
  path: `${operationId}/${checkpointId}.json`,
  sizeBytes: 128,
  reason: 'periodic',
  createdAt: T0,
  ...overrides,
});

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  const error: unknown = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(KtrdrError);
  return (error as KtrdrError).code;
};

export function registerStoreSuite(label: string, harness: StoreHarness): void {
  describe(`store (${label})`, () => {
    let store: SqlStore;

    beforeAll(async () => {
      store = await harness.open();
    });

    afterAll(async () => {
      await store?.close();
    });

    beforeEach(async () => {
      await store.client.query('TRUNCATE operations, operation_results, workers, checkpoints RESTART IDENTITY CASCADE');
    });

    /** Creates an operation and moves it to `status` (with a completion time for terminal ones). */
    const operationIn = async (operationId: string, status: OperationStatus, options: { createdAt?: Date; completedAt?: Date; workerType?: WorkerType } = {}): Promise<OperationRow> => {
      const created = await store.operations.create(
        newOperation(operationId, { createdAt: options.createdAt ?? T0, workerType: options.workerType ?? 'training' }),
      );
      if (status === 'pending') return created;
      const terminal = status !== 'running';
      const updated = await store.operations.update(operationId, {
        status,
        startedAt: created.createdAt,
        completedAt: terminal ? (options.completedAt ?? created.createdAt) : null,
      });
      return updated!;
    };

    it('reports its driver', () => {
      expect(store.driver).toBe(label);
    });

    describe('operations', () => {
      it('create stores a pending operation with empty progress and returns it as get does', async () => {
        const created = await store.operations.create(newOperation('op-1', { createdAt: at(1) }));
        expect(created).toMatchObject({
          operationId: 'op-1',
          operationType: 'dummy',
          workerType: 'training',
          status: 'pending',
          params: { steps: 10, step_delay_ms: 5, fail_at_step: null, worker_type: 'training' },
          metadata: { submitted_by: 'test' },
          progress: emptyProgress(),
          startedAt: null,
          completedAt: null,
          errorMessage: null,
          resultSummary: null,
          workerId: null,
        });
        expect(created.createdAt).toEqual(at(1));
        expect(typeof created.seq).toBe('number');
        expect(await store.operations.get('op-1')).toEqual(created);
      });

      it('get answers null for an unknown id', async () => {
        expect(await store.operations.get('missing')).toBeNull();
      });

      it('create rejects a duplicate id with CONFLICT', async () => {
        await store.operations.create(newOperation('op-1'));
        expect(await codeOf(store.operations.create(newOperation('op-1')))).toBe('CONFLICT');
      });

      it('seq grows with insertion order', async () => {
        const first = await store.operations.create(newOperation('a', { createdAt: at(5) }));
        const second = await store.operations.create(newOperation('b', { createdAt: at(1) }));
        expect(second.seq).toBeGreaterThan(first.seq);
      });

      it('list returns newest first, filters by status and type, and counts every match beyond the limit', async () => {
        await operationIn('old', 'completed', { createdAt: at(1) });
        await operationIn('mid', 'pending', { createdAt: at(2) });
        await store.operations.create(newOperation('new', { createdAt: at(3), operationType: 'training' }));

        const all = await store.operations.list();
        expect(all.rows.map((row) => row.operationId)).toEqual(['new', 'mid', 'old']);
        expect(all.total).toBe(3);

        const page = await store.operations.list({ limit: 2 });
        expect(page.rows.map((row) => row.operationId)).toEqual(['new', 'mid']);
        expect(page.total).toBe(3);

        const pending = await store.operations.list({ status: 'pending' });
        expect(pending.rows.map((row) => row.operationId)).toEqual(['new', 'mid']);
        expect(pending.total).toBe(2);

        const dummyPending = await store.operations.list({ status: 'pending', operationType: 'dummy', limit: 5 });
        expect(dummyPending.rows.map((row) => row.operationId)).toEqual(['mid']);
        expect(dummyPending.total).toBe(1);
      });

      it('list of an empty store is empty with total 0', async () => {
        expect(await store.operations.list({ status: 'failed' })).toEqual({ rows: [], total: 0 });
      });

      it('countByStatus reports every status, zero when absent', async () => {
        expect(await store.operations.countByStatus()).toEqual({ pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
        await operationIn('p1', 'pending');
        await operationIn('p2', 'pending');
        await operationIn('r1', 'running');
        await operationIn('f1', 'failed');
        expect(await store.operations.countByStatus()).toEqual({ pending: 2, running: 1, completed: 0, failed: 1, cancelled: 0 });
      });

      it('count counts every operation', async () => {
        expect(await store.operations.count()).toBe(0);
        await operationIn('p1', 'pending');
        await operationIn('c1', 'completed');
        expect(await store.operations.count()).toBe(2);
      });

      it('update applies every patchable field and returns the new row', async () => {
        await store.operations.create(newOperation('op-1'));
        const progress = { ...emptyProgress(), percentage: 50, current_step: 'step 5', steps_completed: 5, steps_total: 10, context: { loss: 0.25 } };
        const updated = await store.operations.update('op-1', {
          status: 'completed',
          metadata: { note: 'done', nested: { list: [1, 2, 3] } },
          progress,
          startedAt: at(1),
          completedAt: at(2),
          errorMessage: 'none really',
          resultSummary: { steps: 10, resumed_from_step: null },
          workerId: 'worker-1',
        });
        expect(updated).toMatchObject({
          operationId: 'op-1',
          status: 'completed',
          metadata: { note: 'done', nested: { list: [1, 2, 3] } },
          progress,
          startedAt: at(1),
          completedAt: at(2),
          errorMessage: 'none really',
          resultSummary: { steps: 10, resumed_from_step: null },
          workerId: 'worker-1',
        });
        expect(await store.operations.get('op-1')).toEqual(updated);
      });

      it('update leaves fields absent from the patch untouched and can set nullable fields back to null', async () => {
        await store.operations.create(newOperation('op-1'));
        await store.operations.update('op-1', { status: 'running', workerId: 'w1', startedAt: at(1), errorMessage: 'x', resultSummary: { a: 1 } });
        const updated = await store.operations.update('op-1', { status: 'pending', workerId: null, errorMessage: null, resultSummary: null });
        expect(updated).toMatchObject({ status: 'pending', workerId: null, errorMessage: null, resultSummary: null, startedAt: at(1) });
        expect(updated!.metadata).toEqual({ submitted_by: 'test' });
      });

      it('update answers null for an unknown id', async () => {
        expect(await store.operations.update('missing', { status: 'running' })).toBeNull();
      });

      it('update with fromStatuses applies only from those statuses (compare-and-set)', async () => {
        await store.operations.create(newOperation('op-1'));
        expect(await store.operations.update('op-1', { status: 'completed' }, ['running'])).toBeNull();
        expect((await store.operations.get('op-1'))!.status).toBe('pending');

        const running = await store.operations.update('op-1', { status: 'running', workerId: 'w1' }, ['pending']);
        expect(running).toMatchObject({ status: 'running', workerId: 'w1' });
        expect(await store.operations.update('op-1', { status: 'running', workerId: 'w2' }, ['pending'])).toBeNull();
        expect((await store.operations.get('op-1'))!.workerId).toBe('w1');

        expect(await store.operations.update('op-1', { status: 'cancelled' }, ['pending', 'running'])).toMatchObject({ status: 'cancelled' });
      });

      it('update with an empty patch checks the status without changing anything; no statuses never applies', async () => {
        const created = await store.operations.create(newOperation('op-1'));
        expect(await store.operations.update('op-1', {}, ['pending'])).toEqual(created);
        expect(await store.operations.update('op-1', {}, ['running'])).toBeNull();
        expect(await store.operations.update('op-1', { status: 'running' }, [])).toBeNull();
        expect((await store.operations.get('op-1'))!.status).toBe('pending');
      });

      it('of concurrent updates from pending exactly one wins', async () => {
        for (const operationId of ['race-1', 'race-2', 'race-3']) {
          await store.operations.create(newOperation(operationId));
          const contenders = ['w1', 'w2', 'w3', 'w4', 'w5'];
          const outcomes = await Promise.all(
            contenders.map((workerId) => store.operations.update(operationId, { status: 'running', workerId }, ['pending'])),
          );
          const winners = outcomes.filter((outcome) => outcome !== null);
          expect(winners).toHaveLength(1);
          expect((await store.operations.get(operationId))!.workerId).toBe(winners[0]!.workerId);
        }
      });

      it('pending lists pending operations in insertion order (FIFO), per worker type and limited', async () => {
        // createdAt deliberately disagrees with insertion order: the queue follows seq.
        await store.operations.create(newOperation('t1', { workerType: 'training', createdAt: at(9) }));
        await store.operations.create(newOperation('b1', { workerType: 'backtesting', createdAt: at(8) }));
        await store.operations.create(newOperation('t2', { workerType: 'training', createdAt: at(7) }));
        await operationIn('t-running', 'running');
        await store.operations.create(newOperation('b2', { workerType: 'backtesting', createdAt: at(6) }));
        await store.operations.create(newOperation('t3', { workerType: 'training', createdAt: at(5) }));

        expect((await store.operations.pending()).map((row) => row.operationId)).toEqual(['t1', 'b1', 't2', 'b2', 't3']);
        expect((await store.operations.pending('training')).map((row) => row.operationId)).toEqual(['t1', 't2', 't3']);
        expect((await store.operations.pending('backtesting')).map((row) => row.operationId)).toEqual(['b1', 'b2']);
        expect((await store.operations.pending('training', 2)).map((row) => row.operationId)).toEqual(['t1', 't2']);
        expect((await store.operations.pending(undefined, 1)).map((row) => row.operationId)).toEqual(['t1']);
      });

      it('an operation handed back to pending keeps its place at the head of the queue', async () => {
        await store.operations.create(newOperation('first'));
        await store.operations.create(newOperation('second'));
        await store.operations.update('first', { status: 'running', workerId: 'w1' }, ['pending']);
        expect((await store.operations.pending('training')).map((row) => row.operationId)).toEqual(['second']);
        await store.operations.update('first', { status: 'pending', workerId: null }, ['running']);
        expect((await store.operations.pending('training')).map((row) => row.operationId)).toEqual(['first', 'second']);
      });

      it('running lists only running operations', async () => {
        await operationIn('p', 'pending');
        await operationIn('r1', 'running');
        await operationIn('c', 'completed');
        await operationIn('r2', 'running');
        expect((await store.operations.running()).map((row) => row.operationId)).toEqual(['r1', 'r2']);
      });

      it('deleteTerminalBefore deletes only terminal operations completed before the cutoff', async () => {
        await operationIn('completed-old', 'completed', { completedAt: at(1) });
        await operationIn('failed-old', 'failed', { completedAt: at(2) });
        await operationIn('cancelled-old', 'cancelled', { completedAt: at(3) });
        await operationIn('completed-at-cutoff', 'completed', { completedAt: at(10) });
        await operationIn('completed-new', 'completed', { completedAt: at(20) });
        await operationIn('pending-old', 'pending', { createdAt: at(-100) });
        await operationIn('running-old', 'running', { createdAt: at(-100) });

        const deleted = await store.operations.deleteTerminalBefore(at(10));
        expect(deleted.sort()).toEqual(['cancelled-old', 'completed-old', 'failed-old']);
        const remaining = (await store.operations.list()).rows.map((row) => row.operationId).sort();
        expect(remaining).toEqual(['completed-at-cutoff', 'completed-new', 'pending-old', 'running-old']);
        expect(await store.operations.deleteTerminalBefore(at(10))).toEqual([]);
      });

      it('deleteOldestTerminal deletes the oldest terminal operations and never active ones', async () => {
        await operationIn('pending-oldest', 'pending', { createdAt: at(0) });
        await operationIn('t1', 'completed', { createdAt: at(1) });
        await operationIn('running', 'running', { createdAt: at(2) });
        await operationIn('t2', 'failed', { createdAt: at(3) });
        await operationIn('t3', 'cancelled', { createdAt: at(4) });

        expect(await store.operations.deleteOldestTerminal(0)).toEqual([]);
        expect((await store.operations.deleteOldestTerminal(2)).sort()).toEqual(['t1', 't2']);
        expect((await store.operations.list()).rows.map((row) => row.operationId).sort()).toEqual(['pending-oldest', 'running', 't3']);
        expect(await store.operations.deleteOldestTerminal(10)).toEqual(['t3']);
        expect(await store.operations.deleteOldestTerminal(10)).toEqual([]);
        expect(await store.operations.count()).toBe(2);
      });

      it('createWithinLimit evicts the oldest terminal operations, and creates nothing when all kept ones are active', async () => {
        await operationIn('t1', 'completed', { createdAt: at(0) });
        await operationIn('active', 'running', { createdAt: at(1) });
        const first = await store.operations.createWithinLimit(newOperation('n1'), 2);
        expect([first.row?.operationId, first.evicted]).toEqual(['n1', ['t1']]);
        const refused = await store.operations.createWithinLimit(newOperation('n2'), 2);
        expect(refused).toEqual({ row: null, evicted: [] });
        expect((await store.operations.list()).rows.map((row) => row.operationId).sort()).toEqual(['active', 'n1']);
      });

      it('createWithinLimit never exceeds the limit under concurrent submissions', async () => {
        // 3 terminal and 5 active of a limit of 10: room for 5, evicting the 3 terminal ones.
        for (const [i, status] of (['completed', 'failed', 'cancelled'] as const).entries()) {
          await operationIn(`t${i}`, status, { createdAt: at(i) });
        }
        for (let i = 0; i < 5; i += 1) await operationIn(`a${i}`, i % 2 === 0 ? 'pending' : 'running', { createdAt: at(10 + i) });
        const submissions = Array.from({ length: 24 }, (_, i) => store.operations.createWithinLimit(newOperation(`c${i}`, { createdAt: at(20) }), 10));
        const results = await Promise.all(submissions);
        expect(results.filter((result) => result.row !== null)).toHaveLength(5);
        expect(results.flatMap((result) => result.evicted).sort()).toEqual(['t0', 't1', 't2']);
        expect(await store.operations.count()).toBe(10);
      });

      it('createWithinLimit with a claim never exceeds the limit under concurrent submissions either (the count the triggers keep)', async () => {
        for (const [i, status] of (['completed', 'failed', 'cancelled'] as const).entries()) {
          await operationIn(`t${i}`, status, { createdAt: at(i) });
        }
        for (let i = 0; i < 5; i += 1) await operationIn(`a${i}`, i % 2 === 0 ? 'pending' : 'running', { createdAt: at(10 + i) });
        const submissions = Array.from({ length: 24 }, (_, i) => store.operations.createWithinLimit(newOperation(`k${i}`, { createdAt: at(20) }), 10, at(21)));
        const results = await Promise.all(submissions);
        expect(results.filter((result) => result.row !== null)).toHaveLength(5);
        expect(results.flatMap((result) => result.evicted).sort()).toEqual(['t0', 't1', 't2']);
        expect(await store.operations.count()).toBe(10);
      });

      it('the operation count the triggers keep follows inserts, deletes and truncation exactly', async () => {
        const kept = async () => {
          const [row] = await store.client.query<{ n: unknown }>('SELECT n FROM operation_count');
          return [Number(row?.n), await store.operations.count()];
        };
        for (let i = 0; i < 6; i += 1) await operationIn(`c${i}`, i < 4 ? 'completed' : 'pending', { createdAt: at(i) });
        expect(await kept()).toEqual([6, 6]);
        await store.operations.createWithinLimit(newOperation('c6', { createdAt: at(7) }), 100, at(8));
        expect(await kept()).toEqual([7, 7]);
        await store.operations.deleteOldestTerminal(3);
        expect(await kept()).toEqual([4, 4]);
        await store.operations.deleteTerminalBefore(at(100));
        expect(await kept()).toEqual([3, 3]);
        await store.client.query('TRUNCATE operations CASCADE');
        expect(await kept()).toEqual([0, 0]);
        // Emptying every table at once (as a store handed back to a pool is) leaves the count row, at 0.
        await operationIn('d0', 'pending');
        await store.client.query('TRUNCATE operations, operation_count, workers RESTART IDENTITY CASCADE');
        expect(await kept()).toEqual([0, 0]);
        // The row gone alone: the next change counts the table again, and the limit holds meanwhile.
        await operationIn('d1', 'pending');
        await store.client.query('TRUNCATE operation_count');
        expect(await store.operations.createWithinLimit(newOperation('d2'), 1, at(1))).toEqual({ row: null, evicted: [] });
        await operationIn('d3', 'pending');
        expect(await kept()).toEqual([2, 2]);
      });

      it('results round-trip, including large JSON, and are replaced when saved again', async () => {
        await store.operations.create(newOperation('op-1'));
        expect(await store.operations.getResults('op-1')).toBeNull();

        const large = {
          equity_curve: Array.from({ length: 20_000 }, (_, index) => ({ t: index, v: index * 1.5, label: `bar ${index}` })),
          metrics: { sharpe: 1.25, drawdown: -0.125, trades: null, tags: ['a', 'b'], unicode: 'é✓' },
        };
        await store.operations.saveResults('op-1', large);
        expect(await store.operations.getResults('op-1')).toEqual(large);

        await store.operations.saveResults('op-1', [1, 'two', { three: 3 }]);
        expect(await store.operations.getResults('op-1')).toEqual([1, 'two', { three: 3 }]);
      });

      it('saveResults for an unknown operation is NOT_FOUND', async () => {
        expect(await codeOf(store.operations.saveResults('missing', { a: 1 }))).toBe('NOT_FOUND');
      });

      it('deleting an operation deletes its results and checkpoints', async () => {
        await operationIn('gone', 'completed', { completedAt: at(1) });
        await operationIn('kept', 'completed', { completedAt: at(30) });
        for (const operationId of ['gone', 'kept']) {
          await store.operations.saveResults(operationId, { of: operationId });
          await store.checkpoints.add(newCheckpoint(`${operationId}-cp`, operationId));
        }

        expect(await store.operations.deleteTerminalBefore(at(10))).toEqual(['gone']);
        expect(await store.operations.getResults('gone')).toBeNull();
        expect(await store.checkpoints.forOperation('gone')).toEqual([]);
        expect(await store.operations.getResults('kept')).toEqual({ of: 'kept' });
        expect(await store.checkpoints.forOperation('kept')).toHaveLength(1);

        expect(await store.operations.deleteOldestTerminal(1)).toEqual(['kept']);
        expect(await store.operations.getResults('kept')).toBeNull();
        expect(await store.checkpoints.latest('kept')).toBeNull();
      });
    });

    describe('workers', () => {
      it('upsert inserts a worker and get returns it', async () => {
        const worker = newWorker('w1', { lastHealthCheck: at(1), lastHealthyAt: at(1) });
        expect(await store.workers.upsert(worker)).toEqual(worker);
        expect(await store.workers.get('w1')).toEqual(worker);
      });

      it('get answers null for an unknown worker', async () => {
        expect(await store.workers.get('missing')).toBeNull();
      });

      it('upsert replaces every field of an existing worker', async () => {
        await store.workers.upsert(newWorker('w1'));
        const changed = newWorker('w1', {
          workerType: 'backtesting',
          endpointUrl: 'http://10.0.0.2:6000',
          status: 'temporarily_unavailable',
          currentOperationId: 'op-9',
          capabilities: { gpu: true },
          metadata: {},
          registeredAt: at(5),
          lastHealthCheck: at(6),
          lastHealthyAt: at(4),
          healthCheckFailures: 3,
        });
        expect(await store.workers.upsert(changed)).toEqual(changed);
        expect(await store.workers.get('w1')).toEqual(changed);
        expect(await store.workers.list()).toHaveLength(1);
      });

      it('list returns every worker in registration order', async () => {
        await store.workers.upsert(newWorker('late', { registeredAt: at(3) }));
        await store.workers.upsert(newWorker('early', { registeredAt: at(1) }));
        await store.workers.upsert(newWorker('middle', { registeredAt: at(2), workerType: 'backtesting', status: 'busy' }));
        expect((await store.workers.list()).map((worker) => worker.workerId)).toEqual(['early', 'middle', 'late']);
      });

      it('delete removes a worker and reports whether it existed', async () => {
        await store.workers.upsert(newWorker('w1'));
        await store.workers.upsert(newWorker('w2'));
        expect(await store.workers.delete('w1')).toBe(true);
        expect(await store.workers.delete('w1')).toBe(false);
        expect(await store.workers.get('w1')).toBeNull();
        expect((await store.workers.list()).map((worker) => worker.workerId)).toEqual(['w2']);
      });
    });

    describe('checkpoints', () => {
      beforeEach(async () => {
        await store.operations.create(newOperation('op-1'));
        await store.operations.create(newOperation('op-2'));
      });

      it('add stores a checkpoint that latest and forOperation return', async () => {
        const checkpoint = newCheckpoint('cp-1', 'op-1', { units: 4, sizeBytes: 5_000_000_000, reason: 'shutdown', createdAt: at(1) });
        await store.checkpoints.add(checkpoint);
        expect(await store.checkpoints.latest('op-1')).toEqual(checkpoint);
        expect(await store.checkpoints.forOperation('op-1')).toEqual([checkpoint]);
        expect(await store.checkpoints.latest('op-2')).toBeNull();
        expect(await store.checkpoints.forOperation('op-2')).toEqual([]);
      });

      it('latest is the newest by time, and the last added among equal times', async () => {
        await store.checkpoints.add(newCheckpoint('cp-b', 'op-1', { units: 2, createdAt: at(2) }));
        await store.checkpoints.add(newCheckpoint('cp-a', 'op-1', { units: 1, createdAt: at(1) }));
        expect((await store.checkpoints.latest('op-1'))!.checkpointId).toBe('cp-b');
        await store.checkpoints.add(newCheckpoint('cp-c', 'op-1', { units: 3, createdAt: at(2) }));
        expect((await store.checkpoints.latest('op-1'))!.checkpointId).toBe('cp-c');
        expect((await store.checkpoints.forOperation('op-1')).map((row) => row.checkpointId)).toEqual(['cp-a', 'cp-b', 'cp-c']);
      });

      it('add for an unknown operation is NOT_FOUND; a duplicate id is CONFLICT', async () => {
        expect(await codeOf(store.checkpoints.add(newCheckpoint('cp-1', 'missing')))).toBe('NOT_FOUND');
        await store.checkpoints.add(newCheckpoint('cp-1', 'op-1'));
        expect(await codeOf(store.checkpoints.add(newCheckpoint('cp-1', 'op-1')))).toBe('CONFLICT');
      });

      it('deleteForOperation removes and returns only that operation’s checkpoints', async () => {
        const first = newCheckpoint('cp-1', 'op-1', { createdAt: at(1) });
        const second = newCheckpoint('cp-2', 'op-1', { createdAt: at(2) });
        const other = newCheckpoint('cp-3', 'op-2', { createdAt: at(1) });
        for (const checkpoint of [first, second, other]) await store.checkpoints.add(checkpoint);

        const deleted = await store.checkpoints.deleteForOperation('op-1');
        expect(deleted.sort((a, b) => a.checkpointId.localeCompare(b.checkpointId))).toEqual([first, second]);
        expect(await store.checkpoints.latest('op-1')).toBeNull();
        expect(await store.checkpoints.forOperation('op-2')).toEqual([other]);
        expect(await store.checkpoints.deleteForOperation('op-1')).toEqual([]);
      });

      it('deleteOne removes and returns one checkpoint of that operation only', async () => {
        const first = newCheckpoint('cp-1', 'op-1', { createdAt: at(1) });
        const other = newCheckpoint('cp-2', 'op-2', { createdAt: at(1) });
        for (const checkpoint of [first, other]) await store.checkpoints.add(checkpoint);

        expect(await store.checkpoints.deleteOne('op-2', 'cp-1')).toBeNull(); // not that operation's
        expect(await store.checkpoints.deleteOne('op-1', 'cp-1')).toEqual(first);
        expect(await store.checkpoints.forOperation('op-1')).toEqual([]);
        expect(await store.checkpoints.forOperation('op-2')).toEqual([other]);
        expect(await store.checkpoints.deleteOne('op-1', 'cp-1')).toBeNull();
      });

      it('deleteBefore removes and returns checkpoints older than the cutoff, of every operation', async () => {
        await store.checkpoints.add(newCheckpoint('old-1', 'op-1', { createdAt: at(1) }));
        await store.checkpoints.add(newCheckpoint('old-2', 'op-2', { createdAt: at(2) }));
        await store.checkpoints.add(newCheckpoint('at-cutoff', 'op-1', { createdAt: at(5) }));
        await store.checkpoints.add(newCheckpoint('new', 'op-2', { createdAt: at(9) }));

        const deleted = await store.checkpoints.deleteBefore(at(5));
        expect(deleted.map((row) => row.checkpointId).sort()).toEqual(['old-1', 'old-2']);
        expect((await store.checkpoints.forOperation('op-1')).map((row) => row.checkpointId)).toEqual(['at-cutoff']);
        expect((await store.checkpoints.forOperation('op-2')).map((row) => row.checkpointId)).toEqual(['new']);
      });
    });

    describe('migrations', () => {
      it('are listed with unique, increasing versions', () => {
        const versions = MIGRATIONS.map((migration) => migration.version);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
        expect(new Set(versions).size).toBe(versions.length);
      });

      it('applying them again changes nothing and keeps the data', async () => {
        await store.operations.create(newOperation('op-1'));
        await store.migrate();
        await store.migrate();
        expect(await applyMigrations(store.client)).toEqual([]);
        const recorded = await store.client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(recorded.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((migration) => migration.version));
        expect(await store.operations.get('op-1')).not.toBeNull();
      });
    });
  });
}
