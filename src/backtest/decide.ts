/** Turns the model's class probabilities into a trading decision. */
import { BacktestError } from './errors.js';
import { DECISIONS, type Decision } from './types.js';

/**
 * Argmax over [BUY, HOLD, SELL]; HOLD when the winning probability is below
 * `confidenceThreshold`, and HOLD when the top probability is shared by two
 * classes (no clear signal, so no order rather than an arbitrary side).
 */
export function decide(probabilities: Float64Array | readonly number[], confidenceThreshold: number): Decision {
  if (probabilities.length !== DECISIONS.length) {
    throw new BacktestError(
      `probabilities: expected ${DECISIONS.length} values [BUY, HOLD, SELL], got ${probabilities.length}`,
    );
  }
  if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
    throw new BacktestError(`confidenceThreshold: ${confidenceThreshold} must be within [0, 1]`);
  }
  let best = 0;
  let bestP = -Infinity;
  let tied = false;
  for (let i = 0; i < DECISIONS.length; i++) {
    const p = probabilities[i] as number;
    if (!Number.isFinite(p)) throw new BacktestError(`probabilities[${i}]: ${p} is not a finite number`);
    if (p > bestP) {
      best = i;
      bestP = p;
      tied = false;
    } else if (p === bestP) {
      tied = true;
    }
  }
  if (tied || bestP < confidenceThreshold) return 'HOLD';
  return DECISIONS[best] as Decision;
}
