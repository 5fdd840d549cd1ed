/**
 * Backtest figures on hand examples: annualisation from the bars' own calendar time (a weekday-only series
 * is not a 24/7 one), population standard deviations, drawdown in money and as a fraction, trade figures,
 * null for every figure the run leaves undefined, and the buy-and-hold baseline.
 */
import { describe, expect, it } from 'vitest';
import { buyAndHold } from '../../src/backtest/baseline.js';
import { computeMetrics, maxDrawdown, YEAR_MS, yearsCovered } from '../../src/backtest/metrics.js';
import type { Trade } from '../../src/backtest/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2024, 0, 1); // a Monday

function trade(pnl: number, holding_hours = 1): Trade {
  return {
    direction: 'LONG',
    entry_time: 0,
    entry_price: 1,
    exit_time: holding_hours * HOUR,
    exit_price: 1,
    units: 1,
    gross_pnl: pnl,
    pnl,
    return: pnl,
    commission: 0,
    holding_hours,
    max_favorable_excursion: 0,
    max_adverse_excursion: 0,
    forced: false,
  };
}

/** Hourly bars of `weeks` weeks, Monday 00:00 to Friday 23:00 only. */
function weekdayHours(weeks: number): Float64Array {
  const times: number[] = [];
  for (let week = 0; week < weeks; week++) for (let day = 0; day < 5; day++) for (let hour = 0; hour < 24; hour++) times.push(MONDAY + week * 7 * DAY + day * DAY + hour * HOUR);
  return Float64Array.from(times);
}

describe('annualisation from the bars\' timestamps', () => {
  it('covers the first bar\'s open to the last bar\'s close, the last bar as long as the mean spacing', () => {
    // 3 daily bars: 2 days from first to last open, plus one day for the last bar: 3 days.
    expect(yearsCovered([0, DAY, 2 * DAY])).toBeCloseTo((3 * DAY) / YEAR_MS, 15);
    const m = computeMetrics({ equity: [100, 100.5, 101], times: [0, DAY, 2 * DAY], trades: [], initialCapital: 100 });
    expect(m.annualized_return).toBeCloseTo(Math.pow(1.01, 365.25 / 3) - 1, 12);
    expect(m.periods_per_year).toBeCloseTo(365.25, 9);
  });

  it('a weekday-only hourly series is annualised by its own bars a year, not 8,766', () => {
    const times = weekdayHours(8);
    const n = times.length; // 960
    const equity = Float64Array.from({ length: n }, (_, i) => 100_000 * (1 + 0.0001 * Math.sin(i / 5) + 0.00001 * i));
    const m = computeMetrics({ equity, times, trades: [], initialCapital: 100_000 });
    const span = times[n - 1]! - times[0]!;
    const years = (span * n) / (n - 1) / YEAR_MS;
    expect(m.years).toBeCloseTo(years, 15);
    expect(m.periods_per_year).toBeCloseTo(n / years, 9);
    expect(m.periods_per_year!).toBeGreaterThan(6_000);
    expect(m.periods_per_year!).toBeLessThan(6_600); // a 24/7 count would say 8,766
    // Sharpe and volatility use that factor, with population standard deviations.
    const returns = Array.from(equity, (value, i) => value / (i === 0 ? 100_000 : equity[i - 1]!) - 1);
    const mean = returns.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / n);
    expect(m.volatility).toBeCloseTo(std * Math.sqrt(n / years), 12);
    expect(m.sharpe_ratio).toBeCloseTo((mean / std) * Math.sqrt(n / years), 9);
    expect(m.annualized_return).toBeCloseTo(Math.pow(equity[n - 1]! / 100_000, 1 / years) - 1, 12);
  });
});

