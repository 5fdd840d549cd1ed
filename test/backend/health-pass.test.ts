/**
 * The health pass's bound on requests in flight (docs/architecture.md §5.3): never more than the concurrency at
 * once, the others queued until one is answered; a request unanswered past HEALTH_SLOW_REQUEST_MS gives its slot
 * to the next. The registry is a stand-in: what matters here is when the requests go out.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WorkerHealth } from '../../src/api/contract.js';
import { HEALTH_PASS_CONCURRENCY, HEALTH_SLOW_REQUEST_MS, HealthChecker } from '../../src/backend/services/health-checker.js';
import type { WorkerClient } from '../../src/backend/services/worker-client.js';
import type { HealthAnswer, WorkerRegistry } from '../../src/backend/services/worker-registry.js';
import { ManualClock } from '../../src/common/clock.js';
import type { Timers } from '../../src/common/periodic-task.js';
import type { OperationRepository, WorkerRow, WorkerState } from '../../src/store/types.js';

const logger = pino({ level: 'silent' });

const stateOf = (workerId: string): WorkerState => ({
  workerId,
  workerType: 'training',
  endpointUrl: `http://127.0.0.1:1/${workerId}`,
  status: 'available',
  currentOperationId: null,
  capabilities: {},
  metadata: {},
  registeredAt: new Date(0),
  lastHealthCheck: null,
  lastHealthyAt: null,
  healthCheckFailures: 0,
  reserved: false,
  draining: false,
  assignmentEpoch: 1,
  lastDispatchedAt: null,
});

/** Records every answer written; rows come back as they were listed. */
function fakeRegistry(count: number) {
  const states = Array.from({ length: count }, (_, i) => stateOf(`w-${i}`));
  const written: string[] = [];
  const registry = {
    states: async () => states,
    recordHealthyMany: async (answers: readonly HealthAnswer[]): Promise<WorkerRow[]> => {
      written.push(...answers.map((answer) => answer.workerId));
      return states.filter((state) => answers.some((answer) => answer.workerId === state.workerId));
    },
    recordFailures: async (ids: readonly string[]): Promise<WorkerRow[]> => states.filter((state) => ids.includes(state.workerId)),
    isReservationStale: () => false,
  };
  return { registry: registry as unknown as WorkerRegistry, written };
}

/** Health requests answered only when the test says so. */
class HeldClient {
  readonly pending: { workerId: string; answer: () => void }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  sent = 0;

  health(endpointUrl: string): Promise<WorkerHealth> {
    const workerId = endpointUrl.split('/').pop() as string;
    this.sent++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return new Promise((resolve) => {
      this.pending.push({
        workerId,
        answer: () => {
          this.inFlight--;
          resolve({ healthy: true, worker_id: workerId, worker_type: 'training', worker_status: 'idle', current_operation: null });
        },
      });
    });
  }

  /** Answers the oldest `count` requests. */
  answer(count: number): void {
    for (const request of this.pending.splice(0, count)) request.answer();
  }
}

/** Timers that fire only when the test advances them. */
class StepTimers implements Timers {
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private now = 0;
  private next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.now) continue;
      this.timers.delete(id);
      timer.fn();
    }
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await turn();
}

function checkerOf(count: number, client: HeldClient, timers: Timers, concurrency?: number) {
  const { registry, written } = fakeRegistry(count);
  const checker = new HealthChecker(
    {
      registry,
      operations: { get: async () => null } as unknown as Pick<OperationRepository, 'get'>,
      client: client as unknown as WorkerClient,
      clock: new ManualClock(),
      logger,
      onWorkerAvailable: () => {},
    },
    { intervalMs: 60_000, timeoutMs: 5_000, removalThresholdMs: 3_600_000, timers, ...(concurrency === undefined ? {} : { concurrency }) },
  );
  return { checker, written };
}

describe('health pass concurrency', () => {
  it(`never has more than ${HEALTH_PASS_CONCURRENCY} health requests in flight by default; the others go as answers come`, async () => {
    const client = new HeldClient();
    const { checker, written } = checkerOf(300, client, new StepTimers());
    const pass = checker.checkAll();
    await settle();
    expect(client.sent).toBe(HEALTH_PASS_CONCURRENCY);
    client.answer(10);
    await settle();
    expect(client.sent).toBe(HEALTH_PASS_CONCURRENCY + 10);
    while (client.pending.length > 0) {
      client.answer(7);
      await settle();
    }
    await pass;
    expect(client.sent).toBe(300);
    expect(client.maxInFlight).toBe(HEALTH_PASS_CONCURRENCY);
    expect(new Set(written).size).toBe(300);
  });

  it('a request unanswered past the slow threshold gives its slot to the next one', async () => {
    const client = new HeldClient();
    const timers = new StepTimers();
    const { checker, written } = checkerOf(10, client, timers, 4);
    const pass = checker.checkAll();
    await settle();
    expect(client.sent).toBe(4);
    timers.advance(HEALTH_SLOW_REQUEST_MS - 1);
    await settle();
    expect(client.sent).toBe(4);
    timers.advance(1); // the first 4 are slow now: 4 more go
    await settle();
    expect(client.sent).toBe(8);
    // An answer to a request whose slot already went does not free another one.
    client.answer(4);
    await settle();
    expect(client.sent).toBe(8);
    client.answer(1);
    await settle();
    expect(client.sent).toBe(9);
    timers.advance(HEALTH_SLOW_REQUEST_MS);
    await settle();
    expect(client.sent).toBe(10);
    client.answer(5);
    await pass;
    expect(new Set(written).size).toBe(10);
  });
});
