import { describe, expect, it } from 'vitest';
import { validateCsv } from '../../src/market-data/csv.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { SeededRandom } from '../../src/market-data/random.js';
import { TIMEFRAME_MS, type BarSeries } from '../../src/market-data/types.js';

/** xoshiro128** seeded by splitmix32, written again with BigInt arithmetic as the reference. */
function referenceXoshiro(seed: number, count: number): number[] {
  const mask = 0xffffffffn;
  const mul = (a: bigint, b: bigint) => (a * b) & mask;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  const state: bigint[] = [];
  let z = BigInt(seed) & mask;
  for (let i = 0; i < 4; i += 1) {
    z = (z + 0x9e3779b9n) & mask;
    let t = z;
    t = mul(t ^ (t >> 16n), 0x85ebca6bn);
    t = mul(t ^ (t >> 13n), 0xc2b2ae35n);
    state.push(t ^ (t >> 16n));
  }
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const [s0, s1, s2, s3] = state as [bigint, bigint, bigint, bigint];
    out.push(Number(mul(rotl(mul(s1, 5n), 7n), 9n)));
    const t = (s1 << 9n) & mask;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    state[1] = s1 ^ n2;
    state[0] = s0 ^ n3;
    state[2] = n2 ^ t;
    state[3] = rotl(n3, 11n);
  }
  return out;
}

describe('SeededRandom', () => {
  it('is xoshiro128** seeded by splitmix32 (against a BigInt implementation)', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const random = new SeededRandom(seed);
      expect(Array.from({ length: 1000 }, () => random.nextUint32())).toEqual(referenceXoshiro(seed, 1000));
    }
  });

  it('gives uniforms in [0, 1) and standard normals', () => {
    const random = new SeededRandom(7);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    const outOfRange: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const u = random.uniform();
      if (!(u >= 0 && u < 1)) outOfRange.push(u);
      const x = random.normal();
      sum += x;
      sumSquares += x * x;
    }
    // One expectation for the 200 000 draws: an expect() per draw took 28 s on the busy machine.
    expect(outOfRange).toEqual([]);
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(0.02);
  });
});

const columns = (series: BarSeries) => [series.time, series.open, series.high, series.low, series.close, series.volume].map((column) => Array.from(column));

