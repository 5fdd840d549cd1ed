/**
 * A labelled classification data set as the trainer takes it: features
 * row-major in one Float64Array, one class index per row.
 */
import { createHash } from 'node:crypto';

export interface Dataset {
  /** rows × cols features, row-major. */
  readonly X: Float64Array;
  /** One class index per row; negative means unlabelled (see `dropUnlabelled`). */
  readonly y: Int8Array;
  readonly rows: number;
  readonly cols: number;
}

/** Raised for a data set that breaks a rule; the message names the set, the row or field, the value and the rule. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

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
    if (label < 0 || label >= classes) {
      throw new DatasetError(
        `${name}: row ${r} has label ${label}, expected a class index in [0, ${classes})` +
          (label < 0 ? ' (unlabelled rows must be removed first, see dropUnlabelled)' : ''),
      );
    }
  }
  for (let k = 0; k < X.length; k++) {
    if (!Number.isFinite(X[k] as number)) {
      throw new DatasetError(`${name}: row ${Math.floor(k / cols)} column ${k % cols} is ${X[k]}, features must be finite`);
    }
  }
}

/** The rows whose label is not negative (the zig-zag labeller marks rows without a full lookahead with -1). */
export function dropUnlabelled(dataset: Dataset): Dataset {
  const { X, y, rows, cols } = dataset;
  let kept = 0;
  for (let r = 0; r < rows; r++) if ((y[r] as number) >= 0) kept++;
  const keptX = new Float64Array(kept * cols);
  const keptY = new Int8Array(kept);
  let next = 0;
  for (let r = 0; r < rows; r++) {
    if ((y[r] as number) < 0) continue;
    keptX.set(X.subarray(r * cols, (r + 1) * cols), next * cols);
    keptY[next] = y[r] as number;
    next++;
  }
  return { X: keptX, y: keptY, rows: kept, cols };
}

/** Rows [start, end) as views (no copy): chronological splits are consecutive slices. */
export function sliceRows(dataset: Dataset, start: number, end: number): Dataset {
  const { X, y, rows, cols } = dataset;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end) {
    throw new DatasetError(`sliceRows: [${start}, ${end}) is not a row range within [0, ${rows}]`);
  }
  return { X: X.subarray(start * cols, end * cols), y: y.subarray(start, end), rows: end - start, cols };
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
  }
  return hash.digest('hex');
}
