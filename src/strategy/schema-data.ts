/**
 * The data half of a strategy file: `training_data`, `context_data` and
 * `deployment`, with the earlier ktrdr's shorthands (`list` or its field name
 * `symbols` / `timeframes`), its per-mode rules, and its precedence (a list wins
 * over the single value; `base_timeframe` is moved to the front when loading).
 *
 * Blocks are loose like the original's: a key nobody knows is kept out of the
 * result and reported as a warning by the loader, not rejected here.
 */
import { z } from 'zod';
import { symbolProblem } from '../market-data/file-name.js';
import { parseIsoUtc } from '../market-data/dates.js';

/** Ignored by the earlier ktrdr's training and backtests as by ours: listed as a note by `strategy validate`. */
export const IGNORED = '[ignored]';

const ignored = (what: string) => z.unknown().optional().describe(`${IGNORED} ${what}`);

/** Timeframe names are free text in the original; they name data files, so keep them to `<number><unit>`. */
export const TIMEFRAME_PATTERN = /^[1-9][0-9]{0,3}[A-Za-z]{1,3}$/;

export const TimeframeName = z
  .string()
  .regex(TIMEFRAME_PATTERN, 'must be a timeframe such as 1m, 5m, 15m, 30m, 1h, 4h, 1d')
  .describe('A timeframe: 1m, 5m, 15m, 30m, 1h, 4h or 1d (the data file is `<SYMBOL>_<TIMEFRAME>.csv`).');

const SymbolName = z
  .string()
  .superRefine((symbol, ctx) => {
    const problem = symbolProblem(symbol);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('A symbol, e.g. EURUSD (its data file is `<SYMBOL>_<TIMEFRAME>.csv`).');

/**
 * A date as the original writes it: a quoted string, or an unquoted YAML date
 * (the original refuses the latter; accepting it costs nothing and means the same).
 */
export const DateText = z
  .union([z.string(), z.date()])
  .transform((value, ctx) => {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) {
        ctx.addIssue({ code: 'custom', message: 'is not a valid date' });
        return z.NEVER;
      }
      return value.toISOString().slice(0, 10);
    }
    if (parseIsoUtc(value) === null) {
      ctx.addIssue({ code: 'custom', message: `must be an ISO date such as 2024-01-31 (got '${value}')` });
      return z.NEVER;
    }
    return value;
  })
  .describe('An ISO date (2024-01-31) or date-time, UTC.');

const hasText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

// ---------------------------------------------------------------------------
// training_data.symbols

const Symbols = z
  .looseObject({
    mode: z.enum(['single', 'multi_symbol']).describe('`single` or `multi_symbol` (checked, otherwise informative: the list decides).'),
    symbol: SymbolName.nullable().optional().describe('The symbol, when there is no `list`.'),
    list: z.array(SymbolName).optional().describe('The symbols; wins over `symbol`. A multi-symbol strategy trains on all of them.'),
    symbols: z.array(SymbolName).optional().describe('Another spelling of `list` (the original\'s field name).'),
    selection_criteria: ignored('How an agent picks symbols (asset_class, volatility_range, liquidity_tier, market_cap_range).'),
  })
  .superRefine((value, ctx) => {
    const list = value.list ?? value.symbols;
    if (value.list !== undefined && value.symbols !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['symbols'], message: "give the symbols once: 'list' and 'symbols' are the same field" });
    }
    if ('symbol' in value && !hasText(value.symbol) && value.mode === 'single') {
      ctx.addIssue({ code: 'custom', path: ['symbol'], message: 'must name a symbol when mode is single' });
    }
    if (list !== undefined && list.length === 0 && value.mode === 'multi_symbol') {
      ctx.addIssue({ code: 'custom', path: [value.list !== undefined ? 'list' : 'symbols'], message: 'must list at least one symbol when mode is multi_symbol' });
    }
    if ((list === undefined || list.length === 0) && !hasText(value.symbol)) {
      ctx.addIssue({ code: 'custom', message: "names no symbol: give 'symbol' (mode single) or 'list' (mode multi_symbol)" });
    }
  })
  .transform((value) => {
    const given = value.list ?? value.symbols ?? [];
    const list = given.length > 0 ? given : [value.symbol as string];
    return { mode: value.mode, symbol: list[0] as string, list };
  })
  .describe('Which symbols the strategy trains on.');

