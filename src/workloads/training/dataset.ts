/**
 * From bars to the three chronological data sets a model is trained,
 * validated and tested on.
 *
 * Rows are bars whose features are all finite and whose label is settled (not
 * the last `label_lookahead` bars). Besides the indicators' warm-up, a feature
 * can be undefined later on (a rate of change of a zero volume, a Bollinger
 * width of 0/0): such rows are dropped and counted (`rowsDroppedNan`) rather
 * than handed to the trainer.
 *
 * The split never shuffles time, so the test set is strictly after the data
 * the model learned from. A label at bar t is read from close[t+1 .. t+lookahead],
 * so the last rows of the train and validation sets would otherwise be labelled
 * with prices of the next set: rows with t + lookahead >= the next set's first
 * bar are purged (at most `label_lookahead` rows per boundary, counted in
 * `rowsPurged`), which keeps every label window inside its own set.
 */
import { KtrdrError } from '../../common/errors.js';
import { labelsFor, type LabelResult } from '../../labels/index.js';
import type { BarSeries } from '../../market-data/types.js';
import type { Dataset } from '../../nn/dataset.js';
import { buildFeatures, type FeatureMatrix } from '../../strategy/features.js';
import type { Strategy } from '../../strategy/schema.js';

export interface Split {
  readonly data: Dataset;
  /** Bar times (ms) of the first and last rows. */
  readonly start: number;
  readonly end: number;
}

export interface PreparedData {
  readonly features: FeatureMatrix;
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
  /** Labelled rows after the warm-up left out because a feature is NaN or infinite. */
  readonly rowsDroppedNan: number;
  /** Rows left out at the end of the train and validation sets so that no label window reaches the next set. */
  readonly rowsPurged: number;
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

/** `firstRow`: the bars before it only warm the indicators up (history_required before the training range). */
export function prepareData(strategy: Strategy, bars: BarSeries, firstRow = 0): PreparedData {
  const features = buildFeatures(strategy, bars);
  // Labels per bar of this series, paired with feature rows by index = by timestamp (same bars).
  const labelled = labelsFor(strategy.training.labels, bars, { outputFormat: strategy.decisions.output_format });
  const { values: labels, horizon: lookahead } = labelled;

  const usable: number[] = [];
  let rowsDroppedNan = 0;
  for (let row = Math.max(features.firstValidRow, firstRow); row < features.rows; row++) {
    if (Number.isNaN(labels[row] as number)) continue;
    if (rowIsFinite(features, row)) usable.push(row);
    else rowsDroppedNan++;
  }

  const { train: trainShare, validation: validationShare } = strategy.training.data_split;
  const trainEnd = Math.floor(usable.length * trainShare);
  const validationEnd = Math.floor(usable.length * (trainShare + validationShare));
  const chronological = [usable.slice(0, trainEnd), usable.slice(trainEnd, validationEnd), usable.slice(validationEnd)];
  // Purge: a set keeps a row only when its label window ends before the next set's first bar.
  const sets = chronological.map((rows, index) => {
    const nextFirst = chronological[index + 1]?.[0];
    return nextFirst === undefined ? rows : rows.filter((row) => row + lookahead < nextFirst);
  });
  const rowsPurged = chronological.reduce((sum, rows, index) => sum + rows.length - (sets[index]?.length ?? 0), 0);
  sets.forEach((rows, index) => {
    if (rows.length < MIN_ROWS_PER_SET) {
      throw new KtrdrError(
        'VALIDATION_ERROR',
        `${bars.symbol} ${bars.timeframe}: the ${SET_NAMES[index]} set has ${rows.length} rows (at least ${MIN_ROWS_PER_SET} needed): ` +
          `${bars.time.length} bars give ${usable.length} usable rows after the warm-up of ${features.firstValidRow} bars and the ` +
          `${lookahead}-bar label lookahead (${rowsDroppedNan} rows dropped for NaN features, ${rowsPurged} purged at the set boundaries); ` +
          'use more data or a wider date range',
      );
    }
  });
  const [train, validation, test] = sets.map((rows) => gather(features, labelled, bars.time, rows)) as [Split, Split, Split];
  const { values: _values, weights: _weights, ...about } = labelled;
  return { features, train, validation, test, rowsDroppedNan, rowsPurged, labels: about };
}

function gather(features: FeatureMatrix, labelled: LabelResult, time: Float64Array, rows: readonly number[]): Split {
  const { cols } = features;
  const X = new Float64Array(rows.length * cols);
  const y = labelled.kind === 'regression' ? new Float64Array(rows.length) : new Int8Array(rows.length);
  const weights = labelled.weights === undefined ? undefined : new Float64Array(rows.length);
  // A new segment where a bar is missing between two rows (a dropped NaN row, an unlabelled bar): sequence windows never span one.
  const segments = new Int32Array(rows.length);
  rows.forEach((row, index) => {
    X.set(features.data.subarray(row * cols, (row + 1) * cols), index * cols);
    y[index] = labelled.values[row] as number;
    if (weights) weights[index] = labelled.weights?.[row] as number;
    segments[index] = index === 0 ? 0 : (segments[index - 1] as number) + (row === (rows[index - 1] as number) + 1 ? 0 : 1);
  });
  return {
    data: { X, y, rows: rows.length, cols, segments, ...(weights ? { weights } : {}) },
    start: time[rows[0] as number] as number,
    end: time[rows[rows.length - 1] as number] as number,
  };
}

/** How many rows of each class a set holds, for the log and the artifact. */
export function classCounts(data: Dataset, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of data.y) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}
