/**
 * What a training run sees, one row per base bar, for `ktrdr strategy
 * features`: for each timeframe of the strategy (in its order), every indicator
 * column as the earlier ktrdr names it in a pipeline (`<tf>_<id>` for a single
 * output; `<tf>_<id>.<output>` for each output of a multi-output indicator,
 * plus `<tf>_<id>` as a copy of its first output), then every fuzzy membership
 * (`<tf>_<fuzzy set>_<membership>`), then the model's feature columns in the
 * model's order (buildFeatures, the same code training runs) except those
 * already listed under the same name (a lag-0 fuzzy feature is its membership
 * column); `features` lists the model's columns in order.
 *
 * Another timeframe's values are shown on a base bar as the features read them:
 * those of its latest bar closed by the base bar's close (strategy/alignment.ts).
 * Raw features are shown before normalisation (its statistics come from a
 * training split, which a table of bars has not got).
 */
import { membershipSeries } from '../fuzzy/membership.js';
import { findIndicator, SINGLE_OUTPUT } from '../indicators/registry.js';
import type { BarSeries } from '../market-data/types.js';
import { notYetUsed } from './capabilities.js';
import { AlignedSeries, asMarketInputs, buildFeaturesFromSpec, featureSpec, FeatureSpecError, type MarketInputs } from './features.js';
import { resolveIndicatorReference, type Strategy } from './schema.js';

export interface FeatureTable {
  /** Bar opening times (ms), one per row. */
  readonly time: Float64Array;
  readonly columns: readonly { readonly name: string; readonly values: Float64Array }[];
  /** The model's feature columns, in the model's order (each one is among `columns`). */
  readonly features: readonly string[];
}


export function featureTable(strategy: Strategy, market: MarketInputs | BarSeries): FeatureTable {
  const blocked = notYetUsed(strategy).filter((use) => use.path === 'training_data.timeframes');
  if (blocked.length > 0) throw new FeatureSpecError(`not yet computed by this ktrdr: ${blocked.map((use) => use.what).join('; ')}`);
  const spec = featureSpec(strategy);
  // Every timeframe of the strategy, not only those the model reads, so that a user sees what the file computes.
  const timeframes = [...new Set([...strategy.training_data.timeframes.list, ...spec.timeframes])] as typeof spec.timeframes;
  const inputs = asMarketInputs({ base_timeframe: spec.base_timeframe, timeframes }, market);
  const indicators = new Map(Object.entries(strategy.indicators).map(([id, indicator]) => [id, { type: indicator.type, params: indicator.params, data_source: indicator.data_source }]));
  const aligned = new AlignedSeries(inputs, spec.base_timeframe, indicators);
  const columns: { name: string; values: Float64Array }[] = [];
  const types = Object.fromEntries(Object.entries(strategy.indicators).map(([id, indicator]) => [id, indicator.type]));

  for (const tf of timeframes) {
    for (const [id, indicator] of Object.entries(strategy.indicators)) {
      const definition = findIndicator(indicator.type);
      if (!definition) throw new FeatureSpecError(`indicator '${id}': unknown type '${indicator.type}'`);
      if (definition.outputs.length === 0) {
        columns.push({ name: `${tf}_${id}`, values: aligned.series(tf, id, SINGLE_OUTPUT) });
        continue;
      }
      // As the original: the bare id is a copy of the primary (first) output, then one column per output.
      columns.push({ name: `${tf}_${id}`, values: aligned.series(tf, id, definition.outputs[0] as string) });
      for (const output of definition.outputs) columns.push({ name: `${tf}_${id}.${output}`, values: aligned.series(tf, id, output) });
    }
  }
  for (const tf of timeframes) {
    for (const [name, set] of Object.entries(strategy.fuzzy_sets)) {
      const reference = resolveIndicatorReference(set.indicator, types);
      if (!reference.ok) throw new FeatureSpecError(`fuzzy set '${name}': ${reference.problem ?? `invalid indicator '${set.indicator}'`}`);
      const input = aligned.series(tf, reference.id, reference.output);
      for (const [membership, fn] of Object.entries(set.sets)) columns.push({ name: `${tf}_${name}_${membership}`, values: membershipSeries(fn, input) });
    }
  }

  const features = buildFeaturesFromSpec(spec, inputs);
  // A model column named as a membership column (`1h_rsi_zone_low`, §5.2) holds the same values: listed once.
  const shown = new Set(columns.map((column) => column.name));
  features.names.forEach((name, column) => {
    if (shown.has(name)) return;
    const values = new Float64Array(features.rows);
    for (let row = 0; row < features.rows; row++) values[row] = features.data[row * features.cols + column] as number;
    columns.push({ name, values });
  });
  return { time: inputs.base.time, columns, features: features.names };
}

/** Rows `from`..end as CSV: `date` (ISO, UTC) then every column; NaN is an empty cell. */
export function featureTableCsv(table: FeatureTable, from = 0): string {
  const lines = [['date', ...table.columns.map((column) => column.name)].join(',')];
  for (let row = from; row < table.time.length; row++) {
    const cells = [new Date(table.time[row] as number).toISOString()];
    for (const column of table.columns) {
      const value = column.values[row] as number;
      cells.push(Number.isNaN(value) ? '' : String(value));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Rows `from`..end as JSON: `{columns, rows: [{date, <column>: value | null}]}`. */
export function featureTableJson(table: FeatureTable, from = 0): { columns: string[]; features: string[]; rows: Record<string, string | number | null>[] } {
  const rows: Record<string, string | number | null>[] = [];
  for (let row = from; row < table.time.length; row++) {
    const record: Record<string, string | number | null> = { date: new Date(table.time[row] as number).toISOString() };
    for (const column of table.columns) {
      const value = column.values[row] as number;
      record[column.name] = Number.isFinite(value) ? value : null;
    }
    rows.push(record);
  }
  return { columns: ['date', ...table.columns.map((column) => column.name)], features: [...table.features], rows };
}
