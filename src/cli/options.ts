/** Option parsers shared by the backend commands; a bad value is a usage error (exit 2) naming the option. */
import { InvalidArgumentError } from 'commander';

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
