/**
 * The backtest account (docs/architecture.md §6.4): hand-worked trades, the cash + position value = equity
 * identity, costs applied once per fill, no look-ahead, and snapshot/restore continuing exactly.
 */
import { describe, expect, it } from 'vitest';
import { BacktestEngine } from '../../src/backtest/engine.js';
import { BacktestError } from '../../src/backtest/errors.js';
import type { Decision } from '../../src/backtest/types.js';
import { randomCloses, randomDecisions, seededRandom, timeOf } from './helpers.js';

function run(engine: BacktestEngine, closes: ArrayLike<number>, decisions: readonly Decision[], from = 0, to = closes.length): void {
  for (let i = from; i < to; i++) engine.onBar(i, timeOf(i), closes[i] as number, decisions[i] as Decision);
}

describe('BacktestEngine on a hand-made series', () => {
  // initial 10,000; commission 1 % of notional per fill; slippage 1 % of the close.
  // Worked by hand (and checked with exact rational arithmetic):
  // bar 0 close 100 BUY: fill 101; units u1 = 10000 / (101 × 1.01) = 98.02960494;
  //   notional 9900.99 + commission 99.01 = 10000 → cash 0; equity = u1 × 100 = 9802.96
  // bar 1 close 110 HOLD: equity = u1 × 110 = 10783.26
  // bar 2 close 121 SELL (reversal = two fills):
  //   exit long at 121 × 0.99 = 119.79: proceeds u1 × 119.79 = 11743.01, commission 117.43 → cash 11625.54
  //   trade 1 pnl = 11625.54 − 10000 = 1625.54; commission 99.01 + 117.43 = 216.44
  //   enter short at 119.79: u2 = 11625.54 / (119.79 × 1.01) = 96.08842464; notional 11510.43, commission 115.10
  //   cash = 11625.54 + 11510.43 − 115.10 = 23020.86; equity = cash − u2 × 121 = 11394.17
  // bar 3 close 110 HOLD: 23020.86 − u2 × 110 = 12451.14;  bar 4 close 100: 13412.02
  // bar 5 close 90 BUY: exit short at 90 × 1.01 = 90.9: cost u2 × 90.9 = 8734.44 + commission 87.34
  //   → cash 14199.08; trade 2 pnl = 14199.08 − 11625.54 = 2573.55; commission 115.10 + 87.34 = 202.45
  //   enter long at 90.9: u3 = 14199.08 / (90.9 × 1.01) = 154.65893974; equity = u3 × 90 = 13919.30
  // bar 6 close 99 HOLD, then finish(6): exit long at 98.01: u3 × 98.01 × 0.99 = 15006.54 = final equity
  //   trade 3 pnl = 15006.54 − 14199.08 = 807.46
  const closes = [100, 110, 121, 110, 100, 90, 99];
  const decisions: Decision[] = ['BUY', 'HOLD', 'SELL', 'HOLD', 'HOLD', 'BUY', 'HOLD'];

  function handRun(): BacktestEngine {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0.01, slippage: 0.01, barsPerYear: 252 });
    run(engine, closes, decisions);
    engine.finish(6, timeOf(6), 99);
    return engine;
  }

  it('gives the hand-computed equity at every bar, to the cent', () => {
    const equity = handRun().equityCurve().map((p) => p.equity);
    const expected = [9802.96, 10783.26, 11394.17, 12451.14, 13412.02, 13919.3, 15006.54];
    expect(equity).toHaveLength(expected.length);
    equity.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 2));
  });

  it('records the long, the short and the final long with their fills, units, pnl and commissions', () => {
    const trades = handRun().closedTrades();
    expect(trades.map((t) => t.direction)).toEqual(['LONG', 'SHORT', 'LONG']);
    expect(trades.map((t) => [t.entry_time, t.exit_time])).toEqual([
      [timeOf(0), timeOf(2)],
      [timeOf(2), timeOf(5)],
      [timeOf(5), timeOf(6)],
    ]);
    const expected = [
      { entry: 101, exit: 119.79, units: 98.0296049406921, pnl: 1625.54, ret: 0.16255367120870504, fee: 216.44 },
      { entry: 119.79, exit: 90.9, units: 96.0884246448368, pnl: 2573.55, ret: 0.22137007089138666, fee: 202.45 },
      { entry: 90.9, exit: 98.01, units: 154.65893973567057, pnl: 807.46, ret: 0.05686697382609548, fee: 292.17 },
    ];
    trades.forEach((trade, i) => {
      const want = expected[i]!;
      expect(trade.entry_price).toBeCloseTo(want.entry, 10);
      expect(trade.exit_price).toBeCloseTo(want.exit, 10);
      expect(trade.units).toBeCloseTo(want.units, 8);
      expect(trade.pnl).toBeCloseTo(want.pnl, 2);
      expect(trade.return).toBeCloseTo(want.ret, 10);
      expect(trade.commission).toBeCloseTo(want.fee, 2);
    });
    expect(handRun().result().final_equity).toBeCloseTo(15006.54, 2);
  });

  it('keeps cash + position value = equity on the hand-made bars, long and short', () => {
    const engine = new BacktestEngine({ initialCapital: 10_000, commission: 0.01, slippage: 0.01, barsPerYear: 252 });
    const cashAfter: number[] = [];
    const unitsAfter: number[] = [];
    for (let i = 0; i < closes.length; i++) {
      engine.onBar(i, timeOf(i), closes[i]!, decisions[i]!);
      const account = engine.account();
      expect(account.cash + account.units * closes[i]!).toBeCloseTo(engine.equityValues()[i]!, 8);
      cashAfter.push(account.cash);
      unitsAfter.push(account.units);
    }
    // Long: cash spent entirely; short: proceeds held as cash against negative units.
    expect(cashAfter[0]).toBeCloseTo(0, 8);
    expect(unitsAfter[0]).toBeCloseTo(98.0296049406921, 8);
    expect(cashAfter[2]).toBeCloseTo(23020.86, 2);
    expect(unitsAfter[2]).toBeCloseTo(-96.0884246448368, 8);
  });
});