// ---------------------------------------------------------------------------
// training_data.timeframes

const Timeframes = z
  .looseObject({
    mode: z.enum(['single', 'multi_timeframe']).describe('`single` or `multi_timeframe` (checked, otherwise informative: the list decides).'),
    timeframe: TimeframeName.nullable().optional().describe('The timeframe, when there is no `list`.'),
    list: z.array(TimeframeName).optional().describe('The timeframes, in the order `timeframes: all` expands to; wins over `timeframe`.'),
    timeframes: z.array(TimeframeName).optional().describe('Another spelling of `list` (the original\'s field name).'),
    base_timeframe: TimeframeName.optional().describe('The timeframe decisions are taken on (default: the first of the list).'),
  })
  .superRefine((value, ctx) => {
    const list = value.list ?? value.timeframes;
    const listKey = value.list !== undefined ? 'list' : 'timeframes';
    if (value.list !== undefined && value.timeframes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timeframes'], message: "give the timeframes once: 'list' and 'timeframes' are the same field" });
    }
    if ('timeframe' in value && !hasText(value.timeframe) && value.mode === 'single') {
      ctx.addIssue({ code: 'custom', path: ['timeframe'], message: 'must name a timeframe when mode is single' });
    }
    if (list !== undefined && value.mode === 'multi_timeframe' && list.length < 2) {
      ctx.addIssue({ code: 'custom', path: [listKey], message: `must list at least 2 timeframes when mode is multi_timeframe (got ${list.length})` });
    }
    if ((list === undefined || list.length === 0) && !hasText(value.timeframe)) {
      ctx.addIssue({ code: 'custom', message: "names no timeframe: give 'timeframe' (mode single) or 'list' (mode multi_timeframe)" });
    }
    if (list) {
      const seen = new Set<string>();
      list.forEach((timeframe, index) => {
        if (seen.has(timeframe)) ctx.addIssue({ code: 'custom', path: [listKey, index], message: `timeframe '${timeframe}' is listed twice` });
        seen.add(timeframe);
      });
    }
  })
  .transform((value) => {
    const given = value.list ?? value.timeframes ?? [];
    const list = given.length > 0 ? given : [value.timeframe as string];
    // As the original loads them: the base first when it is in the list, else the list's first entry acts as base.
    const base = value.base_timeframe !== undefined && list.includes(value.base_timeframe) ? value.base_timeframe : (list[0] as string);
    return { mode: value.mode, timeframe: base, list, base_timeframe: base, base_timeframe_given: value.base_timeframe ?? null };
  })
  .describe('Which timeframes the strategy reads.');

// ---------------------------------------------------------------------------
// training_data

const DateRange = z
  .looseObject({
    start: DateText.optional().describe('The first day of the default training range.'),
    end: DateText.optional().describe('The last day of the default training range.'),
  })
  .describe('The default training range (another spelling of `start_date` / `end_date`, which win when both are given).');

export const HISTORY_REQUIRED_DEFAULT = 200;

export const TrainingData = z
  .looseObject({
    symbols: Symbols,
    timeframes: Timeframes,
    history_required: z
      .int()
      .min(50)
      .max(1_000_000)
      .default(HISTORY_REQUIRED_DEFAULT)
      .describe('Bars loaded before the start of the training range to warm the indicators up (they are not trained on).'),
    start_date: DateText.optional().describe('The default start of the training range (a request\'s or the CLI\'s `--start` wins).'),
    end_date: DateText.optional().describe('The default end of the training range (a request\'s or the CLI\'s `--end` wins).'),
    date_range: DateRange.optional(),
  })
  .superRefine((value, ctx) => {
    const start = value.start_date ?? value.date_range?.start;
    const end = value.end_date ?? value.date_range?.end;
    if (start !== undefined && end !== undefined && (parseIsoUtc(start) ?? 0) > (parseIsoUtc(end) ?? 0)) {
      ctx.addIssue({ code: 'custom', path: [value.end_date !== undefined ? 'end_date' : 'date_range'], message: `the range ends (${end}) before it starts (${start})` });
    }
  })
  .transform((value) => ({
    symbols: value.symbols,
    timeframes: value.timeframes,
    history_required: value.history_required,
    /** The default training range: `start_date`/`end_date`, else `date_range`; null when the file gives none. */
    start_date: value.start_date ?? value.date_range?.start ?? null,
    end_date: value.end_date ?? value.date_range?.end ?? null,
  }))
  .describe('The data the strategy is trained on (a training request may override the symbols, the timeframe and the range).');

