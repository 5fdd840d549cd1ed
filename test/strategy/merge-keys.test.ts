/**
 * YAML merge keys (`<<: *anchor`) in strategy files: YAML 1.2 leaves `<<` an
 * ordinary key, so without the merge option a strategy sharing settings
 * between entries was refused with "unknown field '<<'".
 */
import { describe, expect, it } from 'vitest';
import { parseStrategy, StrategyError } from '../../src/strategy/load.js';
import { DESIGN_YAML } from './fixtures.js';

/** DESIGN_YAML with a second RSI and a second fuzzy set, written out in full. */
const EXPANDED = DESIGN_YAML.replace(
  '  adx_14: {type: adx, period: 14}',
  '  rsi_21: {type: rsi, period: 21, source: close}\n  adx_14: {type: adx, period: 14}',
)
  .replace(
    '  adx_trend:\n',
    '  rsi_slow:\n    indicator: rsi_21\n    oversold: [0, 25, 40]\n    overbought: [60, 75, 100]\n  adx_trend:\n',
  )
  .replace('  - {fuzzy_set: adx_trend,', '  - {fuzzy_set: rsi_slow, timeframes: all}\n  - {fuzzy_set: adx_trend,');

/** The same strategy sharing the common parts through anchors and merge keys. */
const MERGED = DESIGN_YAML.replace(
  '  rsi_14: {type: rsi, period: 14, source: close}\n  adx_14: {type: adx, period: 14}',
  '  rsi_14: &rsi {type: rsi, period: 14, source: close}\n  rsi_21: {<<: *rsi, period: 21}\n  adx_14: {type: adx, period: 14}',
)
  .replace('  rsi_momentum:                           # shorthand: [a, b, c] is triangular\n', '  rsi_momentum: &momentum\n')
  .replace('  adx_trend:\n', '  rsi_slow:\n    <<: *momentum\n    indicator: rsi_21\n  adx_trend:\n')
  .replace('  - {fuzzy_set: adx_trend,', '  - {fuzzy_set: rsi_slow, timeframes: all}\n  - {fuzzy_set: adx_trend,');

describe('YAML merge keys in strategy files', () => {
  it('the fixtures differ as intended (anchors and merge keys on one side only)', () => {
    expect(MERGED).toContain('<<: *rsi');
    expect(MERGED).toContain('<<: *momentum');
    expect(EXPANDED).not.toContain('<<');
    expect(EXPANDED).toContain('rsi_21: {type: rsi, period: 21, source: close}');
  });

  it('`<<: *anchor` merges the anchored mapping, the local keys overriding it', () => {
    const merged = parseStrategy(MERGED, 'merged.yaml');
    const expanded = parseStrategy(EXPANDED, 'expanded.yaml');
    expect(merged).toEqual(expanded);
    expect(merged.indicators.rsi_21).toEqual(expanded.indicators.rsi_21);
    expect(merged.indicators.rsi_21?.type).toBe('rsi');
    expect(merged.indicators.rsi_21?.params).toMatchObject({ period: 21, source: 'close' });
    expect(merged.indicators.rsi_14?.params).toMatchObject({ period: 14 });
    expect(merged.fuzzy_sets.rsi_slow?.indicator).toBe('rsi_21');
    expect(merged.fuzzy_sets.rsi_slow?.sets).toEqual(merged.fuzzy_sets.rsi_momentum?.sets);
  });

  it('merges a list of anchors, the first one winning on a shared key', () => {
    const text = MERGED.replace(
      '  rsi_21: {<<: *rsi, period: 21}',
      '  slow_base: &slow {type: rsi, period: 21}\n  rsi_21: {<<: [*slow, *rsi]}',
    )
      // slow_base is a full indicator of its own: give it a fuzzy set so that it is a valid entry.
      .replace('  adx_trend:\n', '  slow_base_set:\n    <<: *momentum\n    indicator: slow_base\n  adx_trend:\n')
      .replace('  - {fuzzy_set: adx_trend,', '  - {fuzzy_set: slow_base_set, timeframes: all}\n  - {fuzzy_set: adx_trend,');
    const strategy = parseStrategy(text, 'list.yaml');
    expect(strategy.indicators.rsi_21?.params).toMatchObject({ period: 21, source: 'close' });
  });

  it('a problem in a merged entry is still reported at its path', () => {
    const text = MERGED.replace('  rsi_21: {<<: *rsi, period: 21}', '  rsi_21: {<<: *rsi, period: -3}');
    let error: unknown;
    try {
      parseStrategy(text, 'bad.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StrategyError);
    const problems = (error as StrategyError).problems;
    expect(problems.some((problem) => problem.path.startsWith('indicators.rsi_21') && /period/.test(`${problem.path} ${problem.message}`))).toBe(true);
    expect(problems.some((problem) => problem.message.includes("'<<'"))).toBe(false);
  });
});
