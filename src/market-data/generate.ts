/**
 * Deterministic synthetic bars (docs/architecture.md §6.1) so that the demo and the tests
 * need no download: a regime-switching random walk on the log price. Three
 * regimes (trending up, trending down, ranging) follow a Markov chain; each
 * has its own drift and volatility, ranging pulls back towards the price the
 * range began at, and volatility clusters (a slow AR(1) on its logarithm).
 * Every bar is built from a few intrabar steps, so high and low are the path's
 * extremes and always contain open and close. Same options → same bytes.
 */
import { z } from 'zod';
import { formatIsoUtc, parseIsoUtc } from './dates.js';
import { CSV_HEADER } from './csv.js';
import { symbolProblem } from './file-name.js';
import { SeededRandom } from './random.js';
import { Timeframe, TIMEFRAME_MS, type BarSeries } from './types.js';

export const DEFAULT_PRICE_DECIMALS = 5;
export const DEFAULT_GENERATE_START = '2020-01-01T00:00:00Z';

export const GenerateOptions = z.object({
  symbol: z.string().superRefine((symbol, context) => {
    const problem = symbolProblem(symbol);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  timeframe: Timeframe,
  bars: z.number().int().min(1).max(50_000_000),
  seed: z.number().int().min(0).max(0xffff_ffff),
  /** The first bar's time: milliseconds since the epoch, or an ISO date or date-time (UTC). */
  start: z
    .union([z.number().int(), z.string()])
    .default(DEFAULT_GENERATE_START)
    .transform((start, context) => {
      const ms = typeof start === 'number' ? start : parseIsoUtc(start);
      if (ms === null) {
        context.addIssue({ code: 'custom', message: `start '${start}' is not an ISO date or date-time` });
        return z.NEVER;
      }
      return ms;
    }),
  startPrice: z.number().positive().default(1.1),
  /** Standard deviation of one day's log return; a bar's is scaled by the square root of its share of a day. */
  dailyVolatility: z.number().positive().max(0.5).default(0.02),
  /** Prices are rounded to this many decimals (what `formatCsv` writes), so a written series reads back identical. */
  decimals: z.number().int().min(0).max(10).default(DEFAULT_PRICE_DECIMALS),
});
export type GenerateOptions = z.input<typeof GenerateOptions>;

const Regime = { Up: 0, Down: 1, Ranging: 2 } as const;
type Regime = (typeof Regime)[keyof typeof Regime];

/** Per regime, in units of the bar volatility: drift per bar and volatility multiplier. Down moves are faster and rougher, as in markets. */
const REGIMES = [
  { drift: 0.12, volatility: 1.0 },
  { drift: -0.15, volatility: 1.25 },
  { drift: 0, volatility: 0.7 },
] as const;
/** Mean regime length in bars (a regime ends with probability 1/length each bar). */
const MEAN_REGIME_BARS = 120;
/** Where a regime goes when it ends: [to up, to down, to ranging]. */
const NEXT_REGIME = [
  [0, 0.4, 0.6],
  [0.4, 0, 0.6],
  [0.5, 0.5, 0],
] as const;
/** Ranging regimes pull the log price back to their anchor by this share per bar. */
const RANGE_REVERSION = 0.05;
/** A weak pull towards the starting price, so very long series stay in a plausible band instead of drifting to 0. */
const LONG_RUN_REVERSION = 5e-4;
const VOLATILITY_PERSISTENCE = 0.98;
const VOLATILITY_OF_VOLATILITY = 0.2;
const INTRABAR_STEPS = 4;
const DAY_MS = TIMEFRAME_MS['1d'];

function nextRegime(current: Regime, random: SeededRandom): Regime {
  if (random.uniform() >= 1 / MEAN_REGIME_BARS) return current;
  const draw = random.uniform();
  const weights = NEXT_REGIME[current];
  let cumulative = 0;
  for (let regime = 0; regime < weights.length; regime += 1) {
    cumulative += weights[regime] as number;
    if (draw < cumulative) return regime as Regime;
  }
  return current === Regime.Ranging ? Regime.Down : Regime.Ranging;
}

export function generateBars(input: GenerateOptions): BarSeries {
  const options = GenerateOptions.parse(input);
  const { bars, decimals } = options;
  const barMs = TIMEFRAME_MS[options.timeframe];
  const barVolatility = options.dailyVolatility * Math.sqrt(barMs / DAY_MS);
  const baseVolume = 100 * (barMs / TIMEFRAME_MS['1m']);
  const scale = 10 ** decimals;
  const round = (price: number) => Math.max(Math.round(price * scale) / scale, 1 / scale);
  const random = new SeededRandom(options.seed);

  const time = new Float64Array(bars);
  const open = new Float64Array(bars);
  const high = new Float64Array(bars);
  const low = new Float64Array(bars);
  const close = new Float64Array(bars);
  const volume = new Float64Array(bars);

  const homeLog = Math.log(options.startPrice);
  let regime: Regime = Regime.Ranging;
  let anchorLog = homeLog;
  let logVolatility = 0;
  let openPrice = round(options.startPrice);

  for (let index = 0; index < bars; index += 1) {
    const previousRegime = regime;
    regime = nextRegime(regime, random);
    let logPrice = Math.log(openPrice);
    if (regime === Regime.Ranging && previousRegime !== Regime.Ranging) anchorLog = logPrice;
    logVolatility = VOLATILITY_PERSISTENCE * logVolatility + VOLATILITY_OF_VOLATILITY * Math.sqrt(1 - VOLATILITY_PERSISTENCE ** 2) * random.normal();

    const { drift, volatility } = REGIMES[regime];
    const sigma = barVolatility * volatility * Math.exp(logVolatility);
    const pull = (regime === Regime.Ranging ? RANGE_REVERSION * (anchorLog - logPrice) : 0) + LONG_RUN_REVERSION * (homeLog - logPrice);
    const stepMean = (drift * barVolatility + pull) / INTRABAR_STEPS;
    const stepSigma = sigma / Math.sqrt(INTRABAR_STEPS);

    const openLog = logPrice;
    let highLog = logPrice;
    let lowLog = logPrice;
    for (let step = 0; step < INTRABAR_STEPS; step += 1) {
      logPrice += stepMean + stepSigma * random.normal();
      if (logPrice > highLog) highLog = logPrice;
      if (logPrice < lowLog) lowLog = logPrice;
    }
    // The discrete path misses the extremes between its steps: extend the wicks a little.
    highLog += 0.15 * stepSigma * Math.abs(random.normal());
    lowLog -= 0.15 * stepSigma * Math.abs(random.normal());

    const o = openPrice;
    const c = round(Math.exp(logPrice));
    time[index] = options.start + index * barMs;
    open[index] = o;
    close[index] = c;
    high[index] = Math.max(round(Math.exp(highLog)), o, c);
    low[index] = Math.min(round(Math.exp(lowLog)), o, c);
    const move = Math.abs(logPrice - openLog) / barVolatility;
    volume[index] = Math.max(1, Math.round(baseVolume * Math.exp(logVolatility) * (0.5 + move) * Math.exp(0.3 * random.normal())));
    openPrice = c;
  }

  return { symbol: options.symbol, timeframe: options.timeframe, time, open, high, low, close, volume };
}

export interface FormatCsvOptions {
  /** Decimals of the prices (default 5, what the generator rounds to). */
  readonly decimals?: number;
  /** Decimals of the volume (default 0). */
  readonly volumeDecimals?: number;
}

/** The CSV text of a series: the standard header, fixed decimals, ISO dates (date only for daily bars at midnight), LF, a final newline. */
export function formatCsv(series: BarSeries, options: FormatCsvOptions = {}): string {
  const decimals = options.decimals ?? DEFAULT_PRICE_DECIMALS;
  const volumeDecimals = options.volumeDecimals ?? 0;
  const daily = series.timeframe === '1d';
  const lines = new Array<string>(series.time.length + 1);
  lines[0] = CSV_HEADER;
  for (let index = 0; index < series.time.length; index += 1) {
    lines[index + 1] = [
      formatIsoUtc(series.time[index] as number, daily),
      (series.open[index] as number).toFixed(decimals),
      (series.high[index] as number).toFixed(decimals),
      (series.low[index] as number).toFixed(decimals),
      (series.close[index] as number).toFixed(decimals),
      (series.volume[index] as number).toFixed(volumeDecimals),
    ].join(',');
  }
  return `${lines.join('\n')}\n`;
}
