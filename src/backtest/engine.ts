/**
 * The position manager of a backtest (docs/architecture.md §6.4; STRATEGY-V3 9.2-9.3 with the
 * corrections of its appendix C, items 13-14).
 *
 * Timing: at bar i the engine first fills the order decided at bar i−1's close at bar i's OPEN, then
 * asks for the decision at bar i's close (with what is known then: the position after that fill, the
 * bar's time, the last fill's time), keeps it as the pending order for bar i+1, and marks the account to
 * market at bar i's close. A decision can therefore never be filled at a price it has seen. `finish`
 * takes the last bar: it fills the pending order at its open, then force-closes any position at its
 * close; no decision is taken there (it could never be filled).
 *
 * Acceptance: HOLD never trades; BUY while long and SELL while short are refused; BUY while short closes
 * the short and SELL while long closes the long (a reversal takes two signals); from flat BUY opens a
 * long and SELL a short.
 *
 * Sizing (the original's default): an entry commits `positionSize` (25 %) of the cash, commission
 * included, at the reference price P (the open): q = positionSize × C / (1 + c) / P, rounded down to
 * whole units unless `wholeUnits` is off; no trade when q is 0. The fill is F = P × (1 ± s); when F × q ×
 * (1 + c) exceeds the cash, q shrinks to what the cash pays.
 *
 * Costs, both sides alike: every fill pays commission c × fill notional; a long and a short both set
 * aside F × q × (1 + c) of cash at entry (a short is collateralised with cash), and both are marked at a
 * close Pc as cash + F × q + (Pc − F) × q (long) or cash + F × q + (F − Pc) × q (short), so the entry
 * commission weighs on both the same way (the original added it back for shorts only). A trade's P&L is
 * net of both its commissions, so the trades' P&L sums to the final equity minus the initial capital.
 */
import { BacktestError } from './errors.js';
import { computeMetrics } from './metrics.js';
import { parseBacktestOptions, type BacktestOptions, type BacktestOptionsInput } from './options.js';
import { BACKTEST_SNAPSHOT_FORMAT, BacktestSnapshotSchema, type BacktestSnapshot, type OpenPosition } from './snapshot.js';
import type { DecisionState } from './decision.js';
import type { BacktestMetrics, Decision, Direction, EquityPoint, Trade, WireTrade } from './types.js';

const HOUR_MS = 3_600_000;
const INITIAL_CURVE_CAPACITY = 1024;

/** One bar as the engine reads it: its index, open time (ms UTC), open and close. */
export interface EngineBar {
  readonly index: number;
  readonly time: number;
  readonly open: number;
  readonly close: number;
}

/** The account after the last bar processed, marked at that bar's close. */
export interface AccountState {
  readonly cash: number;
  /** Signed: positive long, negative short, 0 flat. */
  readonly units: number;
  readonly equity: number;
  readonly position: OpenPosition | null;
  readonly pending: 'BUY' | 'SELL' | null;
}

export interface BacktestResult {
  readonly metrics: BacktestMetrics;
  readonly final_equity: number;
  readonly trades: readonly WireTrade[];
  readonly equity_curve: readonly EquityPoint[];
  /** Bars in the full curve; `equity_curve` may hold fewer points when thinned. */
  readonly bars: number;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** A trade with ISO times, as results carry it. */
export function wireTrade(trade: Trade): WireTrade {
  return { ...trade, entry_time: isoTime(trade.entry_time), exit_time: isoTime(trade.exit_time) };
}

export class BacktestEngine {
  readonly options: BacktestOptions;
  private cash: number;
  private position: OpenPosition | null = null;
  private pending: 'BUY' | 'SELL' | null = null;
  private lastTradeTime: number | null = null;
  private lastIndex: number | null = null;
  private lastTime: number | null = null;
  private lastClose: number | null = null;
  private finished = false;
  private readonly trades: Trade[] = [];
  private curveTime = new Float64Array(INITIAL_CURVE_CAPACITY);
  private curveEquity = new Float64Array(INITIAL_CURVE_CAPACITY);
  private curveLength = 0;
  private readonly decisionState: { position: Direction | null; time: number; lastTradeTime: number | null } = { position: null, time: 0, lastTradeTime: null };

  constructor(options: BacktestOptionsInput) {
    this.options = parseBacktestOptions(options);
    this.cash = this.options.initialCapital;
  }