describe('figures', () => {
  it('drawdown: the largest fall in money and as a fraction of its peak (which may be different falls)', () => {
    // peaks 110 then 120: falls 11 (10 %) and 20 (16.7 %). 100 → 80 is 20 %, 1,000 → 950 is more money (50) but 5 %.
    expect(maxDrawdown([110, 99, 120, 100], 100)).toEqual({ pct: 20 / 120, amount: 20 });
    expect(maxDrawdown([100, 80, 1000, 950], 100)).toEqual({ pct: 0.2, amount: 50 });
  });

  it('sortino uses the negative returns only, their standard deviation about their own mean', () => {
    const equity = [101, 99.99, 100.9899, 98.97]; // returns +1 %, −1 %, +1 %, −2 % (approximately)
    const m = computeMetrics({ equity, times: [0, HOUR, 2 * HOUR, 3 * HOUR], trades: [], initialCapital: 100 });
    const returns = equity.map((value, i) => value / (i === 0 ? 100 : equity[i - 1]!) - 1);
    const negatives = returns.filter((r) => r < 0);
    const mean = returns.reduce((a, b) => a + b, 0) / 4;
    const negMean = (negatives[0]! + negatives[1]!) / 2;
    const downside = Math.sqrt(((negatives[0]! - negMean) ** 2 + (negatives[1]! - negMean) ** 2) / 2);
    expect(m.sortino_ratio).toBeCloseTo((mean / downside) * Math.sqrt(m.periods_per_year!), 9);
    expect(m.total_return).toBeCloseTo(-1.03, 12);
    expect(m.total_return_pct).toBeCloseTo(-0.0103, 12);
    expect(m.max_drawdown).toBeCloseTo(101 - 98.97, 12);
    expect(m.calmar_ratio).toBeCloseTo(m.annualized_return! / m.max_drawdown_pct!, 12);
    expect(m.recovery_factor).toBeCloseTo(-1.03 / (101 - 98.97), 12);
  });

  it('trade figures: wins, losses, profit factor, averages, extremes, holding periods', () => {
    const trades = [trade(300, 2), trade(-100, 5), trade(100, 4), trade(0, 1), trade(-50, 3)];
    const m = computeMetrics({ equity: [100_250], times: [0], trades, initialCapital: 100_000 });
    expect(m).toMatchObject({
      total_trades: 5,
      winning_trades: 2,
      losing_trades: 2,
      win_rate: 0.4,
      profit_factor: 400 / 150,
      avg_win: 200,
      avg_loss: -75,
      largest_win: 300,
      largest_loss: -100,
      avg_holding_period: 3,
      avg_win_holding_period: 3,
      avg_loss_holding_period: 4,
    });
  });

  it('every undefined figure is null, never 0 or NaN', () => {
    // One bar, no trade: no calendar span, no second return, no trade, no drawdown.
    const one = computeMetrics({ equity: [100_000], times: [MONDAY], trades: [], initialCapital: 100_000 });
    expect(one).toMatchObject({
      total_return: 0,
      total_return_pct: 0,
      annualized_return: null,
      volatility: null,
      sharpe_ratio: null,
      sortino_ratio: null,
      max_drawdown: 0,
      max_drawdown_pct: 0,
      calmar_ratio: null,
      recovery_factor: null,
      total_trades: 0,
      win_rate: null,
      profit_factor: null,
      avg_win: null,
      avg_loss: null,
      largest_win: null,
      largest_loss: null,
      avg_holding_period: null,
      years: null,
      periods_per_year: null,
    });
    // A flat curve: volatility is 0 (defined), the ratios over a zero deviation are not.
    const flat = computeMetrics({ equity: [100, 100, 100], times: [0, HOUR, 2 * HOUR], trades: [trade(5)], initialCapital: 100 });
    expect(flat).toMatchObject({ volatility: 0, sharpe_ratio: null, sortino_ratio: null, profit_factor: null, avg_loss: null, win_rate: 1 });
    // No bars at all.
    const none = computeMetrics({ equity: [], times: [], trades: [], initialCapital: 100 });
    expect(none).toMatchObject({ total_return: null, max_drawdown: null, annualized_return: null });
    for (const value of [...Object.values(one), ...Object.values(flat), ...Object.values(none)]) {
      if (value !== null) expect(Number.isFinite(value)).toBe(true);
    }
  });

  it('rejects times that do not match the equity', () => {
    expect(() => computeMetrics({ equity: [1, 2], times: [0], trades: [], initialCapital: 1 })).toThrow(/times: 1 values for 2 equity values/);
  });
});

describe('buy and hold', () => {
  it('buys the whole capital at the first bar\'s open and sells at the last bar\'s close, costs on both fills', () => {
    const time = [0, DAY, 2 * DAY, 3 * DAY];
    const open = [90, 100, 105, 110];
    const close = [95, 104, 90, 120];
    // Bars 1..3: entry 100 × 1.01 = 101, units 10000 / (101 × 1.01); exit 120 × 0.99 = 118.8, less 1 % commission.
    const baseline = buyAndHold({ time, open, close, first: 1, last: 3, initialCapital: 10_000, commission: 0.01, slippage: 0.01 });
    const units = 10_000 / (101 * 1.01);
    expect(baseline.entry_price).toBeCloseTo(101, 12);
    expect(baseline.exit_price).toBeCloseTo(118.8, 12);
    expect(baseline.units).toBeCloseTo(units, 12);
    expect(baseline.final_equity).toBeCloseTo(units * 118.8 * 0.99, 9);
    expect(baseline.total_return).toBeCloseTo(units * 118.8 * 0.99 - 10_000, 9);
    // Marked at the closes 104 and 90: the fall from 10,000 × ... 104 to 90 is the drawdown.
    expect(baseline.max_drawdown).toBeCloseTo(units * (104 - 90), 9);
    expect(baseline.max_drawdown_pct).toBeCloseTo(14 / 104, 12);
    expect(baseline.annualized_return).toBeCloseTo(Math.pow(baseline.final_equity / 10_000, 365.25 / 3) - 1, 9);
    expect(() => buyAndHold({ time, open, close, first: 2, last: 4, initialCapital: 1, commission: 0, slippage: 0 })).toThrow(/bars 2\.\.4/);
  });
});
