/**
 * The dispatch core over the store (docs/architecture.md §5.4), registered once per driver like the store suite:
 * the one-statement claim under concurrent claims from two "backends" (two stores on one PostgreSQL database; two
 * registries and dispatchers over the one PGlite store), registration whose statement count does not grow with the
 * number of workers, a health pass that never holds up a claim, wake-ups through the store's notifications, and
 * the requeue of an operation whose claiming backend died before its start request reached the worker.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerHealth, WorkerOperationStatus, WorkerStartBody } from '../../src/api/contract.js';
import { DISPATCH_CHANNEL } from '../../src/backend/backend.js';
import { CheckpointStore } from '../../src/backend/services/checkpoint-store.js';
import { Dispatcher } from '../../src/backend/services/dispatcher.js';
import { HealthChecker } from '../../src/backend/services/health-checker.js';
import { OperationsService } from '../../src/backend/services/operations-service.js';
import type { WorkerClient } from '../../src/backend/services/worker-client.js';
import { WorkerRegistry } from '../../src/backend/services/worker-registry.js';
import { ManualClock } from '../../src/common/clock.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { Claim, WorkerRepository } from '../../src/store/types.js';
import { newOperation } from '../support/operations.js';

export interface DispatchHarness {
  /**
   * Opens the stores of two backends sharing one database (the same store twice when the driver is one
   * process), migrated and empty. `log` is told every statement either runs.
   */
  open(log: (sql: string) => void): Promise<[SqlStore, SqlStore]>;
  /** Whether the two stores are two connections (PostgreSQL): notifications then cross processes. */
  readonly separate: boolean;
}

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

/** A WorkerClient stand-in: every start is accepted at once and recorded; health answers idle unless held. */
class FakeClient {
  readonly starts: { endpoint: string; operationId: string }[] = [];
  onStart: () => void = () => {};
  /** Per worker id: what its health check answers instead of idle ('down': no answer). */
  readonly answers = new Map<string, WorkerHealth | 'down'>();

  async start(endpointUrl: string, body: WorkerStartBody): Promise<void> {
    this.starts.push({ endpoint: endpointUrl, operationId: body.operation_id });
    this.onStart();
  }

  async health(endpointUrl: string): Promise<WorkerHealth> {
    const answer = this.answers.get(endpointUrl.split('/').pop() as string);
    if (answer === 'down') throw new Error(`connect ECONNREFUSED ${endpointUrl}`);
    if (answer) return answer;
    return { healthy: true, worker_id: endpointUrl.split('/').pop() as string, worker_type: 'training', worker_status: 'idle', current_operation: null };
  }

  async cancel(): Promise<boolean> {
    return true;
  }

  /** Operation ids the worker knows (it ran them); status answers null (404) for any other. */
  readonly known = new Set<string>();

  async status(_endpointUrl: string, operationId: string): Promise<WorkerOperationStatus | null> {
    if (!this.known.has(operationId)) return null;
    return { operation_id: operationId, status: 'completed' } as unknown as WorkerOperationStatus;
  }
}

const asClient = (fake: FakeClient): WorkerClient => fake as unknown as WorkerClient;
const noCheckpoints = { latest: async () => null } as unknown as CheckpointStore;

