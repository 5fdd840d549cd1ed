/** Typed errors of market data; they extend KtrdrError so the backend maps them to HTTP statuses. */
import { createError } from '../common/errors.js';

/** One problem in a data file. `line` is 1-based (the header is line 1); 0 means the file as a whole (its name, its emptiness). */
export interface DataProblem {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** `FILE:LINE: reason`, the form compilers use, so editors and grep can jump to it. */
export function formatProblem(problem: DataProblem, kind: 'error' | 'warning' = 'error'): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return `${where}: ${kind === 'warning' ? 'warning: ' : ''}${problem.reason}`;
}

const MESSAGE_PROBLEMS = 10;

/** A data file (or its name) that cannot be used; carries every problem found, not just the first. */
export class MarketDataError extends createError('MarketDataError', {
  code: 'VALIDATION_ERROR',
  message: (problems: readonly DataProblem[]) => summarize(problems),
  fields: (problems) => ({ problems }),
  details: (problems) => ({ problems }),
}) {}

function summarize(problems: readonly DataProblem[]): string {
  const shown = problems.slice(0, MESSAGE_PROBLEMS).map((problem) => formatProblem(problem));
  const more = problems.length > MESSAGE_PROBLEMS ? [`... and ${problems.length - MESSAGE_PROBLEMS} more`] : [];
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `invalid market data (${count}):\n${[...shown, ...more].map((line) => `  ${line}`).join('\n')}`;
}

/** No file for the symbol and timeframe asked for. */
export class MarketDataNotFoundError extends createError('MarketDataNotFoundError', {
  code: 'NOT_FOUND',
  message: (_file: string, message: string) => message,
  fields: (file) => ({ file }),
  details: (file) => ({ file }),
}) {}

/** A date range that is malformed, reversed, or selects no bar. */
export class MarketDataRangeError extends createError('MarketDataRangeError', { code: 'VALIDATION_ERROR' }) {}
