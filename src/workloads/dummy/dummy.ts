/**
 * The `dummy` operation: N steps of `step_delay_ms` each, one checkpoint unit
 * per step, failing at `fail_at_step` when told to. It needs no data, so it
 * exercises dispatch, progress, checkpoints, resume and cancellation alone.
 */
import { DummyStartBody } from '../../api/contract.js';
import { createError } from '../../common/errors.js';
import { abortableSleep } from '../abort.js';
import type { Workload, WorkloadContext, WorkloadResult } from '../types.js';

/** What a dummy checkpoint holds. */
interface DummyState {
  readonly step: number;
}

/** Thrown at `fail_at_step`, so the failure names the step and the parameter that asked for it. */
export class DummyStepFailure extends createError('DummyStepFailure', {
  message: (step: number) => `dummy operation failed at step ${step} as requested (fail_at_step=${step})`,
  fields: (step) => ({ step }),
}) {}

function resumedStep(context: WorkloadContext<DummyStartBody>): number {
  const { resumeFrom } = context;
  if (!resumeFrom) return 0;
  const state = resumeFrom.state as Partial<DummyState> | null;
  const step = typeof state?.step === 'number' ? state.step : resumeFrom.units;
  return Math.max(0, Math.min(step, context.params.steps));
}

async function runDummy(context: WorkloadContext<DummyStartBody>): Promise<WorkloadResult> {
  const { steps, step_delay_ms: delayMs, fail_at_step: failAtStep } = context.params;
  const startStep = resumedStep(context);
  const report = (done: number) =>
    context.progress({
      percentage: (done / steps) * 100,
      current_step: `step ${done}/${steps}`,
      steps_completed: done,
      steps_total: steps,
      items_processed: done,
      items_total: steps,
      context: { resumed_from_step: context.resumeFrom ? startStep : null },
    });
  report(startStep);
  for (let step = startStep + 1; step <= steps; step++) {
    await abortableSleep(delayMs, context.signal);
    if (step === failAtStep) throw new DummyStepFailure(step);
    report(step);
    await context.unitDone(step, (): DummyState => ({ step }));
  }
  return { resultSummary: { steps, resumed_from_step: context.resumeFrom ? startStep : null } };
}

export const dummyWorkload: Workload<DummyStartBody> = {
  type: 'dummy',
  workerTypes: ['training', 'backtesting'],
  paramsSchema: DummyStartBody,
  run: runDummy,
};