  /**
   * Processes one bar: fills the pending order at its open, asks `decide` for the signal at its close
   * (kept for the next bar's open), and records the equity marked at its close.
   */
  onBar(bar: EngineBar, decide: (state: DecisionState) => Decision): void {
    this.checkBar('onBar', bar);
    this.fillPending(bar);
    // One state object, refilled per bar: the decision reads it during the call only (no allocation per bar).
    const state = this.decisionState;
    state.position = this.position?.direction ?? null;
    state.time = bar.time;
    state.lastTradeTime = this.lastTradeTime;
    const signal = decide(state);
    if (signal !== 'BUY' && signal !== 'SELL' && signal !== 'HOLD') {
      throw new BacktestError(`onBar: decision ${JSON.stringify(signal)} at bar ${bar.index} must be one of BUY, HOLD, SELL`);
    }
    this.pending = signal === 'HOLD' ? null : signal;
    this.markAndRecord(bar);
  }

  /**
   * The last bar: fills the pending order at its open, marks the position at its close, then closes it
   * there (slippage and commission included). The bar's equity point is the account after that close,
   * so the final figures carry the force-close's costs. The engine is frozen afterwards.
   */
  finish(bar: EngineBar): void {
    this.checkBar('finish', bar);
    this.fillPending(bar);
    this.pending = null;
    if (this.position !== null) {
      this.markExcursion(bar.close);
      this.close(bar.close, bar.time, true);
    }
    this.lastIndex = bar.index;
    this.lastTime = bar.time;
    this.lastClose = bar.close;
    this.push(bar.time, this.cash);
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
    const position = this.position === null ? null : { ...this.position };
    const units = this.position === null ? 0 : this.position.direction === 'LONG' ? this.position.units : -this.position.units;
    const equity = this.lastClose === null ? this.cash : this.markedEquity(this.lastClose);
    return { cash: this.cash, units, equity, position, pending: this.pending };
  }

  /** The closed trades so far (a copy, times in ms). */
  closedTrades(): Trade[] {
    return this.trades.map((trade) => ({ ...trade }));
  }

  get tradeCount(): number {
    return this.trades.length;
  }

  /** The full per-bar equity values (a view: do not modify). */
  equityValues(): Float64Array {
    return this.curveEquity.subarray(0, this.curveLength);
  }

  /** The bars' times of the curve (a view: do not modify). */
  equityTimes(): Float64Array {
    return this.curveTime.subarray(0, this.curveLength);
  }

