/**
 * Sequence windows for recurrent models: a sample at row t is rows
 * t − T + 1 … t of a row-major feature matrix (oldest first), so a window is a
 * contiguous slice. A window must not span two symbols or a gap in the bars:
 * rows carry a segment id (or a break mask), and only windows inside one
 * segment are built; the first T − 1 rows of each segment serve as context only.
 */
import { createError } from '../common/errors.js';

/** Raised for windowing input that breaks a rule; the message names the value and the rule. */
export class WindowError extends createError('WindowError') {}

export interface WindowOptions {
  /** One id per row; rows of a window share their id (symbols, or contiguous runs of bars). */
  readonly segments?: ArrayLike<number> | null;
  /** One flag per row; a truthy flag means a new segment starts at that row (a gap lies before it). */
  readonly breaks?: ArrayLike<number | boolean> | null;
}

/** The last row of every window of `length` rows (out of `rows`) that stays inside one segment, ascending. */
export function windowEnds(rows: number, length: number, options: WindowOptions = {}): Int32Array {
  if (!Number.isInteger(rows) || rows < 0) throw new WindowError(`windows: rows ${rows} is not a non-negative integer`);
  if (!Number.isInteger(length) || length < 1) throw new WindowError(`windows: sequence_length ${length} is not a positive integer`);
  const { segments, breaks } = options;
  if (segments && segments.length !== rows) throw new WindowError(`windows: ${segments.length} segment ids for ${rows} rows`);
  if (breaks && breaks.length !== rows) throw new WindowError(`windows: ${breaks.length} break flags for ${rows} rows`);
  const ends: number[] = [];
  let runStart = 0;
  for (let r = 0; r < rows; r++) {
    const newSegment = r > 0 && ((segments && segments[r] !== segments[r - 1]) || (breaks && Boolean(breaks[r])));
    if (newSegment) runStart = r;
    if (r - runStart + 1 >= length) ends.push(r);
  }
  return Int32Array.from(ends);
}

/**
 * Copies the windows ending at `ends[from .. from + count)` (through `order`
 * when given: sample k is `ends[order[from + k]]`) into `out`, one
 * `length × cols` block per sample.
 */
export function gatherWindows(
  X: Float64Array,
  cols: number,
  length: number,
  ends: Int32Array,
  from: number,
  count: number,
  out: Float64Array,
  order?: Int32Array,
): void {
  const size = length * cols;
  for (let k = 0; k < count; k++) {
    const sample = order === undefined ? from + k : (order[from + k] as number);
    const end = ends[sample] as number;
    const start = (end - length + 1) * cols;
    out.set(X.subarray(start, start + size), k * size);
  }
}
