/** Option parsers shared by the backend commands; a bad value is a usage error (exit 2) naming the option. */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';

export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const parsed = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`'${value}' is not an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` in ${min}..${max}`}.`);
    }
    return parsed;
  };
}

export function numberOption(minExclusive: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= minExclusive) {
      throw new InvalidArgumentError(`'${value}' is not a number > ${minExclusive}.`);
    }
    return parsed;
  };
}

/** A number in [min, max], both inclusive (fractions such as commission and slippage). */
export function rangeOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`'${value}' is not a number in ${min}..${max}.`);
    }
    return parsed;
  };
}

/** The same rule as the contract's dates, so what passes here is what the backend accepts. */
const IsoDateParam = z.iso.datetime({ offset: true }).or(z.iso.date());

/** An ISO date (2024-01-31) or a date-time with its offset (2024-01-31T13:00:00Z), the two forms the backend accepts. */
export function isoDateOption(value: string): string {
  const trimmed = value.trim();
  if (!IsoDateParam.safeParse(trimmed).success) {
    throw new InvalidArgumentError(`'${value}' is not an ISO date or date-time (e.g. 2024-01-31 or 2024-01-31T13:00:00Z).`);
  }
  return trimmed;
}

/** Letters, digits, '.' and '-', as the backend names data files (`<SYMBOL>_<TF>.csv`). */
export function symbolOption(value: string): string {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$/.test(trimmed)) {
    throw new InvalidArgumentError(`'${value}' is not a symbol: 1 to 32 letters, digits, '.' or '-', starting with a letter or digit.`);
  }
  return trimmed;
}

/** Why --start/--end select nothing (the end is exclusive), or null; both already passed `isoDateOption`. */
export function dateRangeProblem(start: string | undefined, end: string | undefined): string | null {
  if (start === undefined || end === undefined) return null;
  if (Date.parse(start) < Date.parse(end)) return null;
  return `--start ${start} must be before --end ${end} (the end is exclusive)`;
}