describe('costs are charged once per fill', () => {
  const k = 0.002;
  const s = 0.001;
  const flat = (n: number) => new Array<number>(n).fill(50);

  it('a long round trip at a constant price costs exactly the two fills', () => {
    const engine = new BacktestEngine({ initialCapital: 1000, commission: k, slippage: s, barsPerYear: 252 });
    run(engine, flat(5), ['BUY', 'HOLD', 'HOLD', 'HOLD', 'HOLD']);
    // HOLD bars charge nothing: the marked equity stays the same while the price does.
    const held = Array.from(engine.equityValues());
    expect(new Set(held).size).toBe(1);
    expect(held[0]).toBeCloseTo((1000 / (50 * (1 + s) * (1 + k))) * 50, 9);
    engine.finish(4, timeOf(4), 50);
    // entry: u = E / (p(1+s)(1+k)); exit returns u · p(1−s)(1−k).
    const final = (1000 * (1 - s) * (1 - k)) / ((1 + s) * (1 + k));
    expect(engine.result().final_equity).toBeCloseTo(final, 9);
    const [trade] = engine.closedTrades();
    expect(trade!.commission).toBeCloseTo(k * trade!.units * (50 * (1 + s) + 50 * (1 - s)), 9);
  });

  it('a reversal is two fills (exit then entry), each charged once', () => {
    const engine = new BacktestEngine({ initialCapital: 1000, commission: k, slippage: s, barsPerYear: 252 });
    run(engine, flat(4), ['BUY', 'SELL', 'HOLD', 'HOLD']);
    engine.finish(3, timeOf(3), 50);
    const afterLong = (1000 * (1 - s) * (1 - k)) / ((1 + s) * (1 + k));
    // Short: u = E1 / (p(1−s)(1+k)), cash = E1 + u·p(1−s)(1−k), buy back u·p(1+s)(1+k).
    const u = afterLong / (50 * (1 - s) * (1 + k));
    const final = afterLong + u * 50 * (1 - s) * (1 - k) - u * 50 * (1 + s) * (1 + k);
    expect(engine.result().final_equity).toBeCloseTo(final, 9);
    const trades = engine.closedTrades();
    expect(trades).toHaveLength(2);
    expect(trades[1]!.commission).toBeCloseTo(k * u * (50 * (1 - s) + 50 * (1 + s)), 9);
    const totalFees = trades.reduce((sum, t) => sum + t.commission, 0);
    expect(1000 - totalFees - engine.result().final_equity).toBeCloseTo(
      // what slippage alone took: 4 fills, each u·p·s
      trades[0]!.units * 50 * 2 * s + u * 50 * 2 * s,
      9,
    );
  });

  it('a repeated BUY while long adds no fill', () => {
    const once = new BacktestEngine({ initialCapital: 1000, commission: k, slippage: s, barsPerYear: 252 });
    const again = new BacktestEngine({ initialCapital: 1000, commission: k, slippage: s, barsPerYear: 252 });
    const closes = [50, 51, 52, 53];
    run(once, closes, ['BUY', 'HOLD', 'HOLD', 'HOLD']);
    run(again, closes, ['BUY', 'BUY', 'BUY', 'BUY']);
    expect(Array.from(again.equityValues())).toEqual(Array.from(once.equityValues()));
  });
});

