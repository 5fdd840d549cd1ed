/** Lossless encodings of doubles for checkpoints. */
import { describe, expect, it } from 'vitest';
import { base64ToFloat64, decodeNumber, encodeNumber, float64ToBase64 } from '../../src/nn/encoding.js';

describe('encoding', () => {
  it('round-trips every kind of double through base64, bit for bit', () => {
    const values = Float64Array.of(0, -0, 1 / 3, -1e308, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, Math.PI);
    const decoded = base64ToFloat64(JSON.parse(JSON.stringify(float64ToBase64(values))) as string, 'x', values.length);
    expect(Buffer.from(decoded.buffer).equals(Buffer.from(values.buffer))).toBe(true);
  });

  it('writes little-endian IEEE-754 bytes', () => {
    // 1.0 = 0x3FF0000000000000, little-endian: 00 00 00 00 00 00 F0 3F.
    expect(Buffer.from(float64ToBase64(Float64Array.of(1)), 'base64')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]));
    const view = new Float64Array(Float64Array.of(9, 1, 9).buffer, 8, 1); // a view with an offset
    expect(base64ToFloat64(float64ToBase64(view), 'view')).toEqual(Float64Array.of(1));
  });

  it('keeps the numbers JSON cannot hold', () => {
    for (const value of [NaN, Infinity, -Infinity, -0, 0, 1.5, -2e-310]) {
      const back = decodeNumber(JSON.parse(JSON.stringify(encodeNumber(value))) as number, 'n');
      expect(Object.is(back, value)).toBe(true);
    }
  });

  it('names the field and the problem on bad input', () => {
    expect(() => base64ToFloat64('AAAA', 'weights')).toThrow(/weights: 3 bytes is not a whole number of 8-byte doubles/);
    expect(() => base64ToFloat64('not base64!', 'weights')).toThrow(/weights: expected base64 text/);
    expect(() => base64ToFloat64(float64ToBase64(new Float64Array(2)), 'm', 3)).toThrow(/m: holds 2 values, expected 3/);
    expect(() => decodeNumber('x' as unknown as number, 'loss')).toThrow(/loss: expected a number, got 'x'/);
  });
});
