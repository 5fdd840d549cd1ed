/**
 * The checkpoint policy (units or time, whichever first) on its own and as the
 * runner applies it, with a ManualClock: time moves only when the test says so.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CheckpointUpload, OperationOutcome } from '../../src/api/contract.js';
import { ManualClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/logging/logger.js';
import { CheckpointPolicy } from '../../src/worker/checkpoint-policy.js';
import { OperationRunner, type OperationReporter } from '../../src/worker/operation-runner.js';
import type { Workload } from '../../src/workloads/types.js';
import { Writable } from 'node:stream';

describe('CheckpointPolicy', () => {
  it('is due after N units', () => {
    const policy = new CheckpointPolicy({ unitInterval: 3, timeIntervalMs: 60_000, clock: new ManualClock() });
    policy.begin(0);
    expect([1, 2].map((units) => policy.due(units))).toEqual([null, null]);
    expect(policy.due(3)).toBe('interval');
    policy.taken(3);
    expect(policy.due(5)).toBeNull();
    expect(policy.due(6)).toBe('interval');
  });

  it('is due after the time interval even when few units passed', () => {
    const clock = new ManualClock();
    const policy = new CheckpointPolicy({ unitInterval: 100, timeIntervalMs: 5_000, clock });
    policy.begin(0);
    clock.advance(4_999);
    expect(policy.due(1)).toBeNull();
    clock.advance(1);
    expect(policy.due(1)).toBe('time');
    policy.taken(1);
    clock.advance(4_999);
    expect(policy.due(2)).toBeNull();
  });

  it('counts from the resumed units, and never checkpoints without new units', () => {
    const clock = new ManualClock();
    const policy = new CheckpointPolicy({ unitInterval: 2, timeIntervalMs: 1_000, clock });
    policy.begin(10);
    expect(policy.due(11)).toBeNull();
    expect(policy.due(12)).toBe('interval');
    clock.advance(10_000);
    expect(policy.due(10)).toBeNull();
  });

  it('refuses intervals that are not positive', () => {
    expect(() => new CheckpointPolicy({ unitInterval: 0, timeIntervalMs: 1, clock: new ManualClock() })).toThrow(/unit interval must be > 0 \(got 0\)/);
    expect(() => new CheckpointPolicy({ unitInterval: 1, timeIntervalMs: 0, clock: new ManualClock() })).toThrow(/time interval/);
  });
});

/** A workload that reports a unit per entry of `msPerUnit`, moving the manual clock by that much first. */
function scriptedWorkload(clock: ManualClock, msPerUnit: readonly number[]): Workload<{ tag: string }> {
  return {
    type: 'dummy',
    workerTypes: ['training'],
    paramsSchema: z.object({ tag: z.string() }),
    async run(context) {
      for (const [index, ms] of msPerUnit.entries()) {
        clock.advance(ms);
        await context.unitDone(index + 1, () => ({ unit: index + 1, tag: context.params.tag }));
      }
      return { resultSummary: { units: msPerUnit.length } };
    },
  };
}

class RecordingReporter implements OperationReporter {
  readonly checkpoints: Omit<CheckpointUpload, 'worker_id'>[] = [];
  readonly outcomes: Omit<OperationOutcome, 'worker_id'>[] = [];
  async uploadCheckpoint(_operationId: string, upload: Omit<CheckpointUpload, 'worker_id'>) {
    this.checkpoints.push(upload);
  }
  async reportOutcome(_operationId: string, outcome: Omit<OperationOutcome, 'worker_id'>) {
    this.outcomes.push(outcome);
  }
}

const silentLogger = createLogger({ level: 'ERROR', format: 'json', name: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

async function runScripted(unitInterval: number, timeIntervalMs: number, msPerUnit: readonly number[]) {
  const clock = new ManualClock();
  const reporter = new RecordingReporter();
  const runner = new OperationRunner({
    workerId: 'w1',
    workerType: 'training',
    workloads: [scriptedWorkload(clock, msPerUnit)],
    reporter,
    checkpointUnitInterval: unitInterval,
    checkpointTimeIntervalMs: timeIntervalMs,
    clock,
    logger: silentLogger,
  });
  runner.start({ operation_id: 'op-1', operation_type: 'dummy', params: { tag: 'x' }, checkpoint: null });
  await runner.settled();
  return reporter;
}

describe('OperationRunner applies the checkpoint policy', () => {
  it('by units: every 3 units, with the state the workload built', async () => {
    const reporter = await runScripted(3, 3_600_000, [10, 10, 10, 10, 10, 10, 10]);
    expect(reporter.checkpoints).toEqual([
      { units: 3, state: { unit: 3, tag: 'x' }, reason: 'interval' },
      { units: 6, state: { unit: 6, tag: 'x' }, reason: 'interval' },
    ]);
    expect(reporter.outcomes[0]).toMatchObject({ status: 'completed', result_summary: { units: 7 } });
  });

  it('by time: slow units checkpoint when the interval passed, whichever comes first', async () => {
    // 1 s per unit for three units, then 30 s for the fourth: with 100 units or 2.5 s, 3 then 4 are due by time.
    const reporter = await runScripted(100, 2_500, [1_000, 1_000, 1_000, 30_000, 1_000]);
    expect(reporter.checkpoints.map((checkpoint) => [checkpoint.units, checkpoint.reason])).toEqual([
      [3, 'time'],
      [4, 'time'],
    ]);
  });
});
