/** Each learning-rate scheduler's sequence of rates, worked by hand, and its state round trip. */
import { describe, expect, it } from 'vitest';
import { LrScheduler, LrSchedulerError } from '../../src/nn/scheduler.js';

const rates = (scheduler: LrScheduler, losses: readonly number[]) => losses.map((loss) => scheduler.step(loss));

describe('LrScheduler', () => {
  it('step: × gamma every step_size epochs', () => {
    const scheduler = new LrScheduler({ type: 'step', step_size: 2, gamma: 0.5 }, 0.1);
    expect(rates(scheduler, [1, 1, 1, 1, 1])).toEqual([0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(new LrScheduler({ type: 'step' }, 1).config).toEqual({ type: 'step', step_size: 30, gamma: 0.1 });
  });

  it('exponential: × gamma every epoch', () => {
    const scheduler = new LrScheduler({ type: 'exponential', gamma: 0.5 }, 0.08);
    expect(rates(scheduler, [1, 1, 1])).toEqual([0.04, 0.02, 0.01]);
    expect(new LrScheduler({ type: 'exponential' }, 1).config).toEqual({ type: 'exponential', gamma: 0.95 });
  });

  it('reduce_on_plateau: × factor once more than `patience` epochs fail to improve by the relative threshold, then cooldown', () => {
    const scheduler = new LrScheduler({ type: 'reduce_on_plateau', factor: 0.5, patience: 1, threshold: 0.1, cooldown: 1 }, 1);
    // best 1.0; 0.95 is not below 1.0·0.9 (bad 1); 0.95 again (bad 2 > 1: halve, cooldown 1);
    // 0.95 (cooldown: bad reset); 0.95 (bad 1); 0.95 (bad 2: halve); 0.5 improves.
    expect(rates(scheduler, [1, 0.95, 0.95, 0.95, 0.95, 0.95, 0.5])).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  it('reduce_on_plateau stops at min_lr', () => {
    const scheduler = new LrScheduler({ type: 'reduce_on_plateau', factor: 0.1, patience: 0, min_lr: 0.005 }, 0.1);
    expect(rates(scheduler, [1, 1, 1, 1])).toEqual([0.1, 0.010000000000000002, 0.005, 0.005]);
  });

  it('continues from its state exactly as without the interruption', () => {
    const config = { type: 'reduce_on_plateau', patience: 2 } as const;
    const losses = [3, 2, 2.5, 2.4, 2.3, 2.2, 2.1, 2.05];
    const straight = rates(new LrScheduler(config, 0.01), losses);
    const first = new LrScheduler(config, 0.01);
    const before = rates(first, losses.slice(0, 4));
    const resumed = LrScheduler.restore(config, JSON.parse(JSON.stringify(first.state())));
    expect([...before, ...rates(resumed, losses.slice(4))]).toEqual(straight);
    // 2.5, 2.4, 2.3 fail to beat 2 (halved at the third), then 2.2, 2.1, 2.05 fail to beat 2 again.
    expect(straight).toEqual([0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025]);
  });

  it('refuses bad parameters and states, naming the field', () => {
    expect(() => new LrScheduler({ type: 'step', step_size: 0 }, 1)).toThrow(/lr_scheduler.step_size/);
    expect(() => new LrScheduler({ type: 'cosine' } as never, 1)).toThrow(LrSchedulerError);
    expect(() => LrScheduler.restore({ type: 'step' }, { epochs: -1 })).toThrow(/lr_scheduler state.epochs/);
  });
});
