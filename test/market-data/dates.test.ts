import { describe, expect, it } from 'vitest';
import { formatIsoUtc, parseIsoUtc } from '../../src/market-data/dates.js';

describe('parseIsoUtc', () => {
  it.each([
    ['2024-01-05', Date.UTC(2024, 0, 5)],
    ['2024-01-05T13:00:00Z', Date.UTC(2024, 0, 5, 13)],
    ['2024-01-05T13:00:00', Date.UTC(2024, 0, 5, 13)],
    ['2024-01-05 13:00:00', Date.UTC(2024, 0, 5, 13)],
    ['2024-01-05T13:07', Date.UTC(2024, 0, 5, 13, 7)],
    ['2024-01-05T13:07:09.25Z', Date.UTC(2024, 0, 5, 13, 7, 9, 250)],
    ['2024-01-05T14:00:00+01:00', Date.UTC(2024, 0, 5, 13)],
    ['2024-01-05T08:30:00-0430', Date.UTC(2024, 0, 5, 13)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('%s (a date-time without a zone is UTC)', (text, expected) => {
    expect(parseIsoUtc(text)).toBe(expected);
  });

  it('agrees with Date.parse on zoned date-times', () => {
    for (const text of ['2019-12-31T23:59:59Z', '2024-06-30T00:00:00+05:30', '2001-02-03T04:05:06.789Z']) {
      expect(parseIsoUtc(text)).toBe(Date.parse(text));
    }
  });

  it.each(['', 'yesterday', '2024-1-5', '2024-13-01', '2023-02-29', '2024-04-31', '2024-01-05T24:00:00', '2024-01-05T12:60', '05/01/2024', '2024-01-05Z', '1704459600000'])(
    'rejects %j',
    (text) => {
      expect(parseIsoUtc(text)).toBeNull();
    },
  );
});

describe('formatIsoUtc', () => {
  it('writes seconds precision with Z, milliseconds only when present, and a bare date for midnight when asked', () => {
    expect(formatIsoUtc(Date.UTC(2024, 0, 5, 13))).toBe('2024-01-05T13:00:00Z');
    expect(formatIsoUtc(Date.UTC(2024, 0, 5, 13, 0, 0, 5))).toBe('2024-01-05T13:00:00.005Z');
    expect(formatIsoUtc(Date.UTC(2024, 0, 5), true)).toBe('2024-01-05');
    expect(formatIsoUtc(Date.UTC(2024, 0, 5, 1), true)).toBe('2024-01-05T01:00:00Z');
  });
  it('reads back what it writes', () => {
    for (const ms of [0, Date.UTC(1999, 11, 31, 23, 59, 59), Date.UTC(2030, 5, 1, 0, 0, 0, 123)]) {
      expect(parseIsoUtc(formatIsoUtc(ms))).toBe(ms);
      expect(parseIsoUtc(formatIsoUtc(ms, true))).toBe(ms);
    }
  });
});
