/**
 * The backtest's position manager (STRATEGY-V3 9.2-9.3, corrected per appendix C 13-14): orders decided at
 * a close fill at the next bar's open, the original's 25 % whole-unit sizing, commission and slippage on
 * every fill, the force-close at the last bar's close, both sides treated alike, and snapshot/restore
 * continuing exactly. Figures worked by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { BacktestEngine, type EngineBar } from '../../src/backtest/engine.js';
import { BacktestError } from '../../src/backtest/errors.js';
import type { Decision } from '../../src/backtest/types.js';
import { randomCloses, randomDecisions, seededRandom, timeOf } from './helpers.js';

const bar = (index: number, open: number, close: number): EngineBar => ({ index, time: timeOf(index), open, close });
const always = (decision: Decision) => () => decision;

/** Bars 0..n−2 through onBar with `decisions`, bar n−1 through finish. */
function run(engine: BacktestEngine, opens: readonly number[], closes: readonly number[], decisions: readonly Decision[]): void {
  const last = closes.length - 1;
  for (let i = 0; i < last; i++) engine.onBar(bar(i, opens[i]!, closes[i]!), always(decisions[i]!));
  engine.finish(bar(last, opens[last]!, closes[last]!));
}

describe('BacktestEngine on a hand-made series', () => {
  // Capital 10,000; commission 1 %; slippage 1 %; 50 % of the cash per entry, whole units.
  // bar 0 open 100 close 100: BUY decided (pending)                            equity 10,000
  // bar 1 open 100: long fills. q = floor(0.5 × 10000 / 1.01 / 100) = 49; F = 101; fee 101 × 49 × 0.01 = 49.49
  //   cash 10000 − 4949 − 49.49 = 5001.51; close 110 → 5001.51 + 4949 + 9 × 49 = 10,391.51
  // bar 2 open 120 close 121: SELL decided → 5001.51 + 4949 + 20 × 49 = 10,930.51
  // bar 3 open 120: long closes. X = 118.8; gross 17.8 × 49 = 872.2; fee 118.8 × 49 × 0.01 = 58.212
  //   cash 5001.51 + 4949 + 872.2 − 58.212 = 10,764.498; pnl 872.2 − 49.49 − 58.212 = 764.498; close 110; SELL decided
  // bar 4 open 100: short fills. q = floor(0.5 × 10764.498 / 1.01 / 100) = 53; F = 99; fee 52.47
  //   cash 10764.498 − 5247 − 52.47 = 5465.028; close 90 → 5465.028 + 5247 + 9 × 53 = 11,189.028
  // bar 5 (last) open 95 close 80: force-close. X = 80.8; gross 18.2 × 53 = 964.6; fee 42.824
  //   cash 5465.028 + 5247 + 964.6 − 42.824 = 11,633.804; pnl 964.6 − 52.47 − 42.824 = 869.306
  const opens = [100, 100, 120, 120, 100, 95];
  const closes = [100, 110, 121, 110, 90, 80];
  const decisions: Decision[] = ['BUY', 'HOLD', 'SELL', 'SELL', 'HOLD'];
  const options = { initialCapital: 10_000, commission: 0.01, slippage: 0.01, positionSize: 0.5 };

  function handRun(): BacktestEngine {
    const engine = new BacktestEngine(options);
    run(engine, opens, closes, decisions);
    return engine;
  }

  it('gives the hand-computed equity at every bar, the last one after the force-close', () => {
    const equity = Array.from(handRun().equityValues());
    const expected = [10_000, 10_391.51, 10_930.51, 10_764.498, 11_189.028, 11_633.804];
    expect(equity).toHaveLength(expected.length);
    equity.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 9));
  });

  it('fills each order at the next bar\'s open, sized 50 % of the cash in whole units, costs on both fills', () => {
    const trades = handRun().closedTrades();
    expect(trades).toHaveLength(2);
    const [long, short] = trades as [NonNullable<(typeof trades)[0]>, NonNullable<(typeof trades)[0]>];
    expect(long).toMatchObject({ direction: 'LONG', entry_time: timeOf(1), exit_time: timeOf(3), units: 49, forced: false, holding_hours: 2 });
    expect(long.entry_price).toBeCloseTo(101, 12);
    expect(long.exit_price).toBeCloseTo(118.8, 12);
    expect(long.gross_pnl).toBeCloseTo(872.2, 9);
    expect(long.pnl).toBeCloseTo(764.498, 9);
    expect(long.commission).toBeCloseTo(49.49 + 58.212, 9);
    expect(long.return).toBeCloseTo(764.498 / 4949, 12);
    expect(long.max_favorable_excursion).toBeCloseTo(980, 9);
    expect(long.max_adverse_excursion).toBeCloseTo(441, 9);
    expect(short).toMatchObject({ direction: 'SHORT', entry_time: timeOf(4), exit_time: timeOf(5), units: 53, forced: true, holding_hours: 1 });
    expect(short.entry_price).toBeCloseTo(99, 12);
    expect(short.exit_price).toBeCloseTo(80.8, 12);
    expect(short.pnl).toBeCloseTo(869.306, 9);
    expect(short.max_favorable_excursion).toBeCloseTo(19 * 53, 9);
    expect(short.max_adverse_excursion).toBeCloseTo(9 * 53, 9);
  });

  it('the trades\' P&L sums to the final equity minus the initial capital', () => {
    const engine = handRun();
    const sum = engine.closedTrades().reduce((total, trade) => total + trade.pnl, 0);
    expect(engine.result().final_equity - 10_000).toBeCloseTo(sum, 9);
  });

  it('results carry ISO times (trades and equity curve)', () => {
    const result = handRun().result();
    expect(result.trades[0]?.entry_time).toBe(new Date(timeOf(1)).toISOString());
    expect(result.equity_curve[0]?.time).toBe(new Date(timeOf(0)).toISOString());
  });
});

