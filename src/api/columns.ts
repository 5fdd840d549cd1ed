/**
 * The binary columnar body of the data routes (docs/architecture.md §4, "Binary bars"):
 * what `GET /data/{symbol}/{timeframe}` and `GET /data/context/{provider}/{series}`
 * answer to `Accept: application/vnd.ktrdr.columns+f64`, instead of JSON.
 *
 *   offset  size     field
 *   0       8        magic, ASCII `KTRDRF64`
 *   8       4        format version, uint32 little-endian (1)
 *   12      4        H, the header's length in bytes, uint32 little-endian
 *   16      H        header: UTF-8 JSON `{"rows": n, "columns": ["time", ...], ...}`
 *                    (the other keys describe the series: symbol and timeframe, or
 *                    provider and series), padded with spaces so 16 + H is a multiple of 8
 *   16 + H  8·n·C    the C columns in the header's order, each n IEEE-754 float64
 *                    little-endian values; nothing follows
 *
 * Every value is a float64 (times are ms since the epoch, exact up to 2^53), so a
 * reader on a little-endian machine views the columns where they lie: no parse and
 * no copy. The padding keeps every column 8-byte aligned for that.
 */
import { endianness } from 'node:os';
import { createError } from '../common/errors.js';

export const COLUMNS_MEDIA_TYPE = 'application/vnd.ktrdr.columns+f64';
export const COLUMNS_MAGIC = 'KTRDRF64';
export const COLUMNS_VERSION = 1;
const PREFIX_BYTES = 16;

/** A body that is not a valid columns frame (truncated, another format, inconsistent lengths). */
export class ColumnsFormatError extends createError('ColumnsFormatError', {
  message: (reason: string) => `invalid ${COLUMNS_MEDIA_TYPE} body: ${reason}`,
}) {}

export interface DecodedColumns {
  /** The header's keys other than `rows` and `columns`. */
  readonly meta: Record<string, unknown>;
  readonly rows: number;
  /** Each column by name, in the header's order; views on the body when it could be (read-only by convention). */
  readonly columns: Record<string, Float64Array>;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Whether an Accept header asks for the columns format (any q above 0). */
export function acceptsColumns(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (type !== COLUMNS_MEDIA_TYPE) return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Encodes equal-length columns with `meta` (JSON-serialisable keys other than rows and columns) into one frame. */
export function encodeColumns(meta: Record<string, unknown>, columns: Readonly<Record<string, Float64Array>>): Buffer {
  const names = Object.keys(columns);
  const rows = names.length === 0 ? 0 : (columns[names[0] as string] as Float64Array).length;
  for (const name of names) {
    const length = (columns[name] as Float64Array).length;
    if (length !== rows) throw new ColumnsFormatError(`column '${name}' has ${length} values, '${names[0]}' has ${rows}`);
  }
  const json = new TextEncoder().encode(JSON.stringify({ ...meta, rows, columns: names }));
  const headerBytes = json.length + ((8 - ((PREFIX_BYTES + json.length) % 8)) % 8);
  const dataOffset = PREFIX_BYTES + headerBytes;
  // Not zero-filled (every byte is written below) and not pooled (so offset 0: aligned).
  const frame = Buffer.allocUnsafeSlow(dataOffset + names.length * rows * 8);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let index = 0; index < COLUMNS_MAGIC.length; index += 1) frame[index] = COLUMNS_MAGIC.charCodeAt(index);
  view.setUint32(8, COLUMNS_VERSION, true);
  view.setUint32(12, headerBytes, true);
  frame.set(json, PREFIX_BYTES);
  frame.fill(0x20, PREFIX_BYTES + json.length, dataOffset);
  names.forEach((name, position) => {
    const column = columns[name] as Float64Array;
    const offset = dataOffset + position * rows * 8;
    if (LITTLE_ENDIAN_HOST) frame.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), offset);
    else for (let row = 0; row < rows; row += 1) view.setFloat64(offset + row * 8, column[row] as number, true);
  });
  return frame;
}

/**
 * Decodes a frame. On a little-endian host with the body 8-byte aligned (an
 * ArrayBuffer from `Response.arrayBuffer()` is) the columns are views on `body`.
 */
export function decodeColumns(body: ArrayBuffer | Uint8Array): DecodedColumns {
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  if (bytes.length < PREFIX_BYTES) throw new ColumnsFormatError(`${bytes.length} bytes is shorter than the ${PREFIX_BYTES}-byte prefix`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== COLUMNS_MAGIC) throw new ColumnsFormatError(`starts with '${magic}', not '${COLUMNS_MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== COLUMNS_VERSION) throw new ColumnsFormatError(`version ${version} is not ${COLUMNS_VERSION}`);
  const headerBytes = view.getUint32(12, true);
  const dataOffset = PREFIX_BYTES + headerBytes;
  if (dataOffset > bytes.length) throw new ColumnsFormatError(`header of ${headerBytes} bytes runs past the body's ${bytes.length}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, dataOffset)));
  } catch (error) {
    throw new ColumnsFormatError(`header is not JSON (${(error as Error).message})`);
  }
  const { rows, columns: names, ...meta } = (header ?? {}) as { rows?: unknown; columns?: unknown };
  if (!(typeof rows === 'number' && Number.isInteger(rows) && rows >= 0)) throw new ColumnsFormatError(`header rows ${JSON.stringify(rows)} is not a count`);
  if (!(Array.isArray(names) && names.every((name) => typeof name === 'string'))) throw new ColumnsFormatError('header columns is not a list of names');
  const expected = dataOffset + names.length * rows * 8;
  if (bytes.length !== expected) throw new ColumnsFormatError(`${bytes.length} bytes, expected ${expected} for ${rows} rows of ${names.length} columns`);

  const aligned = (bytes.byteOffset + dataOffset) % 8 === 0;
  // A misaligned body (a slice of a larger buffer) is copied once to an aligned one.
  const source = LITTLE_ENDIAN_HOST && !aligned ? bytes.slice(dataOffset) : null;
  const columns: Record<string, Float64Array> = {};
  (names as string[]).forEach((name, position) => {
    const offset = position * rows * 8;
    if (LITTLE_ENDIAN_HOST) {
      columns[name] = source
        ? new Float64Array(source.buffer, offset, rows)
        : new Float64Array(bytes.buffer, bytes.byteOffset + dataOffset + offset, rows);
    } else {
      const column = new Float64Array(rows);
      for (let row = 0; row < rows; row += 1) column[row] = view.getFloat64(dataOffset + offset + row * 8, true);
      columns[name] = column;
    }
  });
  return { meta, rows, columns };
}
