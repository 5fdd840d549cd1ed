/**
 * When a running operation checkpoints: after `unitInterval` units (epochs,
 * bars, steps) or `timeIntervalMs` since the last checkpoint, whichever comes
 * first. Time comes from an injected clock so tests move it instead of waiting.
 */
import type { Clock } from '../common/clock.js';

export interface CheckpointPolicyOptions {
  /** KTRDR_CHECKPOINT_EPOCH_INTERVAL. */
  readonly unitInterval: number;
  /** KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS, in ms. */
  readonly timeIntervalMs: number;
  readonly clock: Clock;
}

export type CheckpointTrigger = 'interval' | 'time';

export class CheckpointPolicy {
  private lastUnits = 0;
  private lastAt = 0;

  constructor(private readonly options: CheckpointPolicyOptions) {
    if (!(options.unitInterval > 0)) throw new RangeError(`checkpoint unit interval must be > 0 (got ${options.unitInterval})`);
    if (!(options.timeIntervalMs > 0)) throw new RangeError(`checkpoint time interval must be > 0 ms (got ${options.timeIntervalMs})`);
  }

  /** Starts counting from `units` (0, or where a resumed operation starts) and now. */
  begin(units: number): void {
    this.taken(units);
  }

  /** Why a checkpoint is due at `units`, or null when none is. Units are checked first. */
  due(units: number): CheckpointTrigger | null {
    if (units <= this.lastUnits) return null; // nothing new to save
    if (units - this.lastUnits >= this.options.unitInterval) return 'interval';
    if (this.options.clock.now() - this.lastAt >= this.options.timeIntervalMs) return 'time';
    return null;
  }

  /** Records that a checkpoint at `units` was just taken. */
  taken(units: number): void {
    this.lastUnits = units;
    this.lastAt = this.options.clock.now();
  }
}