describe('cash + position value = equity over 10,000 random bars', () => {
  it.each([1, 2, 3])('seed %i: identity holds at every bar and matches a pnl-based reference', (seed) => {
    const random = seededRandom(seed);
    const bars = 10_000;
    const closes = randomCloses(bars, random);
    const decisions = randomDecisions(bars, random);
    const engine = new BacktestEngine({ barsPerYear: 8760 });
    let sawLong = false;
    let sawShort = false;
    for (let i = 0; i < bars; i++) {
      engine.onBar(i, timeOf(i), closes[i]!, decisions[i]!);
      const account = engine.account();
      const recorded = engine.equityValues()[i]!;
      expect(account.cash + account.positionValue).toBe(recorded);
      expect(account.positionValue).toBe(account.units * closes[i]!);
      // Reference written differently: equity = committed equity − entry fee + unrealised pnl.
      const p = account.position;
      const reference =
        p === null
          ? account.cash
          : p.entry_equity - p.entry_commission + (p.direction === 'LONG' ? 1 : -1) * p.units * (closes[i]! - p.entry_price);
      expect(Math.abs(reference - recorded)).toBeLessThan(1e-9 * Math.max(1, Math.abs(recorded)));
      if (account.units > 0) sawLong = true;
      if (account.units < 0) sawShort = true;
    }
    engine.finish(bars - 1, timeOf(bars - 1), closes[bars - 1]!);
    expect(sawLong && sawShort).toBe(true);
    const trades = engine.closedTrades();
    expect(trades.length).toBeGreaterThan(100);
    const sumPnl = trades.reduce((sum, t) => sum + t.pnl, 0);
    expect(sumPnl).toBeCloseTo(engine.result().final_equity - 100_000, 6);
    expect(engine.account().units).toBe(0);
  });
});

describe('no look-ahead', () => {
  /** A rule that sees closes[0..t] only: the close against its mean over the last 10 bars. */
  function decisionFrom(history: Float64Array): Decision {
    const t = history.length - 1;
    const from = Math.max(0, t - 9);
    let sum = 0;
    for (let i = from; i <= t; i++) sum += history[i]!;
    const mean = sum / (t - from + 1);
    const last = history[t]!;
    return last > mean * 1.002 ? 'BUY' : last < mean * 0.998 ? 'SELL' : 'HOLD';
  }

  function replay(closes: Float64Array): BacktestEngine {
    const engine = new BacktestEngine({ barsPerYear: 8760 });
    for (let t = 0; t < closes.length; t++) {
      engine.onBar(t, timeOf(t), closes[t]!, decisionFrom(closes.subarray(0, t + 1)));
    }
    return engine;
  }

  it.each([11, 12, 13, 14, 15])('seed %i: changing prices after t leaves the equity up to t unchanged', (seed) => {
    const random = seededRandom(seed);
    const bars = 600;
    const closes = randomCloses(bars, random);
    const cut = 100 + Math.floor(random() * 400);
    const altered = closes.slice();
    for (let i = cut + 1; i < bars; i++) altered[i] = altered[i]! * (0.5 + random());
    const original = replay(closes);
    const changed = replay(altered);
    const prefix = (e: BacktestEngine) => Array.from(e.equityValues().subarray(0, cut + 1));
    expect(prefix(changed)).toEqual(prefix(original));
    const closedBy = (e: BacktestEngine) => e.closedTrades().filter((t) => t.exit_time <= timeOf(cut));
    expect(closedBy(changed)).toEqual(closedBy(original));
    // The alteration did matter afterwards, so the comparison above is not vacuous.
    expect(Array.from(changed.equityValues())).not.toEqual(Array.from(original.equityValues()));
  });
});

