import { describe, expect, it } from 'vitest';
import { MarketDataError } from '../../src/market-data/errors.js';
import { dataFileName, parseDataFileName } from '../../src/market-data/file-name.js';

function reasonOf(name: string): string {
  try {
    parseDataFileName(name);
  } catch (error) {
    expect(error).toBeInstanceOf(MarketDataError);
    const problems = (error as MarketDataError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(name);
    expect(problems[0]?.line).toBe(0);
    return problems[0]?.reason ?? '';
  }
  throw new Error(`${name} was accepted`);
}

describe('parseDataFileName', () => {
  it.each([
    ['EURUSD_1h.csv', 'EURUSD', '1h'],
    ['BTC-USD_1m.csv', 'BTC-USD', '1m'],
    ['BRK.B_1d.csv', 'BRK.B', '1d'],
    ['es1_15m.csv', 'es1', '15m'],
    ['/data/market/AAPL_4h.csv', 'AAPL', '4h'],
    ['C:\\data\\AAPL_30m.csv', 'AAPL', '30m'],
  ])('%s → %s %s', (name, symbol, timeframe) => {
    expect(parseDataFileName(name)).toEqual({ symbol, timeframe });
  });

  it('rejects other names, saying which part is wrong', () => {
    expect(reasonOf('EURUSD_1h.txt')).toContain('does not end in .csv');
    expect(reasonOf('EURUSD.csv')).toContain("no '_' between symbol and timeframe");
    expect(reasonOf('EURUSD_2h.csv')).toContain("timeframe '2h' is not one of 1m, 5m, 15m, 30m, 1h, 4h, 1d");
    expect(reasonOf('EUR_USD_1h.csv')).toContain("symbol 'EUR_USD' may contain only letters, digits, '-' and '.'");
    expect(reasonOf('EUR USD_1h.csv')).toContain("symbol 'EUR USD'");
    expect(reasonOf('.hidden_1h.csv')).toContain('must start with a letter or digit');
    expect(reasonOf('_1h.csv')).toContain('the symbol is empty');
  });

  it('builds names and refuses an invalid symbol', () => {
    expect(dataFileName('EURUSD', '1h')).toBe('EURUSD_1h.csv');
    expect(() => dataFileName('../etc', '1h')).toThrow(MarketDataError);
  });
});
