/** Backtest metrics on hand-made equity curves and trades, each expected value worked out by hand. */
import { describe, expect, it } from 'vitest';
import {
  annualizedReturn,
  computeMetrics,
  maxDrawdown,
  profitFactor,
  sharpeRatio,
  totalReturn,
  winRate,
} from '../../src/backtest/metrics.js';
import type { Trade } from '../../src/backtest/types.js';

function trade(pnl: number): Trade {
  return {
    direction: 'LONG',
    entry_time: 0,
    entry_price: 1,
    exit_time: 1,
    exit_price: 1,
    units: 1,
    pnl,
    return: pnl / 100,
    commission: 0,
  };
}

describe('max_drawdown', () => {
  it('is the deepest fall from a running peak, as a positive fraction', () => {
    // peaks 110 → trough 90 (18.18 %), then peak 120 → trough 60 (50 %), then a new high.
    expect(maxDrawdown([110, 90, 120, 60, 130], 100)).toBeCloseTo(0.5, 12);
  });

  it('counts a fall below the initial capital from the start', () => {
    expect(maxDrawdown([80, 90], 100)).toBeCloseTo(0.2, 12);
  });

  it('is 0 for a curve that never falls', () => {
    expect(maxDrawdown([100, 101, 101, 105], 100)).toBe(0);
  });
});

describe('sharpe_ratio', () => {
  it('annualises mean / sample std of the per-bar returns on a known series', () => {
    // returns 2 %, 1 %, 3 %, 0 % from 100: equity 102, 103.02, 106.1106, 106.1106.
    // mean 0.015; deviations ±0.005, ±0.015 → sum of squares 5e-4; sample variance 5e-4 / 3.
    // sharpe = 0.015 / sqrt(5e-4 / 3) × sqrt(252) = 18.4445113787...
    expect(sharpeRatio([102, 103.02, 106.1106, 106.1106], 100, 252)).toBeCloseTo(18.444511378727277, 9);
  });

  it('is 0 when the returns do not vary, and with fewer than two bars', () => {
    expect(sharpeRatio([100, 100, 100], 100, 252)).toBe(0);
    expect(sharpeRatio([110], 100, 252)).toBe(0);
    expect(sharpeRatio([], 100, 252)).toBe(0);
  });

  it('is negative for a losing curve', () => {
    expect(sharpeRatio([99, 97, 96.5, 94], 100, 252)).toBeLessThan(0);
  });
});

describe('returns', () => {
  it('total_return compares the last equity to the initial capital', () => {
    expect(totalReturn([105, 90, 121], 100)).toBeCloseTo(0.21, 12);
    expect(totalReturn([], 100)).toBe(0);
  });

  it('annualized_return compounds over barsPerYear / bars', () => {
    // +21 % in 2 bars, 4 bars a year: 1.21² − 1 = 0.4641
    expect(annualizedReturn(0.21, 2, 4)).toBeCloseTo(0.4641, 12);
    // +10 % over 504 daily bars (two years): sqrt(1.1) − 1
    expect(annualizedReturn(0.1, 504, 252)).toBeCloseTo(Math.sqrt(1.1) - 1, 12);
    expect(annualizedReturn(-1.2, 10, 252)).toBe(-1);
  });
});

describe('trade statistics', () => {
  const trades = [trade(30), trade(-10), trade(20), trade(-15), trade(0)];

  it('win_rate counts trades with a positive pnl over all trades', () => {
    expect(winRate(trades)).toBeCloseTo(2 / 5, 12);
    expect(winRate([])).toBe(0);
  });

  it('profit_factor is gross profit / gross loss', () => {
    expect(profitFactor(trades)).toBeCloseTo(50 / 25, 12);
    expect(profitFactor([trade(-5)])).toBe(0);
  });

  it('profit_factor is null (JSON-safe) without a losing trade', () => {
    expect(profitFactor([trade(10), trade(5)])).toBeNull();
    expect(profitFactor([])).toBeNull();
    const metrics = computeMetrics({ equity: [110], trades: [trade(10)], initialCapital: 100, barsPerYear: 252 });
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });
});

describe('computeMetrics', () => {
  it('puts every figure together', () => {
    const metrics = computeMetrics({
      equity: [110, 90, 120, 60, 130],
      trades: [trade(30), trade(-10)],
      initialCapital: 100,
      barsPerYear: 5,
    });
    expect(metrics.total_return).toBeCloseTo(0.3, 12);
    expect(metrics.annualized_return).toBeCloseTo(0.3, 12); // 5 bars = exactly one year
    expect(metrics.max_drawdown).toBeCloseTo(0.5, 12);
    expect(metrics.win_rate).toBeCloseTo(0.5, 12);
    expect(metrics.profit_factor).toBeCloseTo(3, 12);
    expect(metrics.total_trades).toBe(2);
    expect(metrics.sharpe_ratio).toBeCloseTo(sharpeRatio([110, 90, 120, 60, 130], 100, 5), 12);
  });

  it('rejects a non-positive initial capital or barsPerYear', () => {
    expect(() => computeMetrics({ equity: [], trades: [], initialCapital: 0, barsPerYear: 252 })).toThrow(/initialCapital: 0/);
    expect(() => computeMetrics({ equity: [], trades: [], initialCapital: 1, barsPerYear: -1 })).toThrow(/barsPerYear: -1/);
  });
});
