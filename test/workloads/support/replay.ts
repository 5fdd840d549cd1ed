/**
 * An independent replay of a backtest's trades for the workload tests: the model's output per bar (the
 * MLP on the feature row, none where a feature is not finite), the strategy's decision function, and the
 * timing rules written out here: fill at the next bar's open, a refused BUY while long / SELL while short,
 * the last bar only fills what is pending then closes at its close.
 */
import type { ModelArtifact } from '../../../src/api/contract.js';
import { createDecisionFunction } from '../../../src/backtest/decision.js';
import type { Direction } from '../../../src/backtest/types.js';
import type { BarSeries } from '../../../src/market-data/types.js';
import { Mlp } from '../../../src/nn/mlp.js';
import { buildFeaturesFromSpec, parseFeatureSpec } from '../../../src/strategy/features.js';
import { parseStrategy } from '../../../src/strategy/load.js';

export interface TradeShape {
  readonly direction: Direction;
  readonly entry_time: string;
  readonly exit_time: string;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The model's output per bar, null where no decision is possible. */
export function outputsOf(model: ModelArtifact, bars: BarSeries): (Float64Array | null)[] {
  const features = buildFeaturesFromSpec(parseFeatureSpec(model.feature_spec), bars);
  const network = Mlp.fromJSON(model.network);
  return Array.from({ length: bars.time.length }, (_, row) => {
    const x = features.data.subarray(row * features.cols, (row + 1) * features.cols);
    if (row < features.firstValidRow || !x.every(Number.isFinite)) return null;
    return Float64Array.from(network.predictProba(x));
  });
}

export const firstValidRow = (model: ModelArtifact, bars: BarSeries) => buildFeaturesFromSpec(parseFeatureSpec(model.feature_spec), bars).firstValidRow;

/** The trades bars first..last lead to (decisions at first..last−1). */
export function replayTrades(model: ModelArtifact, bars: BarSeries, first: number, last: number): TradeShape[] {
  const decide = createDecisionFunction(parseStrategy(model.strategy_yaml, 'replay').decisions);
  const outputs = outputsOf(model, bars);
  const trades: TradeShape[] = [];
  // `as`: assignments inside `fill` are invisible to narrowing, which would otherwise pin this to null.
  let open = null as { direction: Direction; entry_time: number } | null;
  let pending: 'BUY' | 'SELL' | null = null;
  let lastTradeTime: number | null = null;
  const fill = (bar: number) => {
    const signal = pending;
    pending = null;
    if (signal === null) return;
    const time = bars.time[bar]!;
    if (open === null) open = { direction: signal === 'BUY' ? 'LONG' : 'SHORT', entry_time: time };
    else if ((signal === 'BUY') === (open.direction === 'LONG')) return;
    else {
      trades.push({ direction: open.direction, entry_time: iso(open.entry_time), exit_time: iso(time) });
      open = null;
    }
    lastTradeTime = time;
  };
  for (let bar = first; bar < last; bar++) {
    fill(bar);
    const outcome = decide(outputs[bar] ?? null, { position: open?.direction ?? null, time: bars.time[bar]!, lastTradeTime });
    pending = outcome.signal === 'HOLD' ? null : outcome.signal;
  }
  fill(last);
  if (open !== null) trades.push({ direction: open.direction, entry_time: iso(open.entry_time), exit_time: iso(bars.time[last]!) });
  return trades;
}

export const shapes = (trades: readonly { direction: Direction; entry_time: string; exit_time: string }[]): TradeShape[] =>
  trades.map(({ direction, entry_time, exit_time }) => ({ direction, entry_time, exit_time }));
