/**
 * ISO 8601 dates and date-times as market data uses them. A date-time without a
 * zone is UTC (the convention of the data files); `Z` and `±hh:mm` are honoured.
 */

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Date.UTC, but for every year: Date.UTC maps the years 0 to 99 to 1900 to 1999, so `0099-01-01` would be read as
 * 1999. The date is built in a year outside that range, then its year is set.
 */
function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(Date.UTC(2000, monthIndex, day, hour, minute, second, ms));
  date.setUTCFullYear(year, monthIndex, day);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month, 0)).getUTCDate();
}

/** Milliseconds since the epoch, or null when `text` is not a valid ISO date or date-time. */
export function parseIsoUtc(text: string): number | null {
  const match = ISO_PATTERN.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2));
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return utc(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

const DAY_MS = 86_400_000;

/**
 * `2024-01-05` for a whole UTC day, `2024-01-05T13:00:00Z` otherwise (with
 * milliseconds only when there are some): short, and read back by `parseIsoUtc`.
 */
export function formatIsoUtc(ms: number, dateOnlyAtMidnight = false): string {
  const iso = new Date(ms).toISOString();
  if (dateOnlyAtMidnight && ms % DAY_MS === 0) return iso.slice(0, 10);
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}