// ---------------------------------------------------------------------------
// context_data

export const CONTEXT_PROVIDERS = ['ib', 'fred', 'cftc_cot'] as const;

const ContextEntry = z
  .looseObject({
    provider: z.string().describe(`Where the series comes from: ${CONTEXT_PROVIDERS.join(', ')}.`),
    symbol: SymbolName.optional().describe('`ib`: the other instrument (source id: the symbol).'),
    timeframe: TimeframeName.optional().describe('`ib`: its timeframe (default 1h).'),
    series: z.union([z.string(), z.array(z.string()).min(1)]).optional().describe('`fred`: one series id or a list (source ids `fred_<id>`, and `yield_spread_<a>_<b>` for two or more).'),
    report: z.string().optional().describe('`cftc_cot`: the currency code, e.g. EUR (source ids `cot_<R>_net_pos`, `cot_<R>_net_pct`).'),
    alignment: ignored('Always forward fill.'),
    instrument_type: ignored('`ib`: informative.'),
    frequency: ignored('`fred`: informative.'),
    currencies: ignored('For a calendar provider that does not exist.'),
    min_impact: ignored('For a calendar provider that does not exist.'),
    broker: ignored('For a sentiment provider that does not exist.'),
  })
  .superRefine((entry, ctx) => {
    if (!(CONTEXT_PROVIDERS as readonly string[]).includes(entry.provider)) {
      ctx.addIssue({ code: 'custom', path: ['provider'], message: `unknown provider '${entry.provider}' (known: ${CONTEXT_PROVIDERS.join(', ')})` });
    }
    const needs: Record<string, 'symbol' | 'series' | 'report'> = { ib: 'symbol', fred: 'series', cftc_cot: 'report' };
    const field = needs[entry.provider];
    if (field && entry[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required by provider ${entry.provider}` });
  })
  .transform((entry) => ({
    provider: entry.provider,
    ...(entry.symbol !== undefined && { symbol: entry.symbol, timeframe: entry.timeframe ?? '1h' }),
    ...(entry.series !== undefined && { series: typeof entry.series === 'string' ? [entry.series] : entry.series }),
    ...(entry.report !== undefined && { report: entry.report }),
  }))
  .describe('One external series that indicators may read with `data_source`.');

export const ContextData = z.array(ContextEntry).nullable().optional().describe('External data series (section 2.6 of the original grammar).');
export type ContextEntrySpec = z.output<typeof ContextEntry>;

/** The source ids a context entry produces, as the original names them. */
export function contextSourceIds(entry: { provider?: unknown; symbol?: unknown; series?: unknown; report?: unknown }): string[] {
  const ids: string[] = [];
  const series = typeof entry.series === 'string' ? [entry.series] : Array.isArray(entry.series) ? entry.series.filter((s): s is string => typeof s === 'string') : [];
  if (entry.provider === 'cftc_cot') {
    if (typeof entry.report === 'string') ids.push(`cot_${entry.report}_net_pos`, `cot_${entry.report}_net_pct`);
    return ids;
  }
  if (typeof entry.symbol === 'string') ids.push(entry.symbol);
  for (const id of series) ids.push(`fred_${id}`);
  if (series.length >= 2) ids.push(`yield_spread_${series[0]}_${series[1]}`);
  return ids;
}

// ---------------------------------------------------------------------------
// deployment (checked, then ignored, as in the original)

export const Deployment = z
  .looseObject({
    target_symbols: z.looseObject({
      mode: z.enum(['universal', 'group_restricted', 'training_only']),
      restrictions: z.looseObject({}).optional(),
    }),
    target_timeframes: z
      .looseObject({
        mode: z.enum(['single', 'multi_timeframe']),
        supported: z.array(z.string()).optional(),
        timeframe: z.string().optional(),
      })
      .superRefine((value, ctx) => {
        if (value.mode === 'multi_timeframe' && value.supported !== undefined && value.supported.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['supported'], message: 'must not be empty when mode is multi_timeframe' });
        }
      }),
  })
  .nullable()
  .optional()
  .describe(`${IGNORED} Where a model may be deployed (checked, then not used).`);
