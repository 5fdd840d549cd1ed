/**
 * A labelled data set as the trainer takes it: features row-major in one
 * Float64Array, one class index (classification) or real target
 * (regression) per row, and optionally a sample weight and a segment id per
 * row.
 */
import { createHash } from 'node:crypto';
import { createError } from '../common/errors.js';

export interface Dataset {
  /** rows × cols features, row-major. */
  readonly X: Float64Array;
  /** One class index per row (negative means unlabelled, see `dropUnlabelled`), or one real target per row for regression. */
  readonly y: Int8Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Sampling weight per row (for a window: of its last row); finite, ≥ 0, not all 0. */
  readonly weights?: Float64Array;
  /** Segment id per row (symbol, contiguous run of bars): sequence windows never span two segments. */
  readonly segments?: ArrayLike<number>;
}

/** Raised for a data set that breaks a rule; the message names the set, the row or field, the value and the rule. */
export class DatasetError extends createError('DatasetError') {}

/** Checks shapes, finiteness of features and that every label is a class index in [0, classes). */
export function validateDataset(dataset: Dataset, classes: number, name: string): void {
  const { X, y, rows, cols } = dataset;
  if (!Number.isInteger(rows) || rows < 0) throw new DatasetError(`${name}: rows ${rows} is not a non-negative integer`);
  if (!Number.isInteger(cols) || cols < 1) throw new DatasetError(`${name}: cols ${cols} is not a positive integer`);
  if (X.length !== rows * cols) {
    throw new DatasetError(`${name}: X holds ${X.length} values, ${rows} rows × ${cols} cols need ${rows * cols}`);
  }
  if (y.length !== rows) throw new DatasetError(`${name}: y holds ${y.length} labels, expected one per row (${rows})`);
  for (let r = 0; r < rows; r++) {
    const label = y[r] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new DatasetError(
        `${name}: row ${r} has label ${label}, expected a class index in [0, ${classes})` +
          (label < 0 ? ' (unlabelled rows must be removed first, see dropUnlabelled)' : ''),
      );
    }
  }
  validateFeatures(dataset, name);
}

/** Checks shapes, finiteness of features and that every target is finite (regression). */
export function validateRegressionDataset(dataset: Dataset, name: string): void {
  const { y, rows, cols } = dataset;
  if (!Number.isInteger(rows) || rows < 0) throw new DatasetError(`${name}: rows ${rows} is not a non-negative integer`);
  if (!Number.isInteger(cols) || cols < 1) throw new DatasetError(`${name}: cols ${cols} is not a positive integer`);
  if (y.length !== rows) throw new DatasetError(`${name}: y holds ${y.length} targets, expected one per row (${rows})`);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(y[r] as number)) throw new DatasetError(`${name}: row ${r} has target ${y[r]}, regression targets must be finite`);
  }
  validateFeatures(dataset, name);
}

function validateFeatures(dataset: Dataset, name: string): void {
  const { X, rows, cols, weights, segments } = dataset;
  if (X.length !== rows * cols) {
    throw new DatasetError(`${name}: X holds ${X.length} values, ${rows} rows × ${cols} cols need ${rows * cols}`);
  }
  for (let k = 0; k < X.length; k++) {
    if (!Number.isFinite(X[k] as number)) {
      throw new DatasetError(`${name}: row ${Math.floor(k / cols)} column ${k % cols} is ${X[k]}, features must be finite`);
    }
  }
  if (weights !== undefined) {
    if (weights.length !== rows) throw new DatasetError(`${name}: weights holds ${weights.length} values, expected one per row (${rows})`);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const w = weights[r] as number;
      if (!(Number.isFinite(w) && w >= 0)) throw new DatasetError(`${name}: row ${r} has weight ${w}, weights must be finite and ≥ 0`);
      total += w;
    }
    if (rows > 0 && total === 0) throw new DatasetError(`${name}: every weight is 0, at least one row must be drawable`);
  }
  if (segments !== undefined && segments.length !== rows) {
    throw new DatasetError(`${name}: segments holds ${segments.length} ids, expected one per row (${rows})`);
  }
}

/**
 * The rows whose label is not negative (the zig-zag labeller marks rows
 * without a full lookahead with -1), with their weights. With segment ids,
 * each run of kept rows becomes a segment of its own (numbered 0, 1, …), so
 * that no sequence window bridges the dropped rows.
 */
export function dropUnlabelled(dataset: Dataset): Dataset {
  const { X, y, rows, cols, weights, segments } = dataset;
  const keptRows: number[] = [];
  for (let r = 0; r < rows; r++) if ((y[r] as number) >= 0) keptRows.push(r);
  const kept = keptRows.length;
  const keptX = new Float64Array(kept * cols);
  const keptY = new Int8Array(kept);
  keptRows.forEach((r, next) => {
    keptX.set(X.subarray(r * cols, (r + 1) * cols), next * cols);
    keptY[next] = y[r] as number;
  });
  return {
    X: keptX,
    y: keptY,
    rows: kept,
    cols,
    ...(weights === undefined ? {} : { weights: Float64Array.from(keptRows, (r) => weights[r] as number) }),
    ...(segments === undefined ? {} : { segments: runIds(keptRows, segments) }),
  };
}

/** A run number per kept row: a new run starts where rows were dropped or the segment changes. */
function runIds(keptRows: readonly number[], segments: ArrayLike<number>): number[] {
  let run = 0;
  return keptRows.map((r, k) => {
    const previous = keptRows[k - 1];
    if (previous !== undefined && (previous !== r - 1 || segments[previous] !== segments[r])) run++;
    return run;
  });
}

/** Rows [start, end) as views (no copy): chronological splits are consecutive slices. */
export function sliceRows(dataset: Dataset, start: number, end: number): Dataset {
  const { X, y, rows, cols, weights, segments } = dataset;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end) {
    throw new DatasetError(`sliceRows: [${start}, ${end}) is not a row range within [0, ${rows}]`);
  }
  return {
    X: X.subarray(start * cols, end * cols),
    y: y.subarray(start, end),
    rows: end - start,
    cols,
    ...(weights === undefined ? {} : { weights: weights.subarray(start, end) }),
    ...(segments === undefined ? {} : { segments: Array.prototype.slice.call(segments, start, end) as number[] }),
  };
}

/** SHA-256 over the shapes and bytes of the data sets, so a checkpoint can tell whether it is resumed on the same data. */
export function fingerprint(datasets: readonly (Dataset | null)[]): string {
  const hash = createHash('sha256');
  for (const dataset of datasets) {
    if (dataset === null) {
      hash.update('none;');
      continue;
    }
    hash.update(`${dataset.rows}x${dataset.cols};`);
    hash.update(new Uint8Array(dataset.X.buffer, dataset.X.byteOffset, dataset.X.byteLength));
    hash.update(new Uint8Array(dataset.y.buffer, dataset.y.byteOffset, dataset.y.byteLength));
    // Weights and segments change which samples a run draws, so a resume must see the same ones.
    if (dataset.weights !== undefined) {
      hash.update('weights;');
      hash.update(new Uint8Array(dataset.weights.buffer, dataset.weights.byteOffset, dataset.weights.byteLength));
    }
    if (dataset.segments !== undefined) {
      const segments = Float64Array.from(dataset.segments);
      hash.update('segments;');
      hash.update(new Uint8Array(segments.buffer));
    }
  }
  return hash.digest('hex');
}