  /**
   * The equity curve as points with ISO times. With `maxPoints` (>= 2) and a longer curve it is thinned
   * for output to `maxPoints` points evenly spaced by bar index, always keeping the first and the last
   * bar; metrics are always computed from the full curve, never from the thinned one.
   */
  equityCurve(maxPoints?: number): EquityPoint[] {
    const n = this.curveLength;
    if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 2)) {
      throw new BacktestError(`equityCurve: maxPoints ${maxPoints} must be an integer >= 2`);
    }
    const point = (i: number): EquityPoint => ({ time: isoTime(this.curveTime[i] as number), equity: this.curveEquity[i] as number });
    if (maxPoints === undefined || n <= maxPoints) return Array.from({ length: n }, (_, i) => point(i));
    return Array.from({ length: maxPoints }, (_, k) => point(Math.round((k * (n - 1)) / (maxPoints - 1))));
  }

  metrics(): BacktestMetrics {
    return computeMetrics({ equity: this.equityValues(), times: this.equityTimes(), trades: this.trades, initialCapital: this.options.initialCapital });
  }

  result(maxCurvePoints?: number): BacktestResult {
    return {
      metrics: this.metrics(),
      final_equity: this.curveLength > 0 ? (this.curveEquity[this.curveLength - 1] as number) : this.cash,
      trades: this.trades.map(wireTrade),
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
      pending: this.pending,
      last_trade_time: this.lastTradeTime,
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
    engine.pending = state.pending;
    engine.lastTradeTime = state.last_trade_time;
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

  /** Fills the order decided at the previous bar's close at this bar's open; remembers the time when it traded. */
  private fillPending(bar: EngineBar): void {
    const signal = this.pending;
    this.pending = null;
    if (signal === null) return;
    if (this.execute(signal, bar.open, bar.time)) this.lastTradeTime = bar.time;
  }

  /** Applies a signal at reference price `price`; whether a fill happened. */
  private execute(signal: 'BUY' | 'SELL', price: number, time: number): boolean {
    const position = this.position;
    if (position !== null) {
      if ((signal === 'BUY') === (position.direction === 'LONG')) return false;
      this.close(price, time, false);
      return true;
    }
    return this.open(signal === 'BUY' ? 'LONG' : 'SHORT', price, time);
  }

  private open(direction: Direction, price: number, time: number): boolean {
    const { commission: c, slippage: s, positionSize, wholeUnits } = this.options;
    const round = (q: number) => (wholeUnits ? Math.floor(q) : q);
    let units = round((positionSize * this.cash) / (1 + c) / price);
    if (!(units > 0) || this.cash < price * units * (1 + c)) return false;
    const fill = direction === 'LONG' ? price * (1 + s) : price * (1 - s);
    if (fill * units * (1 + c) > this.cash) units = round(this.cash / (1 + c) / fill);
    if (!(units > 0)) return false;
    const fee = fill * units * c;
    this.cash -= fill * units + fee;
    this.position = { direction, units, entry_time: time, entry_price: fill, entry_commission: fee, max_favorable: null, max_adverse: null };
    return true;
  }

  private close(price: number, time: number, forced: boolean): void {
    const position = this.position as OpenPosition;
    const { commission: c, slippage: s } = this.options;
    const long = position.direction === 'LONG';
    const exit = long ? price * (1 - s) : price * (1 + s);
    const q = position.units;
    const gross = long ? (exit - position.entry_price) * q : (position.entry_price - exit) * q;
    const exitFee = exit * q * c;
    // The collateral set aside at entry comes back with the gross P&L, minus the exit commission.
    this.cash += position.entry_price * q + gross - exitFee;
    const pnl = gross - position.entry_commission - exitFee;
    this.trades.push({
      direction: position.direction,
      entry_time: position.entry_time,
      entry_price: position.entry_price,
      exit_time: time,
      exit_price: exit,
      units: q,
      gross_pnl: gross,
      pnl,
      return: pnl / (position.entry_price * q),
      commission: position.entry_commission + exitFee,
      holding_hours: (time - position.entry_time) / HOUR_MS,
      max_favorable_excursion: position.max_favorable ?? 0,
      max_adverse_excursion: position.max_adverse ?? 0,
      forced,
    });
    this.position = null;
  }

  private unrealised(close: number): number {
    const position = this.position;
    if (position === null) return 0;
    return position.direction === 'LONG' ? (close - position.entry_price) * position.units : (position.entry_price - close) * position.units;
  }

  private markExcursion(close: number): void {
    const position = this.position;
    if (position === null) return;
    const value = this.unrealised(close);
    position.max_favorable = position.max_favorable === null ? value : Math.max(position.max_favorable, value);
    position.max_adverse = position.max_adverse === null ? value : Math.min(position.max_adverse, value);
  }

  private markedEquity(close: number): number {
    const position = this.position;
    if (position === null) return this.cash;
    return this.cash + position.entry_price * position.units + this.unrealised(close);
  }

  private markAndRecord(bar: EngineBar): void {
    this.markExcursion(bar.close);
    this.lastIndex = bar.index;
    this.lastTime = bar.time;
    this.lastClose = bar.close;
    this.push(bar.time, this.markedEquity(bar.close));
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

  private checkBar(method: string, bar: EngineBar): void {
    const { index, time, open, close } = bar;
    if (this.finished) throw new BacktestError(`${method}: the backtest is finished (finish() was called)`);
    if (!Number.isInteger(index) || index < 0) throw new BacktestError(`${method}: bar index ${index} must be a non-negative integer`);
    if (this.lastIndex !== null && index <= this.lastIndex) {
      throw new BacktestError(`${method}: bar index ${index} does not come after the last bar processed (${this.lastIndex})`);
    }
    if (!Number.isFinite(time)) throw new BacktestError(`${method}: bar ${index} time ${time} is not a finite number`);
    if (this.lastTime !== null && !(time > this.lastTime)) {
      throw new BacktestError(`${method}: bar ${index} time ${time} is not after the previous bar's time ${this.lastTime}`);
    }
    if (!(Number.isFinite(open) && open > 0)) throw new BacktestError(`${method}: bar ${index} open ${open} must be a positive finite number`);
    if (!(Number.isFinite(close) && close > 0)) throw new BacktestError(`${method}: bar ${index} close ${close} must be a positive finite number`);
  }
}