describe('BacktestEngine rules', () => {
  it('treats both sides alike: right after an entry marked at its own price, equity is the capital less the entry commission', () => {
    for (const signal of ['BUY', 'SELL'] as const) {
      const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0.01, slippage: 0, positionSize: 0.5 });
      engine.onBar(bar(0, 100, 100), always(signal));
      engine.onBar(bar(1, 100, 100), always('HOLD'));
      // q = floor(5000 / 1.01 / 100) = 49; entry commission 49 × 100 × 0.01 = 49 (the original showed 10,000 for the short).
      expect(engine.account().equity, signal).toBeCloseTo(10_000 - 49, 9);
    }
  });

  it('a decision is never filled at a price it has seen: the fill is the next open, whatever the close', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0, slippage: 0, positionSize: 1 });
    engine.onBar(bar(0, 100, 50), always('BUY')); // the close it decided at is 50
    engine.onBar(bar(1, 80, 90), always('SELL'));
    engine.finish(bar(2, 60, 70));
    const [trade] = engine.closedTrades();
    expect(trade).toMatchObject({ entry_price: 80, exit_price: 60, entry_time: timeOf(1), exit_time: timeOf(2), units: 125 });
  });

  it('an order pending at the last bar fills at its open and is force-closed at its close', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0, slippage: 0, positionSize: 1 });
    engine.onBar(bar(0, 100, 100), always('BUY'));
    engine.finish(bar(1, 100, 110));
    expect(engine.closedTrades()).toMatchObject([{ entry_price: 100, exit_price: 110, units: 100, forced: true }]);
    expect(engine.result().final_equity).toBe(11_000);
  });

  it('refuses a BUY while long and a SELL while short; a close never opens the other side', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0, slippage: 0, positionSize: 0.5 });
    engine.onBar(bar(0, 100, 100), always('BUY'));
    engine.onBar(bar(1, 100, 100), always('BUY'));
    expect(engine.account().position?.units).toBe(50);
    engine.onBar(bar(2, 100, 100), always('SELL')); // BUY refused here: still 50 units
    expect(engine.account().position?.units).toBe(50);
    engine.onBar(bar(3, 100, 100), always('HOLD')); // the SELL closes the long only
    expect(engine.account().position).toBeNull();
    expect(engine.closedTrades()).toHaveLength(1);
  });

  it('sizes 25 % of the cash in whole units by default, fractional units on request', () => {
    const whole = new BacktestEngine({ initialCapital: 10_000, commission: 0.001, slippage: 0 });
    whole.onBar(bar(0, 7, 7), always('BUY'));
    whole.onBar(bar(1, 7, 7), always('HOLD'));
    expect(whole.account().position?.units).toBe(Math.floor(2500 / 1.001 / 7)); // 356
    const fractional = new BacktestEngine({ initialCapital: 10_000, commission: 0.001, slippage: 0, wholeUnits: false });
    fractional.onBar(bar(0, 7, 7), always('BUY'));
    fractional.onBar(bar(1, 7, 7), always('HOLD'));
    expect(fractional.account().position?.units).toBeCloseTo(2500 / 1.001 / 7, 12);
  });

  it('shrinks an entry the slippage makes too dear, and makes none when not one unit is affordable', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0, slippage: 0.01, positionSize: 1 });
    engine.onBar(bar(0, 100, 100), always('BUY'));
    engine.onBar(bar(1, 100, 100), always('HOLD'));
    // q = 100 at 100, but the fill is 101: 10,100 > 10,000, so q = floor(10000 / 101) = 99.
    expect(engine.account().position?.units).toBe(99);
    const poor = new BacktestEngine({ initialCapital: 100, commission: 0, slippage: 0 });
    poor.onBar(bar(0, 500, 500), always('BUY'));
    poor.finish(bar(1, 500, 500));
    expect(poor.closedTrades()).toHaveLength(0);
    expect(poor.result().final_equity).toBe(100);
  });

  it('commission is charged on entry and exit: a round trip at a constant price costs exactly the two fills', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0.002, slippage: 0, positionSize: 1, wholeUnits: false });
    engine.onBar(bar(0, 50, 50), always('SELL'));
    engine.onBar(bar(1, 50, 50), always('BUY'));
    engine.finish(bar(2, 50, 50));
    const units = 10_000 / 1.002 / 50;
    const [trade] = engine.closedTrades();
    expect(trade?.commission).toBeCloseTo(2 * units * 50 * 0.002, 9);
    expect(engine.result().final_equity).toBeCloseTo(10_000 - 2 * units * 50 * 0.002, 9);
  });

  it('rejects bars out of order, bad prices, unknown decisions and bars after finish', () => {
    const engine = new BacktestEngine({});
    engine.onBar(bar(3, 100, 100), always('HOLD'));
    expect(() => engine.onBar(bar(3, 100, 100), always('HOLD'))).toThrow(/bar index 3 does not come after/);
    expect(() => engine.onBar({ index: 4, time: timeOf(2), open: 1, close: 1 }, always('HOLD'))).toThrow(/is not after the previous bar's time/);
    expect(() => engine.onBar(bar(4, 0, 100), always('HOLD'))).toThrow(/open 0 must be a positive/);
    expect(() => engine.onBar(bar(4, 100, Number.NaN), always('HOLD'))).toThrow(/close NaN/);
    expect(() => engine.onBar(bar(4, 100, 100), always('LONG' as Decision))).toThrow(/"LONG" at bar 4 must be one of/);
    engine.finish(bar(5, 100, 100));
    expect(() => engine.onBar(bar(6, 100, 100), always('HOLD'))).toThrow(BacktestError);
  });

  it('rejects bad options, naming the option and its value, and has the documented defaults', () => {
    expect(() => new BacktestEngine({ positionSize: 1.5 })).toThrow(/positionSize: 1.5/);
    expect(() => new BacktestEngine({ commission: -0.1 })).toThrow(/commission: -0.1/);
    expect(new BacktestEngine({}).options).toEqual({ initialCapital: 100_000, commission: 0.001, slippage: 0.0005, positionSize: 0.25, wholeUnits: true });
  });

  it('thins the output curve evenly, keeping the first and last bars', () => {
    const engine = new BacktestEngine({});
    for (let i = 0; i < 100; i++) engine.onBar(bar(i, 100, 100 + i), always('HOLD'));
    const curve = engine.equityCurve(5);
    expect(curve.map((p) => p.time)).toEqual([0, 25, 50, 74, 99].map((i) => new Date(timeOf(i)).toISOString()));
    expect(() => engine.equityCurve(1)).toThrow(/maxPoints 1/);
  });
});

