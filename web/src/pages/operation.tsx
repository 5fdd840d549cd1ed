import { useEffect, useState } from 'preact/hooks';
import type { OperationRecord } from '../../../src/api/contract.js';
import type { Api } from '../api.js';
import { CandleChart, epochMs, EquityChart, TrainingCurve, type Bars, type EpochPoint, type TradePoint } from '../charts.js';
import { downloadCsv, num, pct } from '../format.js';
import { useLive } from '../live.js';
import type { PageProps } from '../main.js';

/** One operation: its progress live, then the page of its kind (training curves, backtest charts). */
export function OperationPage({ api, live, id }: PageProps & { id: string }) {
  const { operations } = useLive(live);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.operation(id).then(
      (operation) => live.upsertOperation(operation),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [id, api, live]);
  const operation = operations.get(id);
  if (!operation) return <section>{error ? <p class="error">{error}</p> : <p class="muted">Loading {id}…</p>}</section>;
  const p = operation.progress;
  return (
    <section>
      <h1>
        {operation.operation_type} <code>{operation.operation_id}</code>
      </h1>
      <p>
        <span class={`status status-${operation.status}`} data-testid="operation-status">
          {operation.status}
        </span>{' '}
        <progress max={100} value={p.percentage} /> {Math.round(p.percentage)} % · {p.current_step ?? '—'} · worker {operation.worker_id ?? '—'}
      </p>
      {operation.error_message && <p class="error">{operation.error_message}</p>}
      {operation.operation_type === 'training' && <TrainingView operation={operation} api={api} />}
      {operation.operation_type === 'backtesting' && <BacktestView operation={operation} api={api} />}
      <details>
        <summary>Raw record</summary>
        <pre>{JSON.stringify(operation, null, 2)}</pre>
      </details>
    </section>
  );
}

const asHistory = (value: unknown): EpochPoint[] => (Array.isArray(value) ? (value as EpochPoint[]) : []);

