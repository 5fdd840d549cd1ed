/**
 * Every indicator a strategy file may name, by its `type`. Adding one is one
 * file plus one line here.
 */
import { adx } from './adx.js';
import { atr } from './atr.js';
import { bbands } from './bbands.js';
import { ema } from './ema.js';
import { macd } from './macd.js';
import { roc } from './roc.js';
import { rsi } from './rsi.js';
import { sma } from './sma.js';
import { stochastic } from './stochastic.js';
import type { IndicatorDefinition } from './types.js';

export type { IndicatorDefinition, ParamIssue, RawIndicatorParams } from './types.js';
export { IndicatorParamsError, SINGLE_OUTPUT } from './types.js';

export const INDICATORS: Readonly<Record<string, IndicatorDefinition>> = Object.freeze({
  sma,
  ema,
  rsi,
  roc,
  atr,
  macd,
  adx,
  bbands,
  stochastic,
});

/** The indicator of that type, or undefined; `Object.hasOwn` keeps 'toString' and friends out. */
export function findIndicator(type: string): IndicatorDefinition | undefined {
  return Object.hasOwn(INDICATORS, type) ? INDICATORS[type] : undefined;
}