describe('BacktestEngine snapshot', () => {
  it('restored at any bar (pending order and open position included) continues bit-identically', () => {
    const random = seededRandom(11);
    const n = 600;
    const closes = Array.from(randomCloses(n, random));
    const opens = closes.map((close, i) => (i === 0 ? close : closes[i - 1]! * (1 + (random() - 0.5) * 0.004)));
    const decisions = randomDecisions(n, random, 0.3);
    const options = { initialCapital: 50_000, commission: 0.001, slippage: 0.0005 };
    const whole = new BacktestEngine(options);
    run(whole, opens, closes, decisions);
    expect(whole.closedTrades().length).toBeGreaterThan(20);
    for (const stop of [1, 137, 300, 598]) {
      const first = new BacktestEngine(options);
      for (let i = 0; i < stop; i++) first.onBar(bar(i, opens[i]!, closes[i]!), always(decisions[i]!));
      const restored = BacktestEngine.restore(JSON.parse(JSON.stringify(first.snapshot())));
      for (let i = stop; i < n - 1; i++) restored.onBar(bar(i, opens[i]!, closes[i]!), always(decisions[i]!));
      restored.finish(bar(n - 1, opens[n - 1]!, closes[n - 1]!));
      expect(restored.snapshot(), `stopped at ${stop}`).toEqual(whole.snapshot());
      expect(restored.result()).toEqual(whole.result());
    }
  });

  it('keeps the pending order across a snapshot', () => {
    const engine = new BacktestEngine({ commission: 0, slippage: 0 });
    engine.onBar(bar(0, 100, 100), always('BUY'));
    const restored = BacktestEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    expect(restored.account().pending).toBe('BUY');
    restored.onBar(bar(1, 100, 100), always('HOLD'));
    expect(restored.account().position?.entry_time).toBe(timeOf(1));
  });

  it('rejects a damaged snapshot, naming the field', () => {
    const snapshot = { ...new BacktestEngine({}).snapshot(), pending: 'LONG' };
    expect(() => BacktestEngine.restore(snapshot)).toThrow(/pending/);
    expect(() => BacktestEngine.restore({ format: 'ktrdr.backtest.engine.v1' })).toThrow(/format/);
  });
});