describe('snapshot and restore', () => {
  it.each([
    [21, 0],
    [22, 1],
    [23, 777],
    [24, 1999],
    [25, 2000],
  ])('seed %i: snapshot at bar %i + restore + continue equals the uninterrupted run', (seed, k) => {
    const random = seededRandom(seed);
    const bars = 2000;
    const closes = randomCloses(bars, random);
    const decisions = randomDecisions(bars, random, 0.05);
    const options = { initialCapital: 25_000, commission: 0.0007, slippage: 0.0003, barsPerYear: 8760 };

    const whole = new BacktestEngine(options);
    run(whole, closes, decisions);
    whole.finish(bars - 1, timeOf(bars - 1), closes[bars - 1]!);

    const first = new BacktestEngine(options);
    run(first, closes, decisions, 0, k);
    const stored = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const resumed = BacktestEngine.restore(stored);
    expect(resumed.barsProcessed).toBe(k);
    run(resumed, closes, decisions, k, bars);
    resumed.finish(bars - 1, timeOf(bars - 1), closes[bars - 1]!);

    expect(resumed.snapshot()).toStrictEqual(whole.snapshot());
    expect(resumed.result()).toStrictEqual(whole.result());
    expect(resumed.result(100)).toStrictEqual(whole.result(100));
  });

  it('restores an open short mid-trade with its entry details', () => {
    const engine = new BacktestEngine({ barsPerYear: 252 });
    run(engine, [100, 99, 98], ['SELL', 'HOLD', 'HOLD']);
    const restored = BacktestEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    expect(restored.account()).toStrictEqual(engine.account());
    expect(restored.account().units).toBeLessThan(0);
  });

  it('rejects a damaged snapshot, naming the field', () => {
    const snapshot = { ...new BacktestEngine({ barsPerYear: 252 }).snapshot(), cash: 'lots' };
    expect(() => BacktestEngine.restore(snapshot)).toThrow(/cash/);
    expect(() => BacktestEngine.restore({ format: 'other' })).toThrow(BacktestError);
  });
});

describe('inputs and the end of a run', () => {
  it('rejects bad options, naming the option and its value', () => {
    expect(() => new BacktestEngine({ barsPerYear: 252, commission: 1.5 })).toThrow(/commission: 1\.5/);
    expect(() => new BacktestEngine({ barsPerYear: 0 })).toThrow(/barsPerYear: 0/);
  });

  it('uses the documented defaults', () => {
    expect(new BacktestEngine({ barsPerYear: 252 }).options).toEqual({
      initialCapital: 100_000,
      commission: 0.001,
      slippage: 0.0005,
      barsPerYear: 252,
    });
  });

  it('rejects bars out of order, bad closes, unknown decisions and bars after finish', () => {
    const engine = new BacktestEngine({ barsPerYear: 252 });
    engine.onBar(5, timeOf(5), 100, 'BUY');
    expect(() => engine.onBar(5, timeOf(5), 100, 'HOLD')).toThrow(/already processed/);
    expect(() => engine.onBar(4, timeOf(4), 100, 'HOLD')).toThrow(/comes before/);
    expect(() => engine.onBar(6, timeOf(4), 100, 'HOLD')).toThrow(/not after/);
    expect(() => engine.onBar(6, timeOf(6), Number.NaN, 'HOLD')).toThrow(/close NaN/);
    expect(() => engine.onBar(6, timeOf(6), 100, 'LONG' as Decision)).toThrow(/"LONG" must be one of/);
    engine.finish(5, timeOf(5), 100);
    expect(() => engine.onBar(6, timeOf(6), 100, 'HOLD')).toThrow(/finished/);
    expect(() => engine.finish(6, timeOf(6), 100)).toThrow(/finished/);
  });

  it('finish on a later bar appends a point; on the same bar it replaces the last one', () => {
    const later = new BacktestEngine({ barsPerYear: 252, commission: 0, slippage: 0 });
    run(later, [100, 110], ['BUY', 'HOLD']);
    later.finish(2, timeOf(2), 121);
    const curve = later.equityCurve();
    expect(curve.map((p) => p.time)).toEqual([timeOf(0), timeOf(1), timeOf(2)]);
    [100_000, 110_000, 121_000].forEach((equity, i) => expect(curve[i]!.equity).toBeCloseTo(equity, 6));
    const same = new BacktestEngine({ barsPerYear: 252, commission: 0, slippage: 0 });
    run(same, [100, 110], ['BUY', 'HOLD']);
    same.finish(1, timeOf(1), 110);
    expect(same.barsProcessed).toBe(2);
    expect(same.closedTrades()).toHaveLength(1);
  });

  it('thins the output curve evenly, keeping the first and last bars', () => {
    const engine = new BacktestEngine({ barsPerYear: 252 });
    const random = seededRandom(5);
    const closes = randomCloses(1001, random);
    run(engine, closes, randomDecisions(1001, random));
    const full = engine.equityCurve();
    const thin = engine.equityCurve(11);
    expect(thin).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((i) => full[i]));
    expect(engine.equityCurve(5000)).toEqual(full);
  });
});
