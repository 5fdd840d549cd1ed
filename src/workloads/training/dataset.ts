/**
 * From bars to the three chronological data sets a model is trained,
 * validated and tested on. Rows are bars whose features are all defined (after
 * the indicators' warm-up) and whose label is settled (not the last
 * `label_lookahead` bars); the split never shuffles time, so the test set is
 * strictly after the data the model learned from.
 */
import { KtrdrError } from '../../common/errors.js';
import { zigzagLabels, UNLABELLED } from '../../labels/zigzag.js';
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
}

/** Smallest sensible set: fewer rows than this and metrics say nothing. */
const MIN_ROWS_PER_SET = 10;

export function prepareData(strategy: Strategy, bars: BarSeries): PreparedData {
  const features = buildFeatures(strategy, bars);
  const { zigzag_threshold: threshold, label_lookahead: lookahead } = strategy.training.labels;
  const labels = zigzagLabels(bars.close, threshold, lookahead);

  const usable: number[] = [];
  for (let row = features.firstValidRow; row < features.rows; row++) if (labels[row] !== UNLABELLED) usable.push(row);

  const { train: trainShare, validation: validationShare } = strategy.training.data_split;
  const trainEnd = Math.floor(usable.length * trainShare);
  const validationEnd = Math.floor(usable.length * (trainShare + validationShare));
  const sets = [usable.slice(0, trainEnd), usable.slice(trainEnd, validationEnd), usable.slice(validationEnd)];
  const names = ['train', 'validation', 'test'];
  sets.forEach((rows, index) => {
    if (rows.length < MIN_ROWS_PER_SET) {
      throw new KtrdrError(
        'VALIDATION_ERROR',
        `${bars.symbol} ${bars.timeframe}: the ${names[index]} set has ${rows.length} rows (at least ${MIN_ROWS_PER_SET} needed): ` +
          `${bars.time.length} bars give ${usable.length} usable rows after the warm-up of ${features.firstValidRow} bars and the ` +
          `${lookahead}-bar label lookahead; use more data or a wider date range`,
      );
    }
  });
  const [train, validation, test] = sets.map((rows) => gather(features, labels, bars.time, rows)) as [Split, Split, Split];
  return { features, train, validation, test };
}

function gather(features: FeatureMatrix, labels: Int8Array, time: Float64Array, rows: readonly number[]): Split {
  const { cols } = features;
  const X = new Float64Array(rows.length * cols);
  const y = new Int8Array(rows.length);
  rows.forEach((row, index) => {
    X.set(features.data.subarray(row * cols, (row + 1) * cols), index * cols);
    y[index] = labels[row] as number;
  });
  return {
    data: { X, y, rows: rows.length, cols },
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
