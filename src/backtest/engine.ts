/**
 * Bar-by-bar account of a backtest (docs/architecture.md §6.4): long, flat or short, one position at a time.
 *
 * Timing: the decision at bar t is made with data up to t and filled at bar t's close, adjusted for
 * slippage — a buy fills at close × (1 + slippage), a sell at close × (1 − slippage). Nothing about
 * bar t + 1 is needed to process bar t, so the engine cannot look ahead.
 *
 * Decisions: BUY → be long (closing a short first), SELL → be short (closing a long first), HOLD →
 * keep the current position. A reversal is two fills at the same close: the exit, then the entry.
 *
 * Sizing: an entry commits all the equity E at the fill, commission included: units u = E / (f × (1 + c))
 * at fill price f, so notional u × f plus commission c × u × f equals E exactly. Commission is c × notional,
 * charged once per fill. An entry is skipped when E <= 0 (only a short can ruin the account).
 *
 * Accounting, the identity equity = cash + position value holding at every bar for both sides:
 * - long u units:  the entry pays u × f + commission out of cash; position value = +u × close.
 * - short u units: the sale proceeds u × f come into cash, the commission goes out; position value
 *   = −u × close (the debt of buying the units back at the close).
 * After each bar the engine records equity = cash + position value marked at that bar's close.
 */
import { BacktestError } from './errors.js';
import { computeMetrics } from './metrics.js';
import { parseBacktestOptions, type BacktestOptions, type BacktestOptionsInput } from './options.js';
import { BACKTEST_SNAPSHOT_FORMAT, BacktestSnapshotSchema, type BacktestSnapshot, type OpenPosition } from './snapshot.js';
import type { BacktestMetrics, Decision, Direction, EquityPoint, Trade } from './types.js';

/** The account after the last bar processed, marked at that bar's close. */
export interface AccountState {
  readonly cash: number;
  /** Signed: positive long, negative short, 0 flat. */
  readonly units: number;
  readonly positionValue: number;
  readonly equity: number;
  readonly position: OpenPosition | null;
}

export interface BacktestResult {
  readonly metrics: BacktestMetrics;
  readonly final_equity: number;
  readonly trades: readonly Trade[];
  readonly equity_curve: readonly EquityPoint[];
  /** Bars in the full curve; `equity_curve` may hold fewer points when thinned. */
  readonly bars: number;
}

const INITIAL_CURVE_CAPACITY = 1024;

export class BacktestEngine {
  readonly options: BacktestOptions;
  private cash: number;
  private position: OpenPosition | null = null;
  private lastIndex: number | null = null;
  private lastTime: number | null = null;
  private lastClose: number | null = null;
  private finished = false;
  private readonly trades: Trade[] = [];
  private curveTime = new Float64Array(INITIAL_CURVE_CAPACITY);
  private curveEquity = new Float64Array(INITIAL_CURVE_CAPACITY);
  private curveLength = 0;

  constructor(options: BacktestOptionsInput) {
    this.options = parseBacktestOptions(options);
    this.cash = this.options.initialCapital;
  }

  /** Process bar `index`: apply `decision` at this bar's close, then record the equity marked at it. */
  onBar(index: number, time: number, close: number, decision: Decision): void {
    this.checkBar('onBar', index, time, close);
    if (this.lastIndex !== null && index === this.lastIndex) {
      throw new BacktestError(`onBar: bar index ${index} was already processed (indices must increase)`);
    }
    const target = targetOf(decision, this.position);
    if (this.position !== null && target !== this.position.direction) this.exit(time, close);
    if (target !== null && this.position === null) this.enter(target, time, close);
    this.lastIndex = index;
    this.lastTime = time;
    this.lastClose = close;
    this.push(time, this.markedEquity(close));
  }

