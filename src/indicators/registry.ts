/**
 * Every indicator a strategy file may name: the 31 types of the earlier ktrdr.
 * A `type` is looked up case-insensitively by its canonical name or an alias
 * (`RSI`, `rsiindicator`, `RSIIndicator`, `BBands`); other spellings
 * (`bollinger_bands`, `stoch`) are unknown, as in the original. Adding an
 * indicator is one file plus one line here.
 */
import { adline } from './adline.js';
import { adx } from './adx.js';
import { aroon } from './aroon.js';
import { atr } from './atr.js';
import { bbands, bollingerbandwidth } from './bbands.js';
import { cci } from './cci.js';
import { cmf } from './cmf.js';
import { distancefromma } from './distancefromma.js';
import { donchianchannels } from './donchian.js';
import { ema } from './ema.js';
import { fishertransform } from './fishertransform.js';
import { ichimoku } from './ichimoku.js';
import { keltnerchannels } from './keltner.js';
import { macd } from './macd.js';
import { mfi } from './mfi.js';
import { momentum } from './momentum.js';
import { obv } from './obv.js';
import { parabolicsar } from './parabolicsar.js';
import { roc } from './roc.js';
import { rsi } from './rsi.js';
import { rvi } from './rvi.js';
import { sma } from './sma.js';
import { squeezeintensity } from './squeezeintensity.js';
import { stochastic } from './stochastic.js';
import { supertrend } from './supertrend.js';
import { volumeratio } from './volumeratio.js';
import { vwap } from './vwap.js';
import { williamsr } from './williamsr.js';
import { wma } from './wma.js';
import { zigzag } from './zigzag.js';
import type { IndicatorDefinition } from './types.js';

export type { IndicatorDefinition, IndicatorFamily, ParamIssue, RawIndicatorParams } from './types.js';
export type { ParameterDoc } from './params.js';
export { IndicatorParamsError, SINGLE_OUTPUT } from './types.js';

const DEFINITIONS: readonly IndicatorDefinition[] = [
  // momentum
  rsi, roc, momentum, cci, williamsr, stochastic, rvi, fishertransform, aroon,
  // volatility
  atr, bbands, bollingerbandwidth, keltnerchannels, donchianchannels, supertrend,
  // trend
  sma, ema, wma, macd, adx, parabolicsar, ichimoku,
  // volume
  obv, vwap, mfi, cmf, adline,
  // other
  volumeratio, distancefromma, squeezeintensity, zigzag,
];

/** The indicators by canonical type, in the order of the reference's tables. */
export const INDICATORS: Readonly<Record<string, IndicatorDefinition>> = Object.freeze(
  Object.fromEntries(DEFINITIONS.map((definition) => [definition.type, definition])),
);

const BY_NAME: ReadonlyMap<string, IndicatorDefinition> = new Map(
  DEFINITIONS.flatMap((definition) => [definition.type, ...definition.aliases].map((name) => [name, definition] as const)),
);

/** The indicator a strategy's `type` names, in any case and by any alias; undefined for an unknown name. */
export function findIndicator(type: string): IndicatorDefinition | undefined {
  return BY_NAME.get(type.toLowerCase());
}

/** The canonical type of any accepted spelling (`RSIIndicator` -> 'rsi', `BBands` -> 'bollingerbands'). */
export function canonicalIndicatorType(name: string): string | undefined {
  return findIndicator(name)?.type;
}

/** Every accepted type name (canonical names and aliases), sorted, lower case. */
export function indicatorTypeNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
