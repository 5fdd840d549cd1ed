/**
 * The registry through a strategy file (the contract with src/strategy): the
 * original's type spellings and MACD's `fast`/`slow`/`signal` load, parsed to
 * canonical parameters; an unknown parameter is refused at its own path and
 * line, naming the allowed keys.
 */
import { describe, expect, it } from 'vitest';
import { parseStrategy, StrategyError } from '../../src/strategy/load.js';
import { DESIGN_YAML } from '../strategy/fixtures.js';

const withIndicators = (lines: string): string =>
  DESIGN_YAML.replace('  adx_14: {type: adx, period: 14}', `  adx_14: {type: ADXIndicator, period: 14}\n${lines}`);

describe('indicators in a strategy file', () => {
  it("loads the original's spellings and parameter aliases", () => {
    const strategy = parseStrategy(
      withIndicators('  macd_12_26_9: {type: MACD, fast: 12, slow: 26, signal: 9}\n  bb: {type: BBands, period: 20, multiplier: "2.5"}'),
      'aliases.yaml',
    );
    expect(strategy.indicators.adx_14).toEqual({ type: 'adx', params: { period: 14 }, data_source: null });
    expect(strategy.indicators.macd_12_26_9!.params).toEqual({ fast_period: 12, slow_period: 26, signal_period: 9, source: 'close' });
    expect(strategy.indicators.bb!.params).toEqual({ period: 20, multiplier: 2.5, source: 'close' });
  });

  it('refuses an unknown parameter at its path and line, naming the allowed keys', () => {
    const text = withIndicators('  st: {type: supertrend, period: 10, atr_period: 3}');
    let problems: readonly { path: string; message: string; line?: number }[] = [];
    try {
      parseStrategy(text, 'bad.yaml');
    } catch (error) {
      if (!(error instanceof StrategyError)) throw error;
      problems = error.problems;
    }
    const problem = problems.find((p) => p.path === 'indicators.st.atr_period');
    expect(problem?.message).toBe("unknown parameter 'atr_period' for supertrend; did you mean 'period'? (allowed: period, multiplier)");
    expect(problem?.line).toBe(text.split('\n').findIndex((line) => line.includes('atr_period: 3')) + 1);
  });
});