export function registerDispatchSuite(label: string, harness: DispatchHarness): void {
  describe(`dispatch over the store (${label})`, () => {
    let stores: [SqlStore, SqlStore];
    let statements = 0;
    const clock = new ManualClock();

    beforeAll(async () => {
      stores = await harness.open(() => void statements++);
    });

    afterAll(async () => {
      await stores?.[0].close();
      if (stores && stores[1] !== stores[0]) await stores[1].close();
    });

    beforeEach(async () => {
      await stores[0].client.query('TRUNCATE operations, operation_results, workers, checkpoints RESTART IDENTITY CASCADE');
    });

    const registryOf = (store: SqlStore, workers: WorkerRepository = store.workers) =>
      new WorkerRegistry(workers, clock, { failureThreshold: 3, retryAfterSeconds: 5, isLiveAt: async () => false });

    const submission = (operationId: string) => newOperation(operationId, { createdAt: new Date(clock.now()) });

    const addOperationsFrom = async (first: number, count: number) => {
      for (let i = first; i < first + count; i++) await stores[0].operations.create(submission(`op-${String(i).padStart(3, '0')}`));
    };
    const addOperations = (count: number) => addOperationsFrom(0, count);

    const addWorkers = async (registry: WorkerRegistry, count: number, prefix = 'w') => {
      for (let i = 0; i < count; i++) {
        await registry.register({ workerId: `${prefix}-${i}`, workerType: 'training', endpointUrl: `http://127.0.0.1:1/${prefix}-${i}` });
      }
    };

    it('concurrent claims from two backends never pair one worker or one operation twice', async () => {
      const registries = [registryOf(stores[0]), registryOf(stores[1])];
      await addOperations(40);
      await addWorkers(registries[0]!, 25);
      const claims: Claim[] = [];
      // Rounds of many concurrent small claims, alternating backends, until nothing is left to pair.
      for (;;) {
        const round = await Promise.all(Array.from({ length: 8 }, (_, i) => registries[i % 2]!.claim(['training'], 2)));
        const found = round.flat();
        if (found.length === 0) break;
        claims.push(...found);
      }
      expect(claims).toHaveLength(25);
      expect(new Set(claims.map((claim) => claim.operation.operationId)).size).toBe(25);
      expect(new Set(claims.map((claim) => claim.worker.workerId)).size).toBe(25);
      expect(new Set(claims.map((claim) => claim.epoch)).size).toBe(25);
      // FIFO: the 25 oldest operations were taken.
      expect(claims.map((claim) => claim.operation.operationId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `op-${String(i).padStart(3, '0')}`));
      for (const claim of claims) {
        expect(await stores[0].operations.get(claim.operation.operationId)).toMatchObject({ status: 'running', workerId: claim.worker.workerId });
        expect(await stores[1].workers.get(claim.worker.workerId)).toMatchObject({ status: 'busy', currentOperationId: claim.operation.operationId });
      }
      expect((await stores[0].operations.pending('training')).map((row) => row.operationId)[0]).toBe('op-025');
    });

    it('two dispatchers on two backends start each operation once, one per worker', async () => {
      const fakes = [new FakeClient(), new FakeClient()];
      const registries = [registryOf(stores[0]), registryOf(stores[1])];
      const dispatchers = [0, 1].map(
        (i) =>
          new Dispatcher(
            { operations: stores[i]!.operations, registry: registries[i]!, client: asClient(fakes[i]!), checkpoints: noCheckpoints, clock, logger },
            { intervalMs: HOUR, statusCheckTimeoutMs: 100, batchSize: 2 },
          ),
      );
      await addOperations(20);
      await addWorkers(registries[0]!, 6);
      const started = await Promise.all([...dispatchers, ...dispatchers].map((dispatcher) => dispatcher.dispatchPending()));
      const starts = fakes.flatMap((fake) => fake.starts);
      // The second call to each dispatcher joined its pass in progress (the same count).
      expect(started[0]! + started[1]!).toBe(6);
      expect(starts).toHaveLength(6);
      expect(new Set(starts.map((start) => start.endpoint)).size).toBe(6);
      expect(new Set(starts.map((start) => start.operationId)).size).toBe(6);
      // Every reservation ended with its answer.
      expect((await registries[0]!.states()).filter((worker) => worker.reserved)).toEqual([]);
    });

    /** A worker's outcome as the outcome route records it (OperationsService.recordOutcome). */
    const outcomeOf = (store: SqlStore, operationId: string, workerId: string, takeNext: boolean, status: 'completed' | 'failed' = 'completed') =>
      store.operations.recordOutcome({
        operationId,
        workerId,
        status,
        errorMessage: status === 'failed' ? 'failed on purpose' : null,
        resultSummary: status === 'completed' ? { ok: true } : null,
        completedAt: new Date(clock.now()),
        orphanKey: 'orphaned_worker_id',
        takeNext,
        now: new Date(clock.now()),
      });

    it('an outcome is one statement: the worker freed, the operation finished, a completed one’s checkpoint rows gone, and with take_next the worker’s next operation claimed for it', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 1);
      await addOperations(3);
      const [first] = await registry.claim(['training'], 1);
      await stores[0].checkpoints.add({
        checkpointId: 'ckpt-1',
        operationId: 'op-000',
        units: 1,
        path: '/nowhere/op-000/ckpt-1.json',
        sizeBytes: 1,
        reason: 'periodic',
        createdAt: new Date(clock.now()),
      });
      statements = 0;
      const recorded = await outcomeOf(stores[1], 'op-000', 'w-0', true);
      expect(statements).toBe(1);
      expect(recorded).toMatchObject({
        before: { operationId: 'op-000', status: 'running', workerId: 'w-0' },
        released: true,
        finished: { operationId: 'op-000', status: 'completed', resultSummary: { ok: true }, progress: { percentage: 100 } },
        droppedCheckpoints: ['/nowhere/op-000/ckpt-1.json'],
        next: { operation: { operationId: 'op-001', status: 'running', workerId: 'w-0' }, hasCheckpoint: false },
      });
      expect(recorded.next!.epoch).toBeGreaterThan(first!.epoch);
      expect(await stores[0].checkpoints.forOperation('op-000')).toEqual([]);
      // The state a claim leaves: the operation running there, the worker busy and reserved with the new epoch.
      expect(await stores[0].operations.get('op-001')).toMatchObject({ status: 'running', workerId: 'w-0' });
      expect((await registry.states())[0]).toMatchObject({
        status: 'busy',
        currentOperationId: 'op-001',
        reserved: true,
        assignmentEpoch: recorded.next!.epoch,
      });
      // Without take_next (an earlier worker) it is only freed, for the dispatcher's claim.
      const plain = await outcomeOf(stores[1], 'op-001', 'w-0', false, 'failed');
      expect(plain).toMatchObject({ released: true, finished: { status: 'failed', errorMessage: 'failed on purpose' }, droppedCheckpoints: [], next: null });
      expect((await registry.states())[0]).toMatchObject({ status: 'available', currentOperationId: null, reserved: false });
      expect(await stores[0].operations.get('op-002')).toMatchObject({ status: 'pending' });
    });

    it('a submission claims the longest idle worker in its own statement, unless an older operation of its type waits (FIFO)', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 2);
      statements = 0;
      const first = await stores[1].operations.createWithinLimit(submission('s-1'), 100, new Date(clock.now()));
      expect(statements).toBe(1);
      expect(first.row).toMatchObject({ operationId: 's-1', status: 'running', workerId: 'w-0' });
      expect(first.claim).toMatchObject({ operation: { operationId: 's-1', status: 'running' }, worker: { workerId: 'w-0' }, hasCheckpoint: false });
      // The state a claim leaves: busy and reserved with the claim's epoch.
      expect((await registry.states()).find((worker) => worker.workerId === 'w-0')).toMatchObject({
        status: 'busy',
        currentOperationId: 's-1',
        reserved: true,
        assignmentEpoch: first.claim!.epoch,
      });
      expect((await stores[1].operations.createWithinLimit(submission('s-2'), 100, new Date(clock.now()))).claim?.worker.workerId).toBe('w-1');
      // Every worker busy: pending, for an outcome's next or a claim.
      const third = await stores[1].operations.createWithinLimit(submission('s-3'), 100, new Date(clock.now()));
      expect([third.row?.status, third.claim]).toEqual(['pending', null]);
      // w-0 free again, but s-3 came first: s-4 stays pending and the claim gives w-0 the older one.
      expect(await outcomeOf(stores[0], 's-1', 'w-0', false)).toMatchObject({ released: true, next: null, pendingLeft: true });
      const fourth = await stores[1].operations.createWithinLimit(submission('s-4'), 100, new Date(clock.now()));
      expect([fourth.row?.status, fourth.claim]).toEqual(['pending', null]);
      expect((await registry.claim(['training'], 2)).map((claim) => [claim.operation.operationId, claim.worker.workerId])).toEqual([['s-3', 'w-0']]);
      // Without claimAt nothing is claimed, and neither is a submission that had to evict to make room.
      await outcomeOf(stores[0], 's-2', 'w-1', false);
      const unclaimed = await stores[1].operations.createWithinLimit(submission('s-5'), 100);
      expect([unclaimed.row?.status, unclaimed.claim ?? null]).toEqual(['pending', null]);
      const evicting = await stores[1].operations.createWithinLimit(submission('s-6'), 4, new Date(clock.now()));
      expect([evicting.row?.status, evicting.evicted, evicting.claim ?? null]).toEqual(['pending', ['s-1', 's-2'], null]);
      // A draining worker is not claimed.
      await registry.drain('w-1');
      for (const id of ['s-4', 's-5', 's-6']) await stores[0].operations.update(id, { status: 'cancelled' });
      const drained = await stores[1].operations.createWithinLimit(submission('s-7'), 100, new Date(clock.now()));
      expect([drained.row?.status, drained.claim]).toEqual(['pending', null]);
    });

    it('a claim and an outcome say whether an operation of the type is left pending', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 1);
      expect(await registry.claimOrContend(['training'], 1)).toEqual({ claims: [], contended: false, pendingLeft: false });
      await addOperations(2);
      const claimed = await registry.claimOrContend(['training'], 1);
      expect([claimed.claims.length, claimed.pendingLeft]).toEqual([1, true]);
      // Taken as the next: nothing left.
      expect(await outcomeOf(stores[0], 'op-000', 'w-0', true)).toMatchObject({ next: { operation: { operationId: 'op-001' } }, pendingLeft: false });
      expect(await outcomeOf(stores[0], 'op-001', 'w-0', true)).toMatchObject({ released: true, next: null, pendingLeft: false });
    });

    it('reservations ended together go as one statement, each saying whether its operation still wants the worker', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 3);
      await addOperations(3);
      const claims = await registry.claim(['training'], 3);
      expect(claims).toHaveLength(3);
      await stores[0].operations.update(claims[1]!.operation.operationId, { status: 'cancelled' }, ['running']);
      statements = 0;
      const wanted = await Promise.all(claims.map((claim) => registry.endReservation(claim.worker.workerId, claim.operation.operationId, claim.epoch)));
      expect(statements).toBe(1);
      expect(wanted).toEqual([true, false, true]);
      expect((await registry.states()).filter((worker) => worker.reserved)).toEqual([]);
      // An end of an assignment the worker no longer holds (its outcome and a new claim came first) leaves the new
      // reservation alone; the finished operation was the worker's own.
      const [first] = claims;
      await outcomeOf(stores[0], first!.operation.operationId, first!.worker.workerId, false);
      await addOperationsFrom(3, 1);
      const [again] = await registry.claim(['training'], 1);
      expect(again?.worker.workerId).toBe(first!.worker.workerId);
      expect(await registry.endReservation(first!.worker.workerId, first!.operation.operationId, first!.epoch)).toBe(true);
      expect((await registry.states()).find((worker) => worker.workerId === again!.worker.workerId)).toMatchObject({ reserved: true, assignmentEpoch: again!.epoch });
    });

    it('a dispatcher starts a pair claimed with its submission without a pass, and says whether a claim may have missed a freed worker', async () => {
      const registry = registryOf(stores[0]);
      const client = new FakeClient();
      const dispatcher = new Dispatcher(
        { operations: stores[0].operations, registry, client: asClient(client), checkpoints: noCheckpoints, clock, logger },
        { intervalMs: HOUR, statusCheckTimeoutMs: 1000 },
      );
      await addWorkers(registry, 1);
      const { claim } = await stores[0].operations.createWithinLimit(submission('s-1'), 100, new Date(clock.now()));
      statements = 0;
      dispatcher.dispatchClaimed(claim!);
      await dispatcher.whenIdle();
      expect(client.starts).toEqual([{ endpoint: 'http://127.0.0.1:1/w-0', operationId: 's-1' }]);
      // The start request and the reservation's end; no claim.
      expect(statements).toBe(1);
      expect((await registry.states())[0]).toMatchObject({ status: 'busy', reserved: false, currentOperationId: 's-1' });

      const quiet = dispatcher.watchClaims();
      await dispatcher.dispatchPending(); // nothing pending: a claim that cannot have missed anything
      expect(quiet()).toBe(false);
      await addOperations(1); // pending, the only worker busy: the claim leaves it pending
      await dispatcher.dispatchPending();
      expect(quiet()).toBe(true);
      const later = dispatcher.watchClaims();
      expect(later()).toBe(false);
    });

    it('an outcome that frees its worker wakes the dispatcher only when a claim may have something to pair', async () => {
      const registry = registryOf(stores[0]);
      const checkpoints = new CheckpointStore(stores[0].checkpoints, '/nonexistent-ktrdr-checkpoints', clock, logger);
      let wakes = 0;
      let claimOverlapped = false;
      const claimed: Claim[] = [];
      const service = new OperationsService(
        {
          store: stores[0],
          registry,
          client: asClient(new FakeClient()),
          checkpoints,
          clock,
          logger,
          wake: () => void wakes++,
          dispatchClaimed: (claim) => void claimed.push(claim),
          watchClaims: () => () => claimOverlapped,
        },
        { cacheTtlMs: 0, maxOperations: 100 },
      );
      const outcome = (operationId: string) =>
        service.recordOutcome(operationId, { worker_id: 'w-0', status: 'completed', error_message: null, result_summary: null, completed_at: new Date(clock.now()).toISOString() });
      await addWorkers(registry, 1);
      // Claimed with its submission: no wake-up.
      const first = await service.submit({ operationType: 'dummy', workerType: 'training', params: {} });
      expect([first.status, claimed.map((claim) => claim.operation.operationId), wakes]).toEqual(['running', [first.operationId], 0]);
      // The only worker busy: left pending, the dispatchers are told.
      const second = await service.submit({ operationType: 'dummy', workerType: 'training', params: {} });
      expect([second.status, wakes]).toEqual(['pending', 1]);
      // Freed with an operation of its type pending: wakes.
      await outcome(first.operationId);
      expect(wakes).toBe(2);
      await registry.claim(['training'], 1);
      // Freed with nothing pending and no claim beside it: an idle fleet, nothing to wake for.
      await outcome(second.operationId);
      expect(wakes).toBe(2);
      // Freed with nothing pending in its snapshot, but a claim that left something pending ran beside it.
      const third = await service.submit({ operationType: 'dummy', workerType: 'training', params: {} });
      expect(third.status).toBe('running');
      claimOverlapped = true;
      await outcome(third.operationId);
      expect(wakes).toBe(3);
    });

    it('an outcome repeated, or from a worker the operation is not assigned to, changes nothing and takes nothing', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 2);
      await addOperations(3);
      await registry.claim(['training'], 1);
      expect(await outcomeOf(stores[0], 'op-000', 'w-1', true)).toMatchObject({ before: { workerId: 'w-0' }, released: false, finished: null, next: null });
      await outcomeOf(stores[0], 'op-000', 'w-0', false);
      expect(await outcomeOf(stores[0], 'op-000', 'w-0', true)).toMatchObject({ before: { status: 'completed' }, released: false, finished: null, next: null });
      expect(await outcomeOf(stores[0], 'op-missing', 'w-0', true)).toMatchObject({ before: null, released: false, finished: null, next: null });
      expect((await stores[0].operations.pending('training')).map((row) => row.operationId)).toEqual(['op-001', 'op-002']);
    });

    it('an outcome takes no next operation while a worker of its type is idle (longest idle first), nor for a draining worker', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 2);
      await addOperations(4);
      await registry.claim(['training'], 1); // op-000 on w-0; w-1 stays idle
      expect((await outcomeOf(stores[0], 'op-000', 'w-0', true)).next).toBeNull();
      // The claim then gives the oldest pending operation to the worker idle the longest.
      const [claimed] = await registry.claim(['training'], 1);
      expect(claimed).toMatchObject({ operation: { operationId: 'op-001' }, worker: { workerId: 'w-1' } });
      await registry.claim(['training'], 1); // op-002 on w-0
      await registry.drain('w-0');
      expect((await outcomeOf(stores[0], 'op-002', 'w-0', true)).next).toBeNull();
      expect(await stores[0].operations.get('op-003')).toMatchObject({ status: 'pending' });
    });

    it('outcomes taking the next operation beside claims from another backend hand out each operation once', async () => {
      const registries = [registryOf(stores[0]), registryOf(stores[1])];
      await addOperations(40);
      await addWorkers(registries[0]!, 6);
      const handedOut: string[] = [];
      let running = (await registries[0]!.claim(['training'], 3)).map((claim) => ({ operationId: claim.operation.operationId, workerId: claim.worker.workerId }));
      handedOut.push(...running.map((assignment) => assignment.operationId));
      while (running.length > 0) {
        const [outcomes, claims] = await Promise.all([
          Promise.all(running.map((assignment) => outcomeOf(stores[0], assignment.operationId, assignment.workerId, true))),
          registries[1]!.claim(['training'], 2),
        ]);
        running = [
          ...outcomes.flatMap((recorded) => (recorded.next ? [{ operationId: recorded.next.operation.operationId, workerId: recorded.next.operation.workerId as string }] : [])),
          ...claims.map((claim) => ({ operationId: claim.operation.operationId, workerId: claim.worker.workerId })),
        ];
        handedOut.push(...running.map((assignment) => assignment.operationId));
        expect(new Set(running.map((assignment) => assignment.workerId)).size).toBe(running.length);
      }
      expect(handedOut).toHaveLength(40);
      expect(new Set(handedOut).size).toBe(40);
      expect((await stores[0].operations.countByStatus()).completed).toBe(40);
      expect((await registries[0]!.states()).every((worker) => worker.status === 'available' && !worker.reserved)).toBe(true);
    });

    if (harness.separate) {
      it('a claim that pairs nothing because another statement holds the rows says it was contended; the next one pairs them', async () => {
        const registry = registryOf(stores[0]);
        await addWorkers(registry, 1);
        await addOperations(1);
        let release: () => void = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let locked: () => void = () => {};
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        // Another backend's statement holding the worker row, as a concurrent claim or outcome does for a moment.
        const holder = stores[1].client.transaction(async (tx) => {
          await tx.query(`SELECT worker_id FROM workers WHERE worker_id = 'w-0' FOR UPDATE`);
          locked();
          await held;
        });
        await isLocked;
        try {
          expect(await registry.claimOrContend(['training'], 1)).toEqual({ claims: [], contended: true, pendingLeft: true });
          // Excluded workers do not count: nothing could have been paired.
          expect(await registry.claimOrContend(['training'], 1, ['w-0'])).toEqual({ claims: [], contended: false, pendingLeft: true });
        } finally {
          release();
          await holder;
        }
        const after = await registry.claimOrContend(['training'], 1);
        expect(after).toMatchObject({ contended: false, pendingLeft: false });
        expect(after.claims.map((claim) => [claim.operation.operationId, claim.worker.workerId])).toEqual([['op-000', 'w-0']]);
        // Nothing left to pair: not contended either.
        expect(await registry.claimOrContend(['training'], 1)).toEqual({ claims: [], contended: false, pendingLeft: false });
      });
    }

    it('a registration costs the same number of statements with 5 or 300 workers registered', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 5);
      const cost = async (workerId: string) => {
        statements = 0;
        await registry.register({ workerId, workerType: 'training', endpointUrl: `http://127.0.0.1:1/${workerId}` });
        return statements;
      };
      const few = [await cost('w-0'), await cost('new-a')];
      await addWorkers(registry, 300, 'more');
      const many = [await cost('w-0'), await cost('new-b')];
      expect(many).toEqual(few);
      expect(few[0]).toBeLessThanOrEqual(2);
      // A new id on an endpoint another id holds replaces it, in the same statement.
      statements = 0;
      await registry.register({ workerId: 'restarted', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/more-7' });
      expect(statements).toBe(few[1]);
      expect(await registry.get('more-7')).toBeNull();
      expect(await registry.get('restarted')).toMatchObject({ endpointUrl: 'http://127.0.0.1:1/more-7', status: 'available' });
    });

    it('registrations arriving together go as one statement, each with its own record and epoch', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 3); // w-0..w-2 registered before: registered again below, keeping their first time
      const firstTime = (await registry.get('w-1'))?.registeredAt;
      clock.advance(1_000);
      statements = 0;
      const rows = await Promise.all(
        Array.from({ length: 120 }, (_, i) => registry.register({ workerId: `w-${i}`, workerType: i % 2 ? 'training' : 'backtesting', endpointUrl: `http://127.0.0.1:1/w-${i}`, metadata: { i } })),
      );
      expect(statements).toBeLessThanOrEqual(2);
      expect(rows.map((row) => row.workerId)).toEqual(Array.from({ length: 120 }, (_, i) => `w-${i}`));
      rows.forEach((row, i) => expect(row).toMatchObject({ workerType: i % 2 ? 'training' : 'backtesting', endpointUrl: `http://127.0.0.1:1/w-${i}`, metadata: { i }, status: 'available' }));
      expect(rows[1]?.registeredAt).toEqual(firstTime);
      expect(rows[100]?.registeredAt).toEqual(new Date(clock.now()));
      const states = await registry.states();
      expect(states).toHaveLength(120);
      expect(new Set(states.map((state) => state.assignmentEpoch)).size).toBe(120);
    });

    it('registrations of one id or one endpoint arriving together take effect one after the other', async () => {
      const registry = registryOf(stores[0]);
      // Two ids on one endpoint: the later replaces the earlier (a worker restarted under a new id).
      await Promise.all([
        registry.register({ workerId: 'old-id', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/e' }),
        registry.register({ workerId: 'new-id', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/e' }),
      ]);
      expect((await registry.list()).map((row) => row.workerId)).toEqual(['new-id']);
      // One id at two endpoints, the first no longer answering (isLiveAt false): it ends at the second.
      await Promise.all([
        registry.register({ workerId: 'mover', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/m1' }),
        registry.register({ workerId: 'mover', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/m2' }),
      ]);
      expect(await registry.get('mover')).toMatchObject({ endpointUrl: 'http://127.0.0.1:1/m2' });
      // One id registered twice at one endpoint: two statements, one after the other.
      statements = 0;
      const twice = await Promise.all([0, 1].map(() => registry.register({ workerId: 'twice', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/t' })));
      expect(statements).toBe(2);
      expect(twice.map((row) => row.workerId)).toEqual(['twice', 'twice']);
    });

    it('a registration the database refuses fails alone, not the others sent with it', async () => {
      const registry = registryOf(stores[0]);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          registry.register({ workerId: `w-${i}`, workerType: 'training', endpointUrl: `http://127.0.0.1:1/w-${i}`, metadata: i === 2 ? { note: 'nul \u0000 here' } : {} }),
        ),
      );
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((await registry.list()).map((row) => row.workerId)).toEqual(['w-0', 'w-1', 'w-3', 'w-4']);
    });

    it('look-ups of workers arriving together go as one statement', async () => {
      const registry = registryOf(stores[0]);
      await addWorkers(registry, 30);
      statements = 0;
      const rows = await Promise.all([...Array.from({ length: 30 }, (_, i) => registry.get(`w-${i}`)), registry.get('nobody'), registry.get('w-3')]);
      expect(statements).toBe(1);
      expect(rows.map((row) => row?.workerId ?? null)).toEqual([...Array.from({ length: 30 }, (_, i) => `w-${i}`), null, 'w-3']);
    });

    it('a health pass whose writes are held does not hold up a claim', async () => {
      // The health checker's writes wait at a gate the test opens; a claim meanwhile must go through.
      let openGate: () => void = () => {};
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let healthWritesWaiting = 0;
      const batchSizes: number[] = [];
      const base = stores[0].workers;
      const gated: WorkerRepository = Object.create(base) as WorkerRepository;
      gated.recordHealthy = async (...args) => {
        healthWritesWaiting++;
        batchSizes.push(args[0].length);
        await gate;
        return base.recordHealthy(...args);
      };
      const registry = registryOf(stores[0], gated);
      await addWorkers(registry, 50);
      await addOperations(3);
      const checker = new HealthChecker(
        { registry, operations: stores[0].operations, client: asClient(new FakeClient()), clock, logger, onWorkerAvailable: () => {} },
        { intervalMs: HOUR, timeoutMs: 1_000, removalThresholdMs: HOUR, batchSize: 10 },
      );
      const pass = checker.checkAll();
      while (healthWritesWaiting === 0) await new Promise((resolve) => setImmediate(resolve));
      const claims = await registryOf(stores[1]).claim(['training'], 3);
      expect(claims).toHaveLength(3);
      expect(healthWritesWaiting).toBe(1); // the pass is still at its first write
      openGate();
      await pass;
      // 50 answers in batches of at most 10 (the first holds those in hand when it began, the pass sending 16 requests at a time).
      expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(50);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(10);
      expect(batchSizes.length).toBeLessThanOrEqual(7);
      // The answers ("idle") came from requests sent before the claim: they do not undo it.
      for (const claim of claims) expect(await registry.get(claim.worker.workerId)).toMatchObject({ status: 'busy', currentOperationId: claim.operation.operationId });
    });

    describe('a claim whose backend died before sending the start (docs/architecture.md §9)', () => {
      const RESERVATION_TIMEOUT_MS = 60_000; // the registry's default
      const checkerOf = (store: SqlStore, fake: FakeClient, onWorkerAvailable: () => void = () => {}) =>
        new HealthChecker(
          { registry: registryOf(store), operations: store.operations, client: asClient(fake), clock, logger, onWorkerAvailable },
          { intervalMs: HOUR, timeoutMs: 1_000, removalThresholdMs: HOUR },
        );
      /** Backend A claims op-000 on w-0 and dies: the start request is never sent. */
      const claimAndDie = async () => {
        await addWorkers(registryOf(stores[0]), 1);
        await addOperations(1);
        const [claim] = await registryOf(stores[0]).claim(['training'], 1);
        expect(claim).toMatchObject({ operation: { operationId: 'op-000' }, worker: { workerId: 'w-0' } });
        return claim as Claim;
      };
      const busyWith = (operationId: string): WorkerHealth => ({
        healthy: true,
        worker_id: 'w-0',
        worker_type: 'training',
        worker_status: 'busy',
        current_operation: operationId,
      });

      it('goes back to pending once the reservation is stale and the worker answers idle, then starts exactly once', async () => {
        await claimAndDie();
        const fake = new FakeClient();
        let wakes = 0;
        const checker = checkerOf(stores[1], fake, () => wakes++);
        // Within the reservation timeout the start may still be on its way: an idle answer changes nothing.
        clock.advance(RESERVATION_TIMEOUT_MS - 1_000);
        await checker.checkAll();
        expect(await stores[1].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
        expect((await registryOf(stores[1]).states())[0]).toMatchObject({ status: 'busy', reserved: true, currentOperationId: 'op-000' });

        clock.advance(2_000);
        await checker.checkAll();
        const requeued = await stores[1].operations.get('op-000');
        expect(requeued).toMatchObject({ status: 'pending', workerId: null, startedAt: null });
        expect(requeued?.metadata.queued_at).toBe(new Date(clock.now()).toISOString());
        expect((await registryOf(stores[1]).states())[0]).toMatchObject({ status: 'available', reserved: false, currentOperationId: null });
        expect(wakes).toBe(1);

        // Another pass finds nothing more to do; the next dispatch starts it once.
        await checker.checkAll();
        const dispatcher = new Dispatcher(
          { operations: stores[1].operations, registry: registryOf(stores[1]), client: asClient(fake), checkpoints: noCheckpoints, clock, logger },
          { intervalMs: HOUR, statusCheckTimeoutMs: 100 },
        );
        expect(await dispatcher.dispatchPending()).toBe(1);
        expect(await dispatcher.dispatchPending()).toBe(0);
        expect(fake.starts).toEqual([{ endpoint: 'http://127.0.0.1:1/w-0', operationId: 'op-000' }]);
        expect(await stores[0].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
      });

      it('two backends requeueing at once: exactly one acts', async () => {
        const claim = await claimAndDie();
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        const results = await Promise.all(
          [0, 1, 0, 1].map((i) => registryOf(stores[i]!).requeueUnstarted('w-0', 'op-000', claim.epoch, false)),
        );
        expect(results.filter((row) => row !== null)).toHaveLength(1);
        expect(await stores[0].operations.get('op-000')).toMatchObject({ status: 'pending', workerId: null });
        // Claimed again: the old assignment's requeue is a no-op (compare-and-set on the epoch), even once stale.
        const [again] = await registryOf(stores[1]).claim(['training'], 1);
        expect(again?.epoch).not.toBe(claim.epoch);
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        expect(await registryOf(stores[0]).requeueUnstarted('w-0', 'op-000', claim.epoch, false)).toBeNull();
        expect(await stores[0].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
      });

      it('a worker that says it runs the operation keeps it', async () => {
        await claimAndDie();
        const fake = new FakeClient();
        fake.answers.set('w-0', busyWith('op-000'));
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        await checkerOf(stores[1], fake).checkAll();
        expect(await stores[1].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
        expect(await stores[1].workers.get('w-0')).toMatchObject({ status: 'busy', currentOperationId: 'op-000' });
      });

      it('a worker that does not answer does not requeue it (the orphan rules apply)', async () => {
        await claimAndDie();
        const fake = new FakeClient();
        fake.answers.set('w-0', 'down');
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        await checkerOf(stores[1], fake).checkAll();
        expect(await stores[1].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
        expect(await stores[1].workers.get('w-0')).toMatchObject({ currentOperationId: 'op-000', healthCheckFailures: 1 });
      });

      it('a worker that knows the operation (it ran it; its outcome is still on its way) keeps it', async () => {
        await claimAndDie();
        const fake = new FakeClient();
        fake.known.add('op-000');
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        await checkerOf(stores[1], fake).checkAll();
        expect(await stores[1].operations.get('op-000')).toMatchObject({ status: 'running', workerId: 'w-0' });
      });

      it('a worker busy with another operation frees this one but stays busy', async () => {
        await claimAndDie();
        const fake = new FakeClient();
        fake.answers.set('w-0', busyWith('op-unknown'));
        clock.advance(RESERVATION_TIMEOUT_MS + 1_000);
        await checkerOf(stores[1], fake).checkAll();
        expect(await stores[1].operations.get('op-000')).toMatchObject({ status: 'pending', workerId: null });
        expect((await registryOf(stores[1]).states())[0]).toMatchObject({ status: 'busy', reserved: false });
      });
    });

    it('a notification of the dispatch channel wakes the other backend’s dispatcher', async () => {
      const fake = new FakeClient();
      const registry = registryOf(stores[1]);
      const dispatcher = new Dispatcher(
        { operations: stores[1].operations, registry, client: asClient(fake), checkpoints: noCheckpoints, clock, logger },
        { intervalMs: HOUR, statusCheckTimeoutMs: 100 },
      );
      const started = new Promise<void>((resolve) => (fake.onStart = resolve));
      const unsubscribe = stores[1].notifications.subscribe(DISPATCH_CHANNEL, () => dispatcher.trigger());
      await stores[1].notifications.ready();
      try {
        await addWorkers(registryOf(stores[0]), 1);
        await addOperations(1);
        stores[0].notifications.notify(DISPATCH_CHANNEL);
        await Promise.race([started, new Promise((_, reject) => setTimeout(() => reject(new Error('no start within 10 s')), 10_000))]);
        await dispatcher.whenIdle();
        expect(fake.starts).toEqual([{ endpoint: 'http://127.0.0.1:1/w-0', operationId: 'op-000' }]);
      } finally {
        unsubscribe();
      }
    });

    it('notifyOthers does not call this backend’s own subscribers; on PostgreSQL the other backend hears it', async () => {
      let heard = 0;
      const unsubscribe = stores[0].notifications.subscribe(DISPATCH_CHANNEL, () => heard++);
      let off = () => {};
      const otherSeen = new Promise<void>((resolve) => (off = stores[1].notifications.subscribe(DISPATCH_CHANNEL, resolve)));
      await stores[1].notifications.ready();
      try {
        stores[0].notifications.notifyOthers(DISPATCH_CHANNEL);
        expect(heard).toBe(0);
        // One process (PGlite): there is nobody else to tell, and this process's subscribers were not called.
        if (harness.separate) await otherSeen;
        expect(heard).toBe(0);
      } finally {
        off();
        unsubscribe();
      }
    });

    if (harness.separate) {
      it('a backend does not hear its own notifications back (it already told its own subscribers)', async () => {
        let heard = 0;
        const unsubscribe = stores[0].notifications.subscribe(DISPATCH_CHANNEL, () => heard++);
        let other = 0;
        const otherSeen = new Promise<void>((resolve) => {
          const off = stores[1].notifications.subscribe(DISPATCH_CHANNEL, () => {
            other++;
            off();
            resolve();
          });
        });
        try {
          stores[0].notifications.notify(DISPATCH_CHANNEL);
          expect(heard).toBe(1);
          await otherSeen;
          // The other backend heard it, so the NOTIFY went round; a round trip on this connection too settles it.
          await stores[0].client.query('SELECT 1');
          expect(other).toBe(1);
          expect(heard).toBe(1);
        } finally {
          unsubscribe();
        }
      });
    }
  });
}
