/**
 * Conversions between JS values and SQL parameters/columns that behave the
 * same on both drivers: JSON and times travel as text and are cast in SQL,
 * 64-bit integers come back as strings (pg) or bigints (PGlite).
 */
import type { SqlParam } from './sql-client.js';

/** Use with a `$n::text::jsonb` placeholder (a plain object parameter would be sent differently by each driver). */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`cannot store ${String(value)} as JSON`);
  return text;
}

export const nullableJsonParam = (value: unknown): string | null => (value === null ? null : jsonParam(value));

/** Use with a `$n::timestamptz` placeholder. */
export const timeParam = (date: Date): string => {
  if (Number.isNaN(date.getTime())) throw new RangeError('cannot store an invalid Date');
  return date.toISOString();
};

export const nullableTimeParam = (date: Date | null): SqlParam => (date === null ? null : timeParam(date));

export const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

export const toNullableDate = (value: unknown): Date | null => (value === null || value === undefined ? null : toDate(value));

export const toNumber = (value: unknown): number => Number(value);
