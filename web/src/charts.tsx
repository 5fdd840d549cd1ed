/**
 * Charts, each drawn by a library made for it: uPlot for the training curves (small, fast line charts),
 * TradingView's lightweight-charts for candles with trade markers, the equity curve and the drawdown.
 */
import {
  AreaSeries,
  CandlestickSeries,
  type CandlestickData,
  createChart,
  createSeriesMarkers,
  LineSeries,
  type IChartApi,
  type SeriesMarker,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface EpochPoint {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy?: number | null;
  readonly val_loss: number | null;
  readonly val_accuracy: number | null;
  readonly learning_rate?: number | null;
}

/** Loss and validation loss (left axis) and validation accuracy (right axis) per epoch; redrawn as epochs arrive. */
export function TrainingCurve({ history }: { history: readonly EpochPoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [
    history.map((h) => h.epoch),
    history.map((h) => h.loss),
    history.map((h) => h.val_loss),
    history.map((h) => h.val_accuracy),
  ];
  useEffect(() => {
    if (!box.current) return;
    plot.current = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth),
        height: 280,
        scales: { x: { time: false } },
        series: [
          { label: 'epoch' },
          { label: 'loss', stroke: '#2563eb', width: 2 },
          { label: 'val loss', stroke: '#dc2626', width: 2 },
          { label: 'val accuracy', stroke: '#16a34a', width: 2, scale: 'acc' },
        ],
        axes: [{ label: 'epoch' }, { label: 'loss' }, { side: 1, scale: 'acc', label: 'accuracy', grid: { show: false } }],
      },
      data(),
      box.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data());
  }, [history]);
  return <div ref={box} class="chart" data-testid="training-curve" data-points={history.length} />;
}

export interface Bars {
  readonly time: readonly number[];
  readonly open: readonly number[];
  readonly high: readonly number[];
  readonly low: readonly number[];
  readonly close: readonly number[];
}

export interface TradePoint {
  readonly direction: string;
  /** Epoch ms or ISO (the API's trades are ISO). */
  readonly entry_time: number | string;
  readonly entry_price: number;
  readonly exit_time: number | string;
  readonly exit_price: number;
  readonly pnl: number;
}

/** Epoch milliseconds from a time as the API gives it: milliseconds (bars) or an ISO string (equity points, trades). */
export const epochMs = (time: number | string): number => (typeof time === 'number' ? time : Date.parse(time));
const seconds = (time: number | string) => Math.floor(epochMs(time) / 1000) as UTCTimestamp;

function useChart(build: (el: HTMLDivElement) => IChartApi, deps: readonly unknown[]) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const el = box.current;
    delete el.dataset.ready;
    const chart = build(el);
    // autoSize measures the box on the next frame: fit the data to the width it then has, and say the chart is drawn.
    const frame = requestAnimationFrame(() => {
      chart.timeScale().fitContent();
      el.dataset.ready = 'true';
    });
    return () => {
      cancelAnimationFrame(frame);
      chart.remove();
    };
  }, deps);
  return box;
}

/**
 * lightweight-charts' candle points, built in one pass into a preallocated array (100,000 bars: no per-candle
 * closures, spreads or re-sorting; the bars come sorted by time from the API).
 */
function candlePoints(bars: Bars): CandlestickData<UTCTimestamp>[] {
  const { time, open, high, low, close } = bars;
  const n = time.length;
  const points = new Array<CandlestickData<UTCTimestamp>>(n);
  for (let i = 0; i < n; i++) {
    points[i] = { time: seconds(time[i] as number), open: open[i] as number, high: high[i] as number, low: low[i] as number, close: close[i] as number };
  }
  return points;
}

/** Entry and exit markers, in time order (trades arrive in order and do not overlap: a sort only when they do). */
function tradeMarkers(trades: readonly TradePoint[]): SeriesMarker<UTCTimestamp>[] {
  const markers: SeriesMarker<UTCTimestamp>[] = [];
  let sorted = true;
  for (const trade of trades) {
    const long = trade.direction.toLowerCase() === 'long';
    const entry = seconds(trade.entry_time);
    const exit = seconds(trade.exit_time);
    if ((markers.length > 0 && entry < (markers[markers.length - 1] as SeriesMarker<UTCTimestamp>).time) || exit < entry) sorted = false;
    markers.push({ time: entry, position: long ? 'belowBar' : 'aboveBar', color: long ? '#16a34a' : '#dc2626', shape: long ? 'arrowUp' : 'arrowDown', text: long ? 'buy' : 'sell' });
    markers.push({ time: exit, position: long ? 'aboveBar' : 'belowBar', color: '#6b7280', shape: 'circle', text: 'exit' });
  }
  if (!sorted) markers.sort((a, b) => a.time - b.time);
  return markers;
}

/**
 * Candles of the tested period, each trade's entry and exit marked on them: the data set once, the markers in one
 * call. (The library's `enableConflation` showed no gain on the 100,000-bar bench's first paint, so it is left off.)
 */
export function CandleChart({ bars, trades }: { bars: Bars; trades: readonly TradePoint[] }) {
  const box = useChart(
    (el) => {
      const chart = createChart(el, { height: 360, autoSize: true, timeScale: { timeVisible: true } });
      const candles = chart.addSeries(CandlestickSeries);
      candles.setData(candlePoints(bars));
      createSeriesMarkers(candles, tradeMarkers(trades));
      return chart;
    },
    [bars, trades],
  );
  return <div ref={box} class="chart" data-testid="candle-chart" />;
}

/** The equity curve with the buy-and-hold baseline when there is one, and the drawdown in a pane under it. */
export function EquityChart({ equity, baseline }: { equity: readonly { time: number | string; equity: number }[]; baseline?: readonly { time: number | string; equity: number }[] }) {
  const box = useChart(
    (el) => {
      const chart = createChart(el, { height: 360, autoSize: true, timeScale: { timeVisible: true } });
      chart.addSeries(LineSeries, { color: '#2563eb', lineWidth: 2, title: 'equity' }).setData(equity.map((p) => ({ time: seconds(p.time), value: p.equity })));
      if (baseline && baseline.length > 0) {
        chart.addSeries(LineSeries, { color: '#9ca3af', lineWidth: 1, title: 'buy & hold' }).setData(baseline.map((p) => ({ time: seconds(p.time), value: p.equity })));
      }
      let peak = -Infinity;
      const drawdown = equity.map((p) => {
        peak = Math.max(peak, p.equity);
        return { time: seconds(p.time), value: peak > 0 ? (p.equity / peak - 1) * 100 : 0 };
      });
      chart.addSeries(AreaSeries, { lineColor: '#dc2626', topColor: 'rgba(220,38,38,0.05)', bottomColor: 'rgba(220,38,38,0.4)', title: 'drawdown %', invertFilledArea: true } as never, 1).setData(drawdown);
      return chart;
    },
    [equity, baseline],
  );
  return <div ref={box} class="chart" data-testid="equity-chart" data-baseline-points={baseline?.length ?? 0} />;
}
