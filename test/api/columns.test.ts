import { describe, expect, it } from 'vitest';
import { acceptsColumns, COLUMNS_MEDIA_TYPE, ColumnsFormatError, decodeColumns, encodeColumns } from '../../src/api/columns.js';

const f64 = (...values: number[]) => Float64Array.from(values);

describe('the columns frame', () => {
  it('round-trips columns and the header meta, bit for bit (NaN, zeros, -0, large timestamps, extremes)', () => {
    const columns = {
      time: f64(0, 1_700_000_000_000, 8_640_000_000_000_000, 2 ** 53 - 1),
      open: f64(1.08123, Number.NaN, Number.MIN_VALUE, Number.MAX_VALUE),
      volume: f64(0, -0, Number.POSITIVE_INFINITY, 123_456_789.5),
    };
    const frame = encodeColumns({ symbol: 'EURUSD', timeframe: '1h' }, columns);
    const decoded = decodeColumns(frame);
    expect(decoded.rows).toBe(4);
    expect(decoded.meta).toEqual({ symbol: 'EURUSD', timeframe: '1h' });
    expect(Object.keys(decoded.columns)).toEqual(['time', 'open', 'volume']);
    for (const [name, column] of Object.entries(columns)) {
      const got = decoded.columns[name] as Float64Array;
      expect(Array.from(got)).toEqual(Array.from(column)); // toEqual tells NaN from NaN and -0 from 0 with Object.is
      expect(Object.is(got[1], column[1])).toBe(true);
    }
  });

  it('is the documented layout: magic, version, header length, padded JSON header, then each column as float64 little-endian', () => {
    const frame = encodeColumns({ series: 'X' }, { time: f64(1, 2), value: f64(0.5, 0.25) });
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    expect(new TextDecoder().decode(frame.subarray(0, 8))).toBe('KTRDRF64');
    expect(view.getUint32(8, true)).toBe(1);
    const headerBytes = view.getUint32(12, true);
    expect((16 + headerBytes) % 8).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(frame.subarray(16, 16 + headerBytes)))).toEqual({ series: 'X', rows: 2, columns: ['time', 'value'] });
    const data = 16 + headerBytes;
    expect([0, 1, 2, 3].map((index) => view.getFloat64(data + index * 8, true))).toEqual([1, 2, 0.5, 0.25]);
    expect(frame.byteLength).toBe(data + 4 * 8);
  });

  it('decodes without copying: the columns view the body', () => {
    const frame = encodeColumns({}, { time: f64(1, 2, 3), close: f64(4, 5, 6) });
    const body = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer;
    const decoded = decodeColumns(body);
    expect(decoded.columns.time!.buffer).toBe(body);
    expect(decoded.columns.close!.buffer).toBe(body);
  });

  it('decodes a body at an odd offset (a slice of a larger buffer) by copying it once', () => {
    const frame = encodeColumns({}, { time: f64(10, 20) });
    const larger = new Uint8Array(frame.byteLength + 3);
    larger.set(frame, 3);
    const decoded = decodeColumns(larger.subarray(3));
    expect(Array.from(decoded.columns.time!)).toEqual([10, 20]);
  });

  it('encodes views (subarrays) of larger columns and empty columns', () => {
    const whole = f64(1, 2, 3, 4, 5);
    expect(Array.from(decodeColumns(encodeColumns({}, { time: whole.subarray(1, 4) })).columns.time!)).toEqual([2, 3, 4]);
    const empty = decodeColumns(encodeColumns({ symbol: 'A' }, { time: f64(), close: f64() }));
    expect(empty.rows).toBe(0);
    expect(empty.columns.close!.length).toBe(0);
  });

  it('refuses columns of different lengths, and bodies that are not a whole frame', () => {
    expect(() => encodeColumns({}, { time: f64(1, 2), close: f64(1) })).toThrow("column 'close' has 1 values, 'time' has 2");
    const frame = encodeColumns({}, { time: f64(1, 2) });
    expect(() => decodeColumns(frame.subarray(0, frame.length - 8))).toThrow(ColumnsFormatError);
    expect(() => decodeColumns(frame.subarray(0, frame.length - 8))).toThrow(/expected \d+ for 2 rows of 1 columns/);
    expect(() => decodeColumns(new TextEncoder().encode('{"symbol": "EURUSD", "time": []}'))).toThrow(/starts with '\{"symbol', not 'KTRDRF64'/);
    expect(() => decodeColumns(new Uint8Array(4))).toThrow('shorter than the 16-byte prefix');
    const versioned = frame.slice();
    new DataView(versioned.buffer).setUint32(8, 2, true);
    expect(() => decodeColumns(versioned)).toThrow('version 2 is not 1');
  });
});

describe('acceptsColumns', () => {
  it('is true when the Accept header lists the type with a q above 0', () => {
    expect(acceptsColumns(COLUMNS_MEDIA_TYPE)).toBe(true);
    expect(acceptsColumns(`${COLUMNS_MEDIA_TYPE}, application/json;q=0.5`)).toBe(true);
    expect(acceptsColumns(`application/json, ${COLUMNS_MEDIA_TYPE.toUpperCase()};q=0.9`)).toBe(true);
    expect(acceptsColumns(`${COLUMNS_MEDIA_TYPE};q=0`)).toBe(false);
    expect(acceptsColumns('application/json')).toBe(false);
    expect(acceptsColumns('*/*')).toBe(false);
    expect(acceptsColumns(undefined)).toBe(false);
  });
});
