/**
 * From bars to the three chronological data sets a model is trained,
 * validated and tested on.
 *
 * Per symbol: features over its base bars (strategy/features.ts), its OWN
 * labels (one `labelsFor` call per symbol: the original labelled every symbol
 * with the first one's prices, Appendix C item 4), then a chronological split
 * of its usable rows. The sets of all symbols are then stacked in symbol order,
 * each row tagged with its symbol as segment (so no sequence window spans two
 * symbols), and the normalisation statistics are fitted on the stacked TRAIN
 * rows only and applied to all three sets (our rule 3).
 *
 * Rows are bars whose features are all finite and whose label is settled (not
 * NaN). Besides the indicators' warm-up, a feature can be undefined later on (a
 * rate of change of a zero volume, a Bollinger width of 0/0): such rows are
 * dropped and counted (`rowsDroppedNan`) rather than handed to the trainer.
 *
 * The split never shuffles time, so each symbol's test rows are strictly after
 * the rows the model learned from. A label at bar t reads bars t+1 ..
 * t+horizon, so the last rows of a symbol's train and validation sets would be
 * labelled with prices of its next set: rows with t + horizon >= the next set's
 * first bar are purged (counted in `rowsPurged`), keeping every label window
 * inside its own set.
 */
import { KtrdrError } from '../../common/errors.js';
import { labelsFor as computeLabels, type LabelResult } from '../../labels/index.js';
import type { BarSeries } from '../../market-data/types.js';
import type { Dataset } from '../../nn/dataset.js';
import { applyNormalization, buildFeaturesFromSpec, featureSpec, fitNormalization, type FeatureMatrix, type FeatureSpec, type MarketInputs } from '../../strategy/features.js';
import type { Strategy } from '../../strategy/schema.js';

/**
 * The labels of one symbol's base bars (src/labels: one value per bar, NaN =
 * unlabelled, and how many bars a label looks ahead, for purging at the split
 * boundaries). The contract label sources plug into: one call per symbol.
 */
export type LabelsFor = (bars: BarSeries) => LabelResult;

/** The labels `training.labels` describes, for the strategy's output format. */
export function strategyLabelsFor(strategy: Strategy): LabelsFor {
  return (bars) => computeLabels(strategy.training.labels, bars, { outputFormat: strategy.decisions.output_format });
}

export interface Split {
  readonly data: Dataset;
  /** Bar times (ms) of the first and last rows (over every symbol: the earliest first row, the latest last row). */
  readonly start: number;
  readonly end: number;
}

export interface SymbolData {
  readonly symbol: string;
  readonly inputs: MarketInputs;
  /** Rows before it only warm the indicators up (history_required before the training range). */
  readonly firstRow: number;
}

export interface PreparedData {
  /** The first symbol's features (normalised as the sets are). */
  readonly features: FeatureMatrix;
  /** The specification the model stores: with the normalisation statistics fitted on the train set. */
  readonly spec: FeatureSpec;
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
  /** Labelled rows after the warm-up left out because a feature is NaN or infinite. */
  readonly rowsDroppedNan: number;
  /** Rows left out at the end of the train and validation sets so that no label window reaches the next set. */
  readonly rowsPurged: number;
  /** Rows per symbol in each set, in symbol order. */
  readonly perSymbol: { symbol: string; train: number; validation: number; test: number }[];
  /** What the labels are (classification with class names, or regression) and how far they look ahead. */
  readonly labels: Omit<LabelResult, 'values' | 'weights'>;
}

/** Smallest sensible set: fewer rows than this and metrics say nothing. */
const MIN_ROWS_PER_SET = 10;

const SET_NAMES = ['train', 'validation', 'test'] as const;

function rowIsFinite(features: FeatureMatrix, row: number): boolean {
  const { cols, data } = features;
  for (let c = row * cols, end = c + cols; c < end; c++) if (!Number.isFinite(data[c] as number)) return false;
  return true;
}

interface SymbolSets {
  readonly symbol: string;
  readonly features: FeatureMatrix;
  readonly labels: LabelResult;
  readonly time: Float64Array;
  readonly sets: number[][];
  readonly usable: number;
  readonly dropped: number;
  readonly purged: number;
}

function splitSymbol(strategy: Strategy, spec: FeatureSpec, symbol: SymbolData, labelsFor: LabelsFor): SymbolSets {
  const features = buildFeaturesFromSpec(spec, symbol.inputs);
  const labelled = labelsFor(symbol.inputs.base);
  const { values: labels, horizon } = labelled;
  if (labels.length !== features.rows) {
    throw new KtrdrError('VALIDATION_ERROR', `${symbol.symbol}: ${labels.length} labels for ${features.rows} bars (a label source must give one per base bar)`);
  }
  const usable: number[] = [];
  let dropped = 0;
  for (let row = Math.max(features.firstValidRow, symbol.firstRow); row < features.rows; row++) {
    if (Number.isNaN(labels[row] as number)) continue;
    if (rowIsFinite(features, row)) usable.push(row);
    else dropped++;
  }
  const { train: trainShare, validation: validationShare } = strategy.training.data_split;
  const trainEnd = Math.floor(usable.length * trainShare);
  const validationEnd = Math.floor(usable.length * (trainShare + validationShare));
  const chronological = [usable.slice(0, trainEnd), usable.slice(trainEnd, validationEnd), usable.slice(validationEnd)];
  // Purge: a set keeps a row only when its label window ends before the next set's first bar.
  const sets = chronological.map((rows, index) => {
    const nextFirst = chronological[index + 1]?.[0];
    return nextFirst === undefined ? rows : rows.filter((row) => row + horizon < nextFirst);
  });
  const purged = chronological.reduce((sum, rows, index) => sum + rows.length - (sets[index]?.length ?? 0), 0);
  return { symbol: symbol.symbol, features, labels: labelled, time: symbol.inputs.base.time, sets, usable: usable.length, dropped, purged };
}