  /**
   * End of the run: close any open position at `close` (with slippage and commission) and freeze the
   * engine. With `lastIndex` equal to the last bar processed the closing fill belongs to that bar and its
   * equity point is replaced by the equity after the fill; with a later index a new point is appended.
   */
  finish(lastIndex: number, time: number, close: number): void {
    this.checkBar('finish', lastIndex, time, close);
    const sameBar = this.lastIndex !== null && lastIndex === this.lastIndex;
    if (sameBar && time !== this.lastTime) {
      throw new BacktestError(`finish: bar ${lastIndex} has time ${this.lastTime}, got ${time}`);
    }
    if (this.position !== null) this.exit(time, close);
    this.lastIndex = lastIndex;
    this.lastTime = time;
    this.lastClose = close;
    if (sameBar) this.curveEquity[this.curveLength - 1] = this.cash;
    else this.push(time, this.cash);
    this.finished = true;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Index of the last bar processed (null before the first). */
  get lastBarIndex(): number | null {
    return this.lastIndex;
  }

  get barsProcessed(): number {
    return this.curveLength;
  }

  account(): AccountState {
    const units = signedUnits(this.position);
    const positionValue = this.lastClose === null ? 0 : units * this.lastClose;
    const position = this.position === null ? null : { ...this.position };
    return { cash: this.cash, units, positionValue, equity: this.cash + positionValue, position };
  }

  /** The closed trades so far (a copy). */
  closedTrades(): Trade[] {
    return this.trades.slice();
  }

  /** The full per-bar equity values (a view: do not modify). */
  equityValues(): Float64Array {
    return this.curveEquity.subarray(0, this.curveLength);
  }

  /**
   * The equity curve as points. With `maxPoints` (>= 2) and a longer curve it is thinned for output to
   * `maxPoints` points evenly spaced by bar index, always keeping the first and the last bar; metrics are
   * always computed from the full curve, never from the thinned one.
   */
  equityCurve(maxPoints?: number): EquityPoint[] {
    const n = this.curveLength;
    if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 2)) {
      throw new BacktestError(`equityCurve: maxPoints ${maxPoints} must be an integer >= 2`);
    }
    const points: EquityPoint[] = [];
    if (maxPoints === undefined || n <= maxPoints) {
      for (let i = 0; i < n; i++) points.push({ time: this.curveTime[i] as number, equity: this.curveEquity[i] as number });
      return points;
    }
    for (let k = 0; k < maxPoints; k++) {
      const i = Math.round((k * (n - 1)) / (maxPoints - 1));
      points.push({ time: this.curveTime[i] as number, equity: this.curveEquity[i] as number });
    }
    return points;
  }

  metrics(): BacktestMetrics {
    return computeMetrics({
      equity: this.equityValues(),
      trades: this.trades,
      initialCapital: this.options.initialCapital,
      barsPerYear: this.options.barsPerYear,
    });
  }

  result(maxCurvePoints?: number): BacktestResult {
    return {
      metrics: this.metrics(),
      final_equity: this.curveLength > 0 ? (this.curveEquity[this.curveLength - 1] as number) : this.cash,
      trades: this.closedTrades(),
      equity_curve: this.equityCurve(maxCurvePoints),
      bars: this.curveLength,
    };
  }

  /** Everything needed to continue exactly, as plain JSON-serialisable data. */
  snapshot(): BacktestSnapshot {
    return {
      format: BACKTEST_SNAPSHOT_FORMAT,
      options: { ...this.options },
      cash: this.cash,
      position: this.position === null ? null : { ...this.position },
      last_index: this.lastIndex,
      last_time: this.lastTime,
      last_close: this.lastClose,
      finished: this.finished,
      trades: this.trades.map((trade) => ({ ...trade })),
      curve: {
        time: Array.from(this.curveTime.subarray(0, this.curveLength)),
        equity: Array.from(this.curveEquity.subarray(0, this.curveLength)),
      },
    };
  }

  /** A new engine continuing from `snapshot` (validated: it usually comes back from storage). */
  static restore(snapshot: unknown): BacktestEngine {
    const parsed = BacktestSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(snapshot)'}: ${issue.message}`);
      throw new BacktestError(`backtest snapshot is not valid: ${problems.join('; ')}`);
    }
    const state = parsed.data;
    const engine = new BacktestEngine(state.options);
    engine.cash = state.cash;
    engine.position = state.position === null ? null : { ...state.position };
    engine.lastIndex = state.last_index;
    engine.lastTime = state.last_time;
    engine.lastClose = state.last_close;
    engine.finished = state.finished;
    engine.trades.push(...state.trades.map((trade) => ({ ...trade })));
    const n = state.curve.equity.length;
    engine.curveTime = new Float64Array(Math.max(INITIAL_CURVE_CAPACITY, n));
    engine.curveEquity = new Float64Array(Math.max(INITIAL_CURVE_CAPACITY, n));
    engine.curveTime.set(state.curve.time);
    engine.curveEquity.set(state.curve.equity);
    engine.curveLength = n;
    return engine;
  }

  private enter(direction: Direction, time: number, close: number): void {
    const equity = this.cash; // flat here, so cash is the whole equity
    if (!(equity > 0)) return;
    const { commission, slippage } = this.options;
    const price = direction === 'LONG' ? close * (1 + slippage) : close * (1 - slippage);
    const units = equity / (price * (1 + commission));
    const notional = units * price;
    const fee = commission * notional;
    this.cash = direction === 'LONG' ? this.cash - notional - fee : this.cash + notional - fee;
    this.position = {
      direction,
      units,
      entry_time: time,
      entry_price: price,
      entry_commission: fee,
      entry_equity: equity,
    };
  }

  private exit(time: number, close: number): void {
    const position = this.position as OpenPosition;
    const { commission, slippage } = this.options;
    const long = position.direction === 'LONG';
    const price = long ? close * (1 - slippage) : close * (1 + slippage);
    const notional = position.units * price;
    const fee = commission * notional;
    this.cash = long ? this.cash + notional - fee : this.cash - notional - fee;
    const pnl = this.cash - position.entry_equity;
    this.trades.push({
      direction: position.direction,
      entry_time: position.entry_time,
      entry_price: position.entry_price,
      exit_time: time,
      exit_price: price,
      units: position.units,
      pnl,
      return: pnl / position.entry_equity,
      commission: position.entry_commission + fee,
    });
    this.position = null;
  }

  private markedEquity(close: number): number {
    return this.cash + signedUnits(this.position) * close;
  }

  private push(time: number, equity: number): void {
    if (this.curveLength === this.curveEquity.length) {
      const time2 = new Float64Array(this.curveLength * 2);
      const equity2 = new Float64Array(this.curveLength * 2);
      time2.set(this.curveTime);
      equity2.set(this.curveEquity);
      this.curveTime = time2;
      this.curveEquity = equity2;
    }
    this.curveTime[this.curveLength] = time;
    this.curveEquity[this.curveLength] = equity;
    this.curveLength++;
  }

  private checkBar(method: string, index: number, time: number, close: number): void {
    if (this.finished) throw new BacktestError(`${method}: the backtest is finished (finish() was called)`);
    if (!Number.isInteger(index) || index < 0) {
      throw new BacktestError(`${method}: bar index ${index} must be a non-negative integer`);
    }
    if (this.lastIndex !== null && index < this.lastIndex) {
      throw new BacktestError(`${method}: bar index ${index} comes before the last bar processed (${this.lastIndex})`);
    }
    if (!Number.isFinite(time)) throw new BacktestError(`${method}: bar ${index} time ${time} is not a finite number`);
    if (this.lastTime !== null && index > (this.lastIndex as number) && !(time > this.lastTime)) {
      throw new BacktestError(`${method}: bar ${index} time ${time} is not after the previous bar's time ${this.lastTime}`);
    }
    if (!(Number.isFinite(close) && close > 0)) {
      throw new BacktestError(`${method}: bar ${index} close ${close} must be a positive finite number`);
    }
  }
}

function targetOf(decision: Decision, position: OpenPosition | null): Direction | null {
  switch (decision) {
    case 'BUY':
      return 'LONG';
    case 'SELL':
      return 'SHORT';
    case 'HOLD':
      return position === null ? null : position.direction;
    default:
      throw new BacktestError(`onBar: decision ${JSON.stringify(decision)} must be one of BUY, HOLD, SELL`);
  }
}

function signedUnits(position: OpenPosition | null): number {
  if (position === null) return 0;
  return position.direction === 'LONG' ? position.units : -position.units;
}