describe('generateBars', () => {
  it('is deterministic: the same seed gives the same CSV bytes, another seed a different series', () => {
    const options = { symbol: 'EURUSD', timeframe: '1h', bars: 3000, seed: 42 } as const;
    const first = formatCsv(generateBars(options));
    expect(formatCsv(generateBars({ ...options }))).toBe(first);
    const other = formatCsv(generateBars({ ...options, seed: 43 }));
    expect(other).not.toBe(first);
    expect(other.split('\n')[1]).toMatch(/^2020-01-01T00:00:00Z,1\.10000,/);
    // Different from the second bar on, not merely somewhere.
    expect(other.split('\n')[2]).not.toBe(first.split('\n')[2]);
  });

  it('starts where asked, one bar apart, with the requested count', () => {
    const series = generateBars({ symbol: 'X', timeframe: '15m', bars: 10, seed: 1, start: '2023-06-01T09:30:00Z' });
    expect(series.symbol).toBe('X');
    expect(series.timeframe).toBe('15m');
    expect(Array.from(series.time)).toEqual(Array.from({ length: 10 }, (_, i) => Date.UTC(2023, 5, 1, 9, 30) + i * 900_000));
    expect(generateBars({ symbol: 'X', timeframe: '1d', bars: 1, seed: 1, start: Date.UTC(2000, 0, 1) }).time[0]).toBe(Date.UTC(2000, 0, 1));
  });

  it('keeps OHLC invariants over 100k bars: high >= max(open, close), low <= min(open, close), positive prices, continuity', () => {
    for (const timeframe of ['1m', '1d'] as const) {
      const series = generateBars({ symbol: 'X', timeframe, bars: 100_000, seed: 2024 });
      const step = TIMEFRAME_MS[timeframe];
      let violations = 0;
      for (let i = 0; i < 100_000; i += 1) {
        const [o, h, l, c, v, t] = [series.open[i]!, series.high[i]!, series.low[i]!, series.close[i]!, series.volume[i]!, series.time[i]!];
        if (!(h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0 && h >= l)) violations += 1;
        if (!(Number.isInteger(v) && v >= 1)) violations += 1;
        for (const price of [o, h, l, c]) if (Math.round(price * 1e5) / 1e5 !== price) violations += 1;
        if (i > 0 && (o !== series.close[i - 1] || t - series.time[i - 1]! !== step)) violations += 1;
      }
      expect(violations).toBe(0);
    }
  });

  it('has the configured volatility, scaled by the square root of the bar length', () => {
    const realized = (timeframe: '1h' | '1d') => {
      const { close } = generateBars({ symbol: 'X', timeframe, bars: 50_000, seed: 5, dailyVolatility: 0.02 });
      const returns = Array.from({ length: close.length - 1 }, (_, i) => Math.log(close[i + 1]! / close[i]!));
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      return Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
    };
    expect(realized('1d') / 0.02).toBeGreaterThan(0.85);
    expect(realized('1d') / 0.02).toBeLessThan(1.25);
    expect(realized('1h') / (0.02 / Math.sqrt(24))).toBeGreaterThan(0.85);
    expect(realized('1h') / (0.02 / Math.sqrt(24))).toBeLessThan(1.25);
  });

  it('has regimes and volatility clusters, unlike an independent random walk', () => {
    const { close } = generateBars({ symbol: 'X', timeframe: '1h', bars: 100_000, seed: 11 });
    const returns = Array.from({ length: close.length - 1 }, (_, i) => Math.log(close[i + 1]! / close[i]!));
    const variance = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    };
    // Variance ratio over 100 bars: 1 for independent steps (±0.05 here), above it when trends persist.
    const sums: number[] = [];
    for (let i = 0; i + 100 <= returns.length; i += 100) sums.push(returns.slice(i, i + 100).reduce((a, b) => a + b, 0));
    expect(variance(sums) / (100 * variance(returns))).toBeGreaterThan(1.2);
    // Lag-1 autocorrelation of |returns|: ~0 for independent steps, positive when volatility clusters.
    const absolute = returns.map(Math.abs);
    const mean = absolute.reduce((a, b) => a + b, 0) / absolute.length;
    let covariance = 0;
    for (let i = 1; i < absolute.length; i += 1) covariance += (absolute[i]! - mean) * (absolute[i - 1]! - mean);
    expect(covariance / (variance(absolute) * absolute.length)).toBeGreaterThan(0.05);
  });

  it('rejects invalid options with zod', () => {
    expect(() => generateBars({ symbol: 'A/B', timeframe: '1h', bars: 10, seed: 1 })).toThrow(/symbol 'A\/B'/);
    expect(() => generateBars({ symbol: 'A', timeframe: '1h', bars: 0, seed: 1 })).toThrow();
    expect(() => generateBars({ symbol: 'A', timeframe: '1h', bars: 10, seed: -1 })).toThrow();
    expect(() => generateBars({ symbol: 'A', timeframe: '1h', bars: 10, seed: 1, start: 'soon' })).toThrow(/start 'soon'/);
  });
});

describe('formatCsv', () => {
  it('writes the header, fixed decimals, ISO dates and a final newline', () => {
    const series: BarSeries = {
      symbol: 'X',
      timeframe: '1h',
      time: Float64Array.from([Date.UTC(2024, 0, 5, 13)]),
      open: Float64Array.from([1.1]),
      high: Float64Array.from([1.25]),
      low: Float64Array.from([1]),
      close: Float64Array.from([1.123456]),
      volume: Float64Array.from([1234.4]),
    };
    expect(formatCsv(series)).toBe('date,open,high,low,close,volume\n2024-01-05T13:00:00Z,1.10000,1.25000,1.00000,1.12346,1234\n');
    expect(formatCsv({ ...series, timeframe: '1d', time: Float64Array.from([Date.UTC(2024, 0, 5)]) }, { decimals: 2, volumeDecimals: 1 })).toBe(
      'date,open,high,low,close,volume\n2024-01-05,1.10,1.25,1.00,1.12,1234.4\n',
    );
  });

  it('round-trips: generate → write → read gives the same bars and the same text', () => {
    for (const timeframe of ['5m', '4h', '1d'] as const) {
      const series = generateBars({ symbol: 'BTC-USD', timeframe, bars: 20_000, seed: 9, startPrice: 30_000 });
      const text = formatCsv(series);
      const { series: read, errors, warnings } = validateCsv(text, `BTC-USD_${timeframe}.csv`, { gaps: 'error' });
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
      expect(read?.symbol).toBe('BTC-USD');
      expect(read?.timeframe).toBe(timeframe);
      expect(columns(read as BarSeries)).toEqual(columns(series));
      expect(formatCsv(read as BarSeries)).toBe(text);
    }
  });
});
