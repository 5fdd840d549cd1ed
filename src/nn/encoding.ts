/**
 * Lossless JSON encodings for checkpoints and model artifacts. JSON numbers
 * round-trip every finite double exactly (JavaScript prints the shortest
 * decimal that parses back to the same bits), but not NaN, ±Infinity or -0,
 * and an array of decimals is three times larger than the raw bytes; so
 * arrays travel as base64 of their little-endian IEEE-754 bytes and loose
 * numbers as a number, or a string for the four values JSON cannot hold.
 */
import { z } from 'zod';
import { createError } from '../common/errors.js';

/** Raised when an encoded value cannot be decoded; the message names the field and the problem. */
export class EncodingError extends createError('EncodingError') {}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Base64 of the little-endian bytes of `values`. */
export function float64ToBase64(values: Float64Array): string {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i] as number, i * 8);
  return bytes.toString('base64');
}

/**
 * Decodes `float64ToBase64`; `field` names the value in errors, and `length`,
 * when given, is the number of values the caller requires.
 */
export function base64ToFloat64(encoded: string, field: string, length?: number): Float64Array {
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
    throw new EncodingError(`${field}: expected base64 text, got ${describe(encoded)}`);
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 8 !== 0) {
    throw new EncodingError(`${field}: ${bytes.length} bytes is not a whole number of 8-byte doubles`);
  }
  const values = new Float64Array(bytes.length / 8);
  if (length !== undefined && values.length !== length) {
    throw new EncodingError(`${field}: holds ${values.length} values, expected ${length}`);
  }
  for (let i = 0; i < values.length; i++) values[i] = bytes.readDoubleLE(i * 8);
  return values;
}

/** A saved network as model artifacts hold it: format tag, version, architecture, parameters in base64. */
export function networkJson<F extends string, V extends number, A>(format: F, version: V, architecture: A, params: Float64Array) {
  return { format, version, architecture, parameters: float64ToBase64(params) };
}

/** A saved network's `length` parameters; a bad encoding becomes the network's own error (`toError`). */
export function networkParameters(parameters: string, length: number, toError: (message: string) => Error): Float64Array {
  try {
    return base64ToFloat64(parameters, 'model.parameters', length);
  } catch (error) {
    throw toError((error as Error).message);
  }
}

/** A number as JSON can carry it without loss. */
export const JsonNumberSchema = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity', '-0'])]);
export type JsonNumber = z.infer<typeof JsonNumberSchema>;

export function encodeNumber(value: number): JsonNumber {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

export function decodeNumber(value: JsonNumber, field: string): number {
  switch (value) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      if (typeof value !== 'number') throw new EncodingError(`${field}: expected a number, got ${describe(value)}`);
      return value;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a ${value.length}-character string` : `'${value}'`;
  return value === null ? 'null' : typeof value;
}
