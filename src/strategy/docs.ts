/**
 * docs/strategies.md, rendered from the strategy schema's JSON Schema (its
 * `.describe()` texts, types, defaults and limits) and from the indicator
 * registry, so the documentation cannot disagree with the validation.
 * `ktrdr strategy docs --check` keeps the committed copy honest.
 */
import { MEMBERSHIP_TYPES } from '../fuzzy/membership.js';
import { INDICATORS, SINGLE_OUTPUT } from '../indicators/registry.js';
import { strategyJsonSchema } from './json-schema.js';

export { STRATEGY_DOCS_PATH } from './docs-path.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

/** What the key of a map stands for, by the map's path. */
const MAP_KEY_NAMES: Readonly<Record<string, string>> = {
  indicators: '<id>',
  fuzzy_sets: '<name>',
  'fuzzy_sets.<name>': '<membership>',
};

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum) return schema.enum.map(code).join(' | ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeText))].join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'array') return `list of ${schema.items ? typeText(schema.items) : 'values'}`;
  if (type === 'object') return schema.properties ? 'mapping' : 'map';
  return type ?? 'any';
}

function limitsText(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
  else if (schema.minimum !== undefined && schema.minimum > -MAX_SAFE) parts.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMaximum !== undefined) parts.push(`< ${schema.exclusiveMaximum}`);
  else if (schema.maximum !== undefined && schema.maximum < MAX_SAFE) parts.push(`<= ${schema.maximum}`);
  if (schema.minItems !== undefined && schema.minItems > 0) parts.push(`at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  if (schema.maxItems !== undefined) parts.push(`at most ${schema.maxItems} items`);
  const items = schema.items;
  if (items && (items.minimum !== undefined || items.exclusiveMinimum !== undefined)) parts.push(`each ${limitsText(items)}`);
  return parts.join(', ');
}

interface Row {
  readonly path: string;
  readonly type: string;
  readonly required: string;
  readonly description: string;
}

function collectRows(schema: JsonSchema, path: string, rows: Row[]): void {
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    const limits = limitsText(child);
    rows.push({
      path: childPath,
      type: `${typeText(child)}${limits ? ` (${limits})` : ''}`,
      required: required.has(key) && child.default === undefined ? 'required' : child.default !== undefined ? `default ${code(child.default)}` : 'optional',
      description: child.description ?? '',
    });
    descend(child, childPath, rows);
  }
}

function descend(schema: JsonSchema, path: string, rows: Row[]): void {
  // A nullable block (`context_data`, `deployment`) is an anyOf of its shape and null.
  for (const alternative of schema.anyOf ?? []) if (alternative.properties || alternative.items) descend(alternative, path, rows);
  if (schema.properties) collectRows(schema, path, rows);
  if (schema.items?.properties) collectRows(schema.items, `${path}[]`, rows);
  const values = schema.additionalProperties;
  if (typeof values === 'object' && (values.properties !== undefined || values.description !== undefined)) {
    // A map: one row for its entries, then the entries' own fields.
    const keyPath = `${path}.${MAP_KEY_NAMES[path] ?? '<key>'}`;
    if (values.description) rows.push({ path: keyPath, type: typeText(values), required: '', description: values.description });
    descend(values, keyPath, rows);
  }
}

function fieldTable(): string[] {
  const rows: Row[] = [];
  collectRows(strategyJsonSchema() as JsonSchema, '', rows);
  return [
    '| field | type | required / default | meaning |',
    '|---|---|---|---|',
    ...rows.map((row) => `| \`${row.path}\` | ${cell(row.type)} | ${cell(row.required)} | ${cell(row.description)} |`),
  ];
}

function indicatorTable(): string[] {
  const lines = [
    '| type (other names) | parameters: default, accepted values | outputs | warm-up with the defaults |',
    '|---|---|---|---|',
  ];
  for (const [type, definition] of Object.entries(INDICATORS)) {
    const names = [`\`${type}\``, ...definition.aliases.map((alias) => `\`${alias}\``)].join(', ');
    const aliasesOf = (name: string) => Object.entries(definition.paramAliases).filter(([, canonical]) => canonical === name).map(([alias]) => alias);
    const parameterText =
      definition.paramDocs
        .map((param) => {
          const aliases = aliasesOf(param.name);
          const name = aliases.length > 0 ? `${param.name} (or ${aliases.join(', ')})` : param.name;
          return `${name}: ${JSON.stringify(param.default)}, ${param.rule}`;
        })
        .join('; ') || 'none';
    const outputs =
      definition.outputs.length === 0
        ? `one (\`${SINGLE_OUTPUT}\`): reference it as \`<id>\``
        : `${definition.outputs.map((output) => `\`<id>.${output}\``).join(', ')}; \`<id>\` alone is \`${definition.primaryOutput}\``;
    lines.push(`| ${names} | ${cell(parameterText)} | ${outputs} | ${definition.warmup({})} |`);
  }
  return lines;
}

