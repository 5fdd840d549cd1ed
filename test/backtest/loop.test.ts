/**
 * The bar loop (src/backtest/loop.ts) with a scripted predictor and a regression decision function:
 * decided at a close, filled at the next open; shorts from flat in regression; the separation filter
 * counted from fills; a resume from any block boundary ends bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { createDecisionFunction, type DecisionConfig } from '../../src/backtest/decision.js';
import { BacktestEngine } from '../../src/backtest/engine.js';
import { runBarLoop, type Predictor } from '../../src/backtest/loop.js';
import { randomCloses, seededRandom, timeOf } from './helpers.js';

const regression: DecisionConfig = {
  output_format: 'regression',
  confidence_threshold: 0.5,
  position_awareness: true,
  allow_short_from_flat: false,
  min_signal_separation: 0,
  round_trip_cost: 0.001,
  min_edge_multiplier: 1,
};

function series(n: number, seed = 3) {
  const random = seededRandom(seed);
  const close = randomCloses(n, random);
  const open = Float64Array.from(close, (c, i) => (i === 0 ? c : close[i - 1]! * (1 + (random() - 0.5) * 0.002)));
  const time = Float64Array.from({ length: n }, (_, i) => timeOf(i));
  return { time, open, close };
}

/** Outputs per bar from a script: +1 = a predicted rise above θ, −1 a fall, 0 nothing, null no features. */
const scripted = (script: readonly (number | null)[]): Predictor => (row) => {
  const value = script[row];
  return value === null || value === undefined ? null : Float64Array.of(value * 0.01);
};

describe('runBarLoop', () => {
  it('fills each signal at the next bar\'s open; regression opens shorts from flat; the last bar only closes', async () => {
    const bars = series(8);
    const engine = new BacktestEngine({ commission: 0, slippage: 0, positionSize: 1, wholeUnits: false });
    //            bar:  0   1     2  3  4   5  6  7
    const script = [-1, 0, null, 1, 0, -1, 1, -1];
    await runBarLoop({ engine, bars, first: 0, last: 7, predictor: scripted(script), decide: createDecisionFunction(regression), blockSize: 100 });
    // SELL at 0 → short at 1's open; BUY at 3 → cover at 4; SELL at 5 → short at 6; BUY at 6 → cover at 7's open.
    // Bar 7 decides nothing (its −1 is never acted on).
    const trades = engine.closedTrades().map((t) => [t.direction, t.entry_time, t.exit_time, t.entry_price, t.exit_price]);
    expect(trades).toEqual([
      ['SHORT', timeOf(1), timeOf(4), bars.open[1], bars.open[4]],
      ['SHORT', timeOf(6), timeOf(7), bars.open[6], bars.open[7]],
    ]);
    expect(engine.isFinished).toBe(true);
    expect(engine.account().position).toBeNull();
  });

  it('holds a signal within min_signal_separation hours of the last fill', async () => {
    const bars = series(8);
    const engine = new BacktestEngine({ commission: 0, slippage: 0 });
    const decide = createDecisionFunction({ ...regression, min_signal_separation: 3 });
    // SELL at 0 fills at 1 (t1); the BUY decided at 2 and 3 (1 h and 2 h after t1) is held; at 4 (3 h) it acts, fills at 5.
    await runBarLoop({ engine, bars, first: 0, last: 7, predictor: scripted([-1, 0, 1, 1, 1, 0, 0, 0]), decide, blockSize: 100 });
    expect(engine.closedTrades().map((t) => [t.entry_time, t.exit_time])).toEqual([[timeOf(1), timeOf(5)]]);
  });

  it('calls onBlock every blockSize bars, and a run resumed from a block\'s snapshot ends identical', async () => {
    const n = 2_000;
    const bars = series(n, 9);
    const random = seededRandom(5);
    const script = Array.from({ length: n }, () => (random() < 0.1 ? (random() < 0.5 ? 1 : -1) : 0));
    const decide = createDecisionFunction(regression);
    const whole = new BacktestEngine({});
    const blocks: number[] = [];
    await runBarLoop({ engine: whole, bars, first: 10, last: n - 1, predictor: scripted(script), decide, blockSize: 250, onBlock: async (done) => void blocks.push(done) });
    expect(blocks).toEqual([250, 500, 750, 1_000, 1_250, 1_500, 1_750]);
    expect(whole.closedTrades().length).toBeGreaterThan(20);

    let saved: unknown = null;
    const stopped = new BacktestEngine({});
    await expect(
      runBarLoop({
        engine: stopped,
        bars,
        first: 10,
        last: n - 1,
        predictor: scripted(script),
        decide,
        blockSize: 250,
        onBlock: async (done) => {
          if (done === 750) {
            saved = JSON.parse(JSON.stringify(stopped.snapshot()));
            throw new Error('stop');
          }
        },
      }),
    ).rejects.toThrow('stop');
    const resumed = BacktestEngine.restore(saved);
    await runBarLoop({ engine: resumed, bars, first: 10, last: n - 1, predictor: scripted(script), decide, blockSize: 250 });
    expect(resumed.snapshot()).toEqual(whole.snapshot());
  });

  it('refuses bars outside the series', async () => {
    const bars = series(5);
    const run = runBarLoop({ engine: new BacktestEngine({}), bars, first: 2, last: 5, predictor: () => null, decide: createDecisionFunction(regression), blockSize: 10 });
    await expect(run).rejects.toThrow(/bars 2\.\.5 are not within the 5 bars given/);
  });
});