function single(bars: BarSeries, spec: FeatureSpec, firstRow: number): SymbolData[] {
  return [{ symbol: bars.symbol, inputs: { base: bars, timeframes: new Map([[spec.base_timeframe, bars]]) }, firstRow }];
}

/**
 * The three sets of a strategy over one or several symbols' bars. A single
 * `BarSeries` stands for a single-timeframe strategy's only symbol, with
 * `firstRow` its first trained row.
 */
export function prepareData(strategy: Strategy, data: BarSeries | readonly SymbolData[], firstRow = 0, labelsFor: LabelsFor = strategyLabelsFor(strategy)): PreparedData {
  const unfitted = featureSpec(strategy);
  const symbols = 'close' in data ? single(data as BarSeries, unfitted, firstRow) : (data as readonly SymbolData[]);
  if (symbols.length === 0) throw new KtrdrError('VALIDATION_ERROR', 'no symbol to train on');
  const perSymbol = symbols.map((symbol) => splitSymbol(strategy, unfitted, symbol, labelsFor));
  const rowsDroppedNan = perSymbol.reduce((sum, s) => sum + s.dropped, 0);
  const rowsPurged = perSymbol.reduce((sum, s) => sum + s.purged, 0);

  SET_NAMES.forEach((name, index) => {
    const rows = perSymbol.reduce((sum, s) => sum + (s.sets[index]?.length ?? 0), 0);
    if (rows >= MIN_ROWS_PER_SET) return;
    const detail = perSymbol
      .map((s) => `${s.symbol}: ${s.time.length} bars give ${s.usable} usable rows after the warm-up of ${s.features.firstValidRow} bars (${s.dropped} dropped for NaN features, ${s.purged} purged at the set boundaries)`)
      .join('; ');
    throw new KtrdrError(
      'VALIDATION_ERROR',
      `${symbols.map((s) => s.symbol).join(', ')} ${unfitted.base_timeframe}: the ${name} set has ${rows} rows (at least ${MIN_ROWS_PER_SET} needed): ${detail}; use more data or a wider date range`,
    );
  });

  const [train, validation, test] = SET_NAMES.map((_, index) => gather(perSymbol, index)) as [Split, Split, Split];
  // Fitted on the stacked train rows only, then applied to the other sets and to the features shown.
  const spec = fitNormalization(unfitted, train.data.X, train.data.cols, Array.from({ length: train.data.rows }, (_, i) => i));
  for (const split of [validation, test]) applyNormalization(spec, split.data.X, split.data.cols);
  const first = perSymbol[0] as SymbolSets;
  applyNormalization(spec, first.features.data, first.features.cols);
  return {
    features: first.features,
    spec,
    train,
    validation,
    test,
    rowsDroppedNan,
    rowsPurged,
    perSymbol: perSymbol.map((s) => ({ symbol: s.symbol, train: s.sets[0]?.length ?? 0, validation: s.sets[1]?.length ?? 0, test: s.sets[2]?.length ?? 0 })),
    labels: { horizon: Math.max(...perSymbol.map((s) => s.labels.horizon)), kind: first.labels.kind, classes: first.labels.classes },
  };
}

function gather(perSymbol: readonly SymbolSets[], set: number): Split {
  const cols = perSymbol[0]?.features.cols ?? 0;
  const total = perSymbol.reduce((sum, s) => sum + (s.sets[set]?.length ?? 0), 0);
  const regression = perSymbol[0]?.labels.kind === 'regression';
  const X = new Float64Array(total * cols);
  const y = regression ? new Float64Array(total) : new Int8Array(total);
  const weighted = perSymbol.some((s) => s.labels.weights !== undefined);
  const weights = weighted ? new Float64Array(total) : undefined;
  // A new segment per symbol and where a bar is missing between two rows (a dropped NaN row, an unlabelled bar):
  // sequence windows never span one.
  const segments = new Int32Array(total);
  let segment = -1;
  let at = 0;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of perSymbol) {
    const rows = s.sets[set] ?? [];
    let previous = Number.NaN;
    for (const row of rows) {
      if (row !== previous + 1) segment++;
      previous = row;
      X.set(s.features.data.subarray(row * cols, (row + 1) * cols), at * cols);
      y[at] = s.labels.values[row] as number;
      if (weights) weights[at] = s.labels.weights?.[row] ?? 1;
      segments[at] = segment;
      at++;
    }
    if (rows.length > 0) {
      // The train set starts with the earliest symbol; a later set with the latest, so that "from the test
      // start on" is held-out data for every symbol.
      const first = s.time[rows[0] as number] as number;
      start = set === 0 ? Math.min(start, first) : start === Number.POSITIVE_INFINITY ? first : Math.max(start, first);
      end = Math.max(end, s.time[rows[rows.length - 1] as number] as number);
    }
  }
  return { data: { X, y, rows: total, cols, segments, ...(weights ? { weights } : {}) }, start, end };
}

/** How many rows of each class a set holds, for the log and the artifact. */
export function classCounts(data: Dataset, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of data.y) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}
