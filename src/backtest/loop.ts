/**
 * The bar loop of a backtest, apart from where the bars, the features and the model come from: the
 * caller gives the bars, a predictor (the model's output for a feature row, or null when the row
 * cannot be decided on) and the decision function; the loop walks bars first..last−1 through the
 * engine (fill at the open, decide at the close) and finishes on the last bar (fill, force-close).
 * `onBlock` runs after every `blockSize` bars: where the caller reports progress, checkpoints and
 * yields; a resumed engine continues from the bar after the last one it processed.
 */
import type { DecisionFunction, DecisionState } from './decision.js';
import type { BacktestEngine } from './engine.js';
import { BacktestError } from './errors.js';

/** The model's output for a feature row (probabilities, or the regression value); null = no decision possible (HOLD). */
export type Predictor = (row: number) => Float64Array | null;

export interface BarLoopInput {
  readonly engine: BacktestEngine;
  readonly bars: { readonly time: ArrayLike<number>; readonly open: ArrayLike<number>; readonly close: ArrayLike<number> };
  /** First and last bar of the backtest (inclusive); the engine's bar 0 is `first`. */
  readonly first: number;
  readonly last: number;
  readonly predictor: Predictor;
  readonly decide: DecisionFunction;
  readonly blockSize: number;
  /** After each full block; `done` counts the bars processed since `first`. */
  readonly onBlock?: (done: number) => Promise<void>;
}

export async function runBarLoop(input: BarLoopInput): Promise<void> {
  const { engine, bars, first, last, predictor, decide, blockSize, onBlock } = input;
  if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 0 && last >= first && last < bars.time.length)) {
    throw new BacktestError(`runBarLoop: bars ${first}..${last} are not within the ${bars.time.length} bars given`);
  }
  // One bar object and one callback for the whole run, refilled per bar (the engine reads them during the call only).
  const bar = { index: 0, time: 0, open: 0, close: 0 };
  const at = (index: number) => {
    bar.index = index;
    bar.time = bars.time[index] as number;
    bar.open = bars.open[index] as number;
    bar.close = bars.close[index] as number;
    return bar;
  };
  const signalAt = (state: DecisionState) => decide(predictor(bar.index), state).signal;
  for (let index = first + engine.barsProcessed; index < last; index++) {
    engine.onBar(at(index), signalAt);
    const done = index - first + 1;
    if (onBlock !== undefined && done % blockSize === 0) await onBlock(done);
  }
  engine.finish(at(last));
}
