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

  it('reads years 0 to 99 as written, not as 1900 to 1999', () => {
    expect(parseIsoUtc('0099-01-01')).toBe(Date.parse('0099-01-01T00:00:00Z'));
    expect(new Date(parseIsoUtc('0099-06-30T12:00:00Z') as number).toISOString()).toBe('0099-06-30T12:00:00.000Z');
    expect(new Date(parseIsoUtc('0001-01-01T00:30:00+01:00') as number).toISOString()).toBe('0000-12-31T23:30:00.000Z');
    // Leap years by their own calendar: 96 is one, 100 is not, 1996 and 1900 tell nothing about them.
    expect(parseIsoUtc('0096-02-29')).toBe(Date.parse('0096-02-29T00:00:00Z'));
    expect(parseIsoUtc('0100-02-29')).toBeNull();
    expect(parseIsoUtc('0099-02-29')).toBeNull();
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