function TrainingView({ operation, api }: { operation: OperationRecord; api: Api }) {
  const summary = operation.result_summary ?? {};
  const fromSummary = asHistory(summary.history);
  const history = fromSummary.length > 0 ? fromSummary : asHistory(operation.progress.context.history);
  const [checkpoints, setCheckpoints] = useState<{ checkpoint_id: string; units: number; reason: string; created_at: string }[]>([]);
  useEffect(() => {
    api.get<{ data: typeof checkpoints }>(`/operations/${encodeURIComponent(operation.operation_id)}/checkpoints`).then((r) => setCheckpoints(r.data), () => setCheckpoints([]));
  }, [operation.operation_id, operation.status, history.length, api]);
  const last = history[history.length - 1];
  const matrix = summary.confusion_matrix as number[][] | undefined;
  const precision = (summary.precision ?? {}) as Record<string, number>;
  const recall = (summary.recall ?? {}) as Record<string, number>;
  const labels = Object.keys(precision);
  return (
    <div>
      <p>
        Strategy <strong>{String(operation.metadata.strategy_name ?? '—')}</strong> · {String(operation.metadata.symbol ?? '')} {String(operation.metadata.timeframe ?? '')} · epochs{' '}
        <span data-testid="epochs">{history.length}</span> · learning rate {num(last?.learning_rate ?? null, 6)}
      </p>
      <h2>Loss and accuracy per epoch</h2>
      <TrainingCurve history={history} />
      {summary.model_id !== undefined && (
        <p>
          Model <code>{String(summary.model_id)}</code> · test accuracy {pct(summary.test_accuracy)} · test loss {num(summary.test_loss)} · best epoch {String(summary.best_epoch ?? '—')}
        </p>
      )}
      {matrix && (
        <div class="row">
          <div>
            <h2>Confusion matrix (rows: true, columns: predicted)</h2>
            <table data-testid="confusion-matrix">
              <thead>
                <tr>
                  <th />
                  {labels.map((l) => (
                    <th>{l}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {matrix.map((row, i) => (
                  <tr>
                    <th>{labels[i] ?? i}</th>
                    {row.map((cell) => (
                      <td>{cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            <h2>Per class</h2>
            <table>
              <thead>
                <tr>
                  <th>class</th>
                  <th>precision</th>
                  <th>recall</th>
                </tr>
              </thead>
              <tbody>
                {labels.map((l) => (
                  <tr>
                    <td>{l}</td>
                    <td>{pct(precision[l])}</td>
                    <td>{pct(recall[l])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      <h2>Checkpoints</h2>
      {checkpoints.length === 0 ? (
        <p class="muted">None held (a completed operation's are removed).</p>
      ) : (
        <ul>
          {checkpoints.map((c) => (
            <li>
              {c.units} units · {c.reason} · {c.created_at}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface BacktestData {
  readonly trades: TradePoint[];
  readonly equity: { time: number | string; equity: number }[];
  readonly bars: Bars | null;
  /** The buy-and-hold equity at the equity curve's times; empty when the result has no baseline. */
  readonly baseline: { time: number | string; equity: number }[];
}

/** result_summary.buy_and_hold (src/backtest/baseline.ts): the market itself over the same bars, same costs. */
interface BuyAndHold {
  readonly total_return_pct: number | null;
  readonly annualized_return: number | null;
  readonly sharpe_ratio: number | null;
  readonly max_drawdown_pct: number | null;
  readonly final_equity: number;
  readonly units: number;
}

const baselineOf = (summary: Record<string, unknown>): BuyAndHold | null =>
  typeof summary.buy_and_hold === 'object' && summary.buy_and_hold !== null ? (summary.buy_and_hold as BuyAndHold) : null;

const BASELINE_METRICS = ['total_return_pct', 'annualized_return', 'sharpe_ratio', 'max_drawdown_pct', 'final_equity'] as const;

/**
 * The baseline's equity at the equity curve's times: its units marked at each bar's close, the last point its
 * final equity (the sale's costs paid), as baseline.ts computes it. Empty without the bars.
 */
function baselineCurve(baseline: BuyAndHold, equity: readonly { time: number | string }[], bars: Bars | null): { time: number | string; equity: number }[] {
  if (!bars || equity.length === 0) return [];
  const closeAt = new Map<number, number>();
  for (let i = 0; i < bars.time.length; i++) closeAt.set(bars.time[i] as number, bars.close[i] as number);
  const curve: { time: number | string; equity: number }[] = [];
  for (const point of equity) {
    const close = closeAt.get(epochMs(point.time));
    if (close !== undefined) curve.push({ time: point.time, equity: baseline.units * close });
  }
  const last = curve[curve.length - 1];
  if (last && last.time === equity[equity.length - 1]?.time) curve[curve.length - 1] = { time: last.time, equity: baseline.final_equity };
  return curve;
}

/** Fractions (`*_pct`, the annualized return, the win rate) shown as percentages; `total_return` and `max_drawdown` are money. */
const METRICS = ['total_return_pct', 'total_return', 'annualized_return', 'sharpe_ratio', 'max_drawdown_pct', 'win_rate', 'profit_factor', 'total_trades', 'initial_capital', 'final_equity', 'bars'];

function BacktestView({ operation, api }: { operation: OperationRecord; api: Api }) {
  const [data, setData] = useState<BacktestData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const done = operation.status === 'completed';
  useEffect(() => {
    if (!done) return;
    void (async () => {
      try {
        const result = await api.results(operation.operation_id);
        const results = (result.results ?? {}) as { trades?: TradePoint[]; equity_curve?: { time: number | string; equity: number }[] };
        const summary = result.result_summary ?? {};
        let bars: Bars | null = null;
        if (typeof summary.symbol === 'string' && typeof summary.timeframe === 'string') {
          const end = new Date(Date.parse(String(summary.end)) + 1).toISOString();
          bars = await api.get<Bars>(
            `/data/${encodeURIComponent(summary.symbol)}/${encodeURIComponent(summary.timeframe)}?start_date=${encodeURIComponent(String(summary.start))}&end_date=${encodeURIComponent(end)}`,
          );
        }
        const equity = results.equity_curve ?? [];
        const baseline = baselineOf(summary);
        setData({ trades: results.trades ?? [], equity, bars, baseline: baseline ? baselineCurve(baseline, equity, bars) : [] });
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    })();
  }, [operation.operation_id, done, api]);
  if (!done) return <p class="muted">Charts appear when the backtest completes.</p>;
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading results…</p>;
  const summary = operation.result_summary ?? {};
  const baseline = baselineOf(summary);
  const showMetric = (m: string, value: unknown) => (m.endsWith('_pct') || m === 'annualized_return' || m === 'win_rate' ? pct(value) : num(value, 2));
  const label = (m: string) => m.replace(/_pct$/, ' %').replaceAll('_', ' ');
  return (
    <div>
      <dl class="metrics" data-testid="metrics">
        {METRICS.filter((m) => m in summary).map((m) => (
          <div>
            <dt>{label(m)}</dt>
            <dd>{showMetric(m, summary[m])}</dd>
          </div>
        ))}
      </dl>
      {baseline && (
        <table data-testid="baseline-metrics">
          <thead>
            <tr>
              <th />
              {BASELINE_METRICS.map((m) => (
                <th>{label(m)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>strategy</td>
              {BASELINE_METRICS.map((m) => (
                <td>{showMetric(m, summary[m])}</td>
              ))}
            </tr>
            <tr>
              <td>buy &amp; hold</td>
              {BASELINE_METRICS.map((m) => (
                <td>{showMetric(m, baseline[m])}</td>
              ))}
            </tr>
          </tbody>
        </table>
      )}
      {data.bars && (
        <>
          <h2>Price and trades</h2>
          <CandleChart bars={data.bars} trades={data.trades} />
        </>
      )}
      <h2>Equity and drawdown</h2>
      <EquityChart equity={data.equity} baseline={data.baseline} />
      <h2>
        Trades ({data.trades.length}){' '}
        <button onClick={() => downloadCsv(`${operation.operation_id}-trades.csv`, ['direction', 'entry_time', 'entry_price', 'exit_time', 'exit_price', 'pnl'], data.trades.map((t) => [t.direction, new Date(t.entry_time).toISOString(), t.entry_price, new Date(t.exit_time).toISOString(), t.exit_price, t.pnl]))}>
          Trades CSV
        </button>{' '}
        <button onClick={() => downloadCsv(`${operation.operation_id}-equity.csv`, ['time', 'equity'], data.equity.map((p) => [new Date(p.time).toISOString(), p.equity]))}>Equity CSV</button>
      </h2>
      <table data-testid="trades">
        <thead>
          <tr>
            <th>direction</th>
            <th>entry</th>
            <th>entry price</th>
            <th>exit</th>
            <th>exit price</th>
            <th>P&amp;L</th>
          </tr>
        </thead>
        <tbody>
          {data.trades.slice(0, 500).map((t) => (
            <tr>
              <td>{t.direction}</td>
              <td>{new Date(t.entry_time).toISOString()}</td>
              <td>{num(t.entry_price, 5)}</td>
              <td>{new Date(t.exit_time).toISOString()}</td>
              <td>{num(t.exit_price, 5)}</td>
              <td class={t.pnl >= 0 ? 'gain' : 'loss'}>{num(t.pnl, 2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
