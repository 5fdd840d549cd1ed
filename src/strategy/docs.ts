/**
 * docs/strategies.md, rendered from the strategy schema's JSON Schema (its
 * `.describe()` texts, types, defaults and limits) and from the indicator
 * registry, so the documentation cannot disagree with the validation.
 * `ktrdr strategy docs --check` keeps the committed copy honest.
 */
import { MEMBERSHIP_TYPES } from '../fuzzy/membership.js';
import { INDICATORS, SINGLE_OUTPUT } from '../indicators/registry.js';
import { strategyJsonSchema } from './json-schema.js';

export const STRATEGY_DOCS_PATH = 'docs/strategies.md';

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
    '<!-- Generated by `ktrdr strategy docs` from src/strategy/schema.ts and src/indicators/registry.ts. Do not edit by hand. -->',
    '',
    'A strategy is a YAML file (docs/architecture.md §6.2, the earlier ktrdr "v3" format, subset): the data it trains on, indicators,',
    'fuzzy sets over them, which fuzzy sets feed the model, the model, how its output becomes a decision, and how it is trained.',
    'Examples: `strategies/*.yaml`. Check one with `ktrdr strategy validate FILE [--json]`: every problem is listed by its',
    'path in the file (`fuzzy_sets.rsi.indicator: unknown indicator \'rsi_41\' (defined: rsi_14)`), with its line, and the',
    'command exits 1; a valid file gets a summary (indicators, fuzzy sets, number of features, labels). `ktrdr strategy schema`',
    'prints the JSON Schema, for editors.',
    '',
    '## Fields',
    '',
    'Paths use `.` between keys and `[i]` for list items (`nn_inputs[1].fuzzy_set`); `<id>`, `<name>` and `<membership>` are',
    'names you choose: they start with a letter and hold letters, digits and `_` (they end up in feature names such as',
    '`rsi_momentum.oversold[t-1]`). Unknown fields are errors. YAML anchors and merge keys share settings between entries',
    '(`rsi_21: {<<: *rsi, period: 21}` after `rsi_14: &rsi {type: rsi, period: 14}`); the local keys win.',
    '',
    ...fieldTable(),
    '',
    '## Rules between fields',
    '',
    '- `fuzzy_sets.<name>.indicator` names an indicator id; a multi-output indicator needs its output (`adx_14.adx`), a',
    '  single-output one takes none.',
    '- `nn_inputs[].fuzzy_set` names a fuzzy set, each at most once; `nn_inputs[].timeframes` lists only the strategy\'s',
    '  timeframe (`training_data.timeframes.timeframe`).',
    '- The training hyper-parameters (`learning_rate`, `batch_size`, `epochs`, `optimizer`, `early_stopping`) may be given in',
    '  `model.training` or in the top-level `training` block; given in both, they must be equal.',
    '- `training.data_split`: `train + validation + test` = 1 (within 1e-9); the split is chronological, then the last',
    '  `label_lookahead` rows of the train and validation sets are left out, so that no label reads prices of the next set.',
    '',
    '## Indicators',
    '',
    'Parameters are set beside `type` (`rsi_14: {type: rsi, period: 14}`); an unknown parameter is an error. `source` is',
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
    '- `[a, b, c]`: triangular, a <= b <= c and a < c: 0 outside [a, c], 1 at b;',
    '- `[a, b, c, d]`: trapezoidal, a <= b <= c <= d and a < d: 0 outside [a, d], 1 on [b, c];',
    '- `{type: gaussian, parameters: [mean, sigma]}`, sigma > 0; any shape may use this explicit form.',
    '',
    'A repeated end point is a shoulder: `[0, 0, 40]` is 1 at 0 and falls to 0 at 40. Outside its points a membership is 0.',
    '',
    '## Features',
    '',
    'One column per (`nn_inputs` fuzzy set, membership, lag 0..`model.features.lookback_periods`), in that order, named',
    '`<fuzzy set>.<membership>[t]`, `[t-1]`, …; the row at bar t reads bars up to t only. The first rows, until every',
    'indicator has warmed up and every lag exists, are not used. A later row with a NaN or infinite feature (a rate of',
    'change of a zero volume, a Bollinger width of 0/0) is left out of training (counted as `rows_dropped_nan`) and is a HOLD',
    'in a backtest. A model stores this feature specification so that backtests rebuild the same columns.',
    '',
    '## Labels and decisions',
    '',
    'Each bar is labelled from the future `training.labels.label_lookahead` bars: BUY when the price rises by',
    '`zigzag_threshold` (a fraction) before it falls by as much, SELL the reverse, HOLD otherwise; the last bars without a',
    'full look-ahead are not labelled. In a backtest the model\'s most probable class is acted on when its probability is at',
    'least `decisions.confidence_threshold`, otherwise the decision is HOLD. The last bar of a backtest takes no decision: it',
    'closes the open position, if any.',
    '',
  ].join('\n');
}
