/**
 * Parameter schemas shared by the indicators, with messages that name the
 * parameter, the value and the rule ("period must be an integer >= 1 (got 0)").
 */
import { z } from 'zod';
import type { BarSeries } from '../market-data/types.js';

export const SOURCES = ['open', 'high', 'low', 'close', 'volume'] as const;
export type Source = (typeof SOURCES)[number];

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value));

/** An integer parameter >= `min`; required when `fallback` is undefined. */
export function integerParam(name: string, min: number, fallback?: number) {
  const requirement = `an integer >= ${min}`;
  const invalid = (input: unknown) => `${name} must be ${requirement} (got ${show(input)})`;
  const schema = z
    .int({ error: (issue) => (issue.input === undefined ? `${name} is required (${requirement})` : invalid(issue.input)) })
    .min(min, { error: (issue) => invalid(issue.input) });
  return fallback === undefined ? schema : schema.default(fallback);
}

/** A finite number > 0. */
export function positiveNumberParam(name: string, fallback: number) {
  const rule = `${name} must be a number > 0`;
  return z
    .number({ error: (issue) => `${rule} (got ${show(issue.input)})` })
    .positive({ error: (issue) => `${rule} (got ${show(issue.input)})` })
    .default(fallback);
}

/** Which column of the bars a single-series indicator reads. */
export const sourceParam = z
  .enum(SOURCES, { error: (issue) => `source must be one of ${SOURCES.join(', ')} (got ${show(issue.input)})` })
  .default('close');

export function sourceColumn(bars: BarSeries, source: Source): Float64Array {
  return bars[source];
}