export function renderStrategyDocs(): string {
  return [
    '# Strategy files',
    '',
    '<!-- Generated by `ktrdr strategy docs --write` from src/strategy/schema*.ts and src/indicators/registry.ts. Do not edit by hand. -->',
    '',
    'A strategy is a YAML file in the earlier Python ktrdr\'s "v3" grammar: the data it trains on, indicators, fuzzy sets',
    'over them, the model inputs, the model, how its output becomes a decision, and how it is trained. Every file the',
    'earlier ktrdr loads loads here and means the same. Examples: `strategies/*.yaml`.',
    '',
    'Check one with `ktrdr strategy validate FILE|NAME [--json]` (a NAME is looked up under `KTRDR_DATA_STRATEGIES_DIR`,',
    'as `ktrdr train` does). Every problem is listed at once by its path in the file, its line and its column',
    '(`fuzzy_sets.rsi.indicator: unknown indicator \'rsi_41\' (defined: rsi_14)`), and the command exits 1. A file that',
    'loads exits 0 with a summary, its **warnings** (a key nobody reads, with the closest known name; an indicator nothing',
    'reads) and its **notes**: `ignored: …` for keys the earlier ktrdr ignores too, and `not yet used by this ktrdr: …`',
    'for what a later ktrdr will do (LSTM/GRU models, regression, other label sources, …). A training of a strategy that uses one of the latter marked "a training is',
    'refused" is refused when it is submitted, naming every reason, rather than trained as something else.',
    '`ktrdr strategy features STRATEGY [--symbol S] [--start D] [--end D] [--format csv|json]` prints, without a backend,',
    'what a training run sees: every indicator column as the earlier ktrdr names it (`1h_rsi_14`, `1h_adx_14.adx`, and',
    '`1h_adx_14` for the first output), every membership (`1h_rsi_momentum_oversold`), then the model\'s feature columns,',
    'one row per base bar of the range (a model column already listed under the same name is not repeated; `--format',
    'json` also gives `features`, the model\'s columns in order). `ktrdr strategy schema` prints the JSON Schema,',
    'for editors.',
    '',
    '## Reading the file',
    '',
    '- YAML 1.1, like the earlier ktrdr: `yes`/`no`/`on`/`off` are booleans, an unquoted `2024-01-01` is a date (accepted',
    '  where a date is expected), `3.0` is a number: `version` must be quoted (`version: "3.0"`), as in the original.',
    '  Anchors and merge keys share settings between entries (`rsi_21: {<<: *rsi, period: 21}`); the local keys win.',
    '- Unknown keys are warnings, not errors, except inside an indicator (its parameters) and a membership function,',
    '  which are checked strictly. Keys marked [ignored] below load and are listed as notes.',
    '- Names in the file (indicator ids, fuzzy set and membership names) must not contain `.`, `[`, `]` or blanks; an',
    '  indicator id must not be a price column (`open`, `high`, `low`, `close`, `volume`).',
    '',
    '## Fields',
    '',
    'Paths use `.` between keys and `[]` for list items (`nn_inputs[].fuzzy_set`); `<id>`, `<name>` and `<membership>`',
    'are names you choose.',
    '',
    ...fieldTable(),
    '',
    '## Shorthands, aliases and precedence (as the earlier ktrdr)',
    '',
    '- `training_data.symbols.list` (also spelt `symbols`) wins over `symbol`; `training_data.timeframes.list` (also spelt',
    '  `timeframes`) wins over `timeframe`. `base_timeframe` is the base when it is in the list, else the first entry is.',
    '  `mode: single` with a one-entry list is a single-timeframe strategy.',
    '- `nn_inputs[].timeframes: all` is the timeframe list in its written order; a plain string other than `all` is an error',
    '  (the original would iterate its characters).',
    '- An indicator `type` is case-insensitive (`RSI`, `rsi`); MACD\'s `fast`/`slow`/`signal` are its `fast_period`/',
    '  `slow_period`/`signal_period`.',
    '- A reference `id.output` names one output of a multi-output indicator; the bare `id` names its first output',
    '  (`bbands_20` is the upper band, `macd_12_26_9` the MACD line, `adx_14` the ADX).',
    '- A membership `[a, b, c]` is triangular (`[a, b, c, d]`, trapezoidal, is an extension); the long form\'s `type` is',
    '  case-insensitive and may end in `mf` (`TriangularMF`); its numbers may be written as strings.',
    '- The training hyper-parameters (`epochs`, `batch_size`, `learning_rate`, `optimizer`, `early_stopping`) are read',
    '  from the top-level `training` block, as in the original; `model.training`, which the original drops, is used for the',
    '  keys the top level does not give (a warning names every key the top level overrides).',
    '- `training.labels` absent is zigzag labels with the original\'s defaults (threshold 0.02, look-ahead 10);',
    '  `profit_target_atr`, `stop_loss_atr`, `max_holding_bars` are `pt_multiplier`, `sl_multiplier`, `max_holding_period`.',
    '- `early_stopping`: absent or `{}` is off, `true` or a mapping with keys is on.',
    '- `training.data_split.test` is what `train` and `validation` leave (a different value is a warning).',
    '- The training range: a request\'s (the CLI\'s `--start`/`--end`, the API\'s `start_date`/`end_date`) wins, else',
    '  `training_data.start_date`/`end_date`, else `training_data.date_range`, else all the data. `history_required` bars',
    '  before the range are loaded to warm the indicators up and are not trained on.',
    '',
    '## Rules between fields',
    '',
    '- `fuzzy_sets.<name>.indicator` and `nn_inputs[].raw_indicator` name an indicator id (with an output of that indicator',
    '  after a dot, for a multi-output one); a single-output indicator takes no output.',
    '- `nn_inputs[]` has exactly one of `fuzzy_set` / `raw_indicator`; `normalization` only with `raw_indicator`; its',
    '  timeframes are among the strategy\'s; one input per (fuzzy set or indicator, timeframe).',
    '- `indicators.<id>.data_source` is a source id of `context_data`: `<symbol>` (ib), `fred_<series>` and',
    '  `yield_spread_<a>_<b>` (fred, two series or more), `cot_<R>_net_pos` / `cot_<R>_net_pct` (cftc_cot).',
    '- `decisions.output_format: regression` needs `decisions.cost_model.round_trip_cost` and `min_edge_multiplier`, a',
    '  `horizon` for forward_return labels, and `training.loss` huber or mse when given.',
    '- An mlp needs `model.architecture.hidden_layers`; an lstm or gru `model.architecture.sequence_length`.',
    '',
    '## Indicators',
    '',
    'Parameters are set beside `type` (`rsi_14: {type: rsi, period: 14}`); an unknown parameter is an error naming the',
    'allowed ones. `source` is',
    'one of open, high, low, close, volume. The type is matched ignoring case, by any of its names. The numbers and warm-ups',
    'are those of the earlier ktrdr (docs/indicators.md has each formula and every deliberate difference); the warm-up column',
    'is the first bar at which every output is defined.',
    '',
    ...indicatorTable(),
    '',
    '## Membership functions',
    '',
    `Types: ${MEMBERSHIP_TYPES.map((type) => `\`${type}\``).join(', ')}. Each membership of a fuzzy set is written as:`,
    '',
    '- `[a, b, c]`: triangular, a <= b <= c: 1 at b, 0 at and outside a and c, linear between;',
    '- `[a, b, c, d]`: trapezoidal, a <= b <= c <= d: 0 at and outside a and d, 1 on [b, c], linear between;',
    '- `{type: gaussian, parameters: [mean, sigma]}`, sigma > 0; any shape may use this explicit form.',
    '',
    'As in the earlier ktrdr, the outer points are tested first: `[0, 0, 40]` is 1 at 0 (the peak) but the trapezoid',
    '`[60, 80, 100, 100]` is 0 at exactly 100. Outside its points a membership is 0; memberships are not normalised.',
    '',
    '## Features',
    '',
    'Rows are the bars of the base timeframe (`base_timeframe`, else the first of `training_data.timeframes.list`).',
    'Columns, in the model\'s order: for each `nn_inputs` entry, for each of its timeframes, `<tf>_<fuzzy set>_<membership>`',
    'per membership (fuzzy input) or `<tf>_<raw_indicator>_raw` (raw input, written as in the file: `4h_macd.histogram_raw`);',
    'each followed by its lags `<name>[t-1]` … `<name>[t-lookback_periods]` (`model.features.lookback_periods`). With',
    '`model.features.include_price_context`, `<base>_price_return` (close / previous close − 1) and `<base>_price_range`',
    '((high − low) / close) follow, with their lags.',
    '',
    'Each timeframe\'s indicators are computed on its own bars, read from `<SYMBOL>_<TF>.csv`; when a higher timeframe\'s',
    'file is missing its bars are resampled from the base bars (OHLCV aggregated over UTC-aligned spans: 4h bars at 00:00,',
    '04:00, …, daily bars at midnight UTC), and the run says so. **No look-ahead:** a base bar `[T, T + d)` reads the latest',
    'bar of another timeframe that has closed by `T + d` (the earlier ktrdr showed the bar still in progress in backtests',
    'and joined timeframes without fill in training); training, backtests and `strategy features` share this rule. Before',
    'a higher timeframe\'s first closed bar its features are undefined (no back-fill).',
    '',
    '`normalization` of a raw input (`minmax`: (x − min)/(max − min); `zscore`: (x − mean)/sample std; `none`) and',
    '`model.features.scale_features` (z-score every other column) are fitted on the training split only (over every',
    'symbol\'s training rows), stored with the model and re-applied unchanged in backtests; a constant column becomes 0.',
    '',
    'The first rows, until every indicator has warmed up and every lag exists, are not used. A later row with a NaN or',
    'infinite feature is left out of training (counted as `rows_dropped_nan`) and is a HOLD in a backtest. A model stores',
    'this feature specification so that backtests rebuild the same columns.',
    '',
    '### Context data',
    '',
    'An indicator with `data_source: <source id>` is computed on a `context_data` series instead of the instrument\'s bars',
    '(the same series for every timeframe that reads it; feature names do not change). No network provider exists here:',
    '`ib` reads another instrument\'s `<SYMBOL>_<TF>.csv` (TF default 1h); `fred` and `cftc_cot` read',
    '`KTRDR_DATA_DIR/context/<provider>/<SERIES>.csv` with the header `date,value` (UTC dates, ascending; `cftc_cot`\'s',
    'series is the `report`, e.g. `EUR`), written by hand or by `ktrdr data generate SERIES 1d --context fred|cftc_cot`.',
    'A missing file is an error naming the file, its format and that command. Source ids: `fred_<series>` (the value),',
    '`yield_spread_<s0>_<s1>` (the first two series: s0 − s1 on the dates both have), `cot_<R>_net_pos` (the net',
    'position) and `cot_<R>_net_pct` (its 52-week percentile rank: the share ×100 of the previous 51 weeks strictly below',
    'the current one; undefined for the first 51 weeks). Each series is a `close` (and open, high, low) column.',
    '',
    '**Alignment, no look-ahead:** the series is laid onto the base bars, each bar reading the last observation dated at',
    'or before its opening (an `ib` bar: the last one closed by the base bar\'s close, as other timeframes); the indicator',
    'is computed on that aligned series from the first bar with a valid value, and is undefined before it. As in the',
    'earlier ktrdr an observation is visible from 00:00 UTC of its date: a COT report (the Tuesday position, published on',
    'the Friday) is therefore read three days before its publication; stamp a file with publication dates to avoid it.',
    '',
    'A `multi_symbol` strategy trains one model on every symbol of its list (unless the request names one): each symbol\'s',
    'features and labels are computed on its own bars, its rows split chronologically on their own, and the three sets',
    'stacked in symbol order. A backtest runs on one symbol (`--symbol`, default the first), or on each symbol of the',
    'list in turn with `ktrdr backtest MODEL --each-symbol` (one backtest per symbol, each reported).',
    '',
    '## Labels and decisions',
    '',
    'Labels come from `training.labels` (see docs/models.md for every source: zigzag, forward_return, triple_barrier,',
    'context, regime). Zigzag, as the original: the closes are cut into swings of at least `zigzag_threshold` (a fraction)',
    'between pivots; the bars inside a rising swing are BUY, inside a falling one SELL, pivots HOLD. When the file writes',
    '`label_lookahead` (which the original ignores), a bar is instead BUY when the price rises by `zigzag_threshold` within',
    'that many bars before it falls by as much, SELL the reverse, HOLD otherwise. Labels are per bar of the base',
    'timeframe, paired with feature rows by timestamp.',
    '',
    'In a backtest the `decisions` block of the strategy the model was trained with turns each output into a signal, decided',
    'at a bar\'s close and filled at the next bar\'s open, in the original\'s order:',
    '',
    '1. classification: the most probable class (softmax applied to outputs that do not sum to 1; the first on a tie), class',
    '   0 BUY, 1 HOLD, 2 SELL; regression: BUY when the predicted return exceeds `round_trip_cost × min_edge_multiplier`,',
    '   SELL below its negative, HOLD between. No output (a NaN feature) is HOLD.',
    '2. classification only: HOLD when the winning probability is below `confidence_threshold` (equality acts).',
    '3. HOLD within `filters.min_signal_separation` hours of the last fill (entries and exits alike).',
    '4. with `position_awareness`: no BUY while long, no SELL while short, and in classification no SELL from flat unless',
    '   `allow_short_from_flat` (classification strategies are long-only by default; regression may open shorts).',
    '',
    '`cost_model` only sets the regression threshold; a backtest\'s costs are its own commission and slippage. Models',
    'trained on `context` or `regime` labels are refused by the backtest: their classes are not trade signals (the',
    'original traded them as BUY / HOLD / SELL).',
    '',
  ].join('\n');
}
