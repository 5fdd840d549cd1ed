/**
 * What a training run sees, one row per base bar, for `ktrdr strategy
 * features`: every indicator column as the earlier ktrdr names it in a pipeline
 * (`<tf>_<id>` for a single output; `<tf>_<id>.<output>` for each output of a
 * multi-output indicator, plus `<tf>_<id>` as a copy of its first output), every
 * fuzzy membership (`<tf>_<fuzzy set>_<membership>`), then the model's feature
 * columns in the model's order (buildFeatures, the same code training runs).
 *
 * Single-timeframe strategies only, for now: the rest is refused naming what
 * is not yet computed.
 */
import { membershipSeries } from '../fuzzy/membership.js';
import { findIndicator, SINGLE_OUTPUT } from '../indicators/registry.js';
import type { BarSeries } from '../market-data/types.js';
import { notYetUsed } from './capabilities.js';
import { buildFeatures, FeatureSpecError } from './features.js';
import { resolveIndicatorReference, type Strategy } from './schema.js';

export interface FeatureTable {
  /** Bar opening times (ms), one per row. */
  readonly time: Float64Array;
  readonly columns: readonly { readonly name: string; readonly values: Float64Array }[];
}

/** The uses that keep `strategy features` from computing what training would see. */
const FEATURES_BLOCKED_BY = new Set(['training_data.timeframes', 'context_data']);

export function featureTable(strategy: Strategy, bars: BarSeries): FeatureTable {
  const blocked = notYetUsed(strategy).filter(
    (use) => FEATURES_BLOCKED_BY.has(use.path) || use.path.endsWith('.data_source') || use.path.endsWith('.raw_indicator'),
  );
  if (blocked.length > 0) throw new FeatureSpecError(`not yet computed by this ktrdr: ${blocked.map((use) => use.what).join('; ')}`);
  const tf = strategy.training_data.timeframes.timeframe;
  const columns: { name: string; values: Float64Array }[] = [];
  const series = new Map<string, Float64Array>();

  for (const [id, indicator] of Object.entries(strategy.indicators)) {
    const definition = findIndicator(indicator.type);
    if (!definition) throw new FeatureSpecError(`indicator '${id}': unknown type '${indicator.type}'`);
    const outputs = definition.compute(bars, indicator.params);
    if (definition.outputs.length === 0) {
      const values = outputs[SINGLE_OUTPUT] as Float64Array;
      series.set(id, values);
      columns.push({ name: `${tf}_${id}`, values });
      continue;
    }
    // As the original: the bare id is a copy of the primary (first) output, then one column per output.
    columns.push({ name: `${tf}_${id}`, values: outputs[definition.outputs[0] as string] as Float64Array });
    for (const output of definition.outputs) {
      const values = outputs[output] as Float64Array;
      series.set(`${id}.${output}`, values);
      columns.push({ name: `${tf}_${id}.${output}`, values });
    }
  }

  const types = Object.fromEntries(Object.entries(strategy.indicators).map(([id, indicator]) => [id, indicator.type]));
  for (const [name, set] of Object.entries(strategy.fuzzy_sets)) {
    const reference = resolveIndicatorReference(set.indicator, types);
    if (!reference.ok) throw new FeatureSpecError(`fuzzy set '${name}': ${reference.problem ?? `invalid indicator '${set.indicator}'`}`);
    const input = series.get(reference.output === SINGLE_OUTPUT ? reference.id : `${reference.id}.${reference.output}`) as Float64Array;
    for (const [membership, fn] of Object.entries(set.sets)) {
      columns.push({ name: `${tf}_${name}_${membership}`, values: membershipSeries(fn, input) });
    }
  }

  const features = buildFeatures(strategy, bars);
  features.names.forEach((name, column) => {
    const values = new Float64Array(features.rows);
    for (let row = 0; row < features.rows; row++) values[row] = features.data[row * features.cols + column] as number;
    columns.push({ name, values });
  });
  return { time: bars.time, columns };
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
export function featureTableJson(table: FeatureTable, from = 0): { columns: string[]; rows: Record<string, string | number | null>[] } {
  const rows: Record<string, string | number | null>[] = [];
  for (let row = from; row < table.time.length; row++) {
    const record: Record<string, string | number | null> = { date: new Date(table.time[row] as number).toISOString() };
    for (const column of table.columns) {
      const value = column.values[row] as number;
      record[column.name] = Number.isFinite(value) ? value : null;
    }
    rows.push(record);
  }
  return { columns: ['date', ...table.columns.map((column) => column.name)], rows };
}
