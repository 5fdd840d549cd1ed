import { useEffect, useMemo, useState } from 'preact/hooks';
import { CandleChart, type Bars, type TradePoint } from '../charts.js';

/**
 * `#/bench/candles/<bars>`: draws a synthetic backtest chart of <bars> candles with a trade every 200 bars, and
 * writes the drawing time (creation to the first painted frame) into `data-draw-ms`. `npm run bench` reads it;
 * it is not in the navigation.
 */
export function ChartBench({ bars }: { bars: number }) {
  const [drawMs, setDrawMs] = useState<number | null>(null);
  const data = useMemo((): { bars: Bars; trades: TradePoint[] } => {
    const time: number[] = [];
    const open: number[] = [];
    const high: number[] = [];
    const low: number[] = [];
    const close: number[] = [];
    let price = 1.1;
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const start = Date.UTC(2010, 0, 1);
    for (let i = 0; i < bars; i++) {
      const next = price * (1 + (random() - 0.5) * 0.004);
      time.push(start + i * 3_600_000);
      open.push(price);
      close.push(next);
      high.push(Math.max(price, next) * (1 + random() * 0.001));
      low.push(Math.min(price, next) * (1 - random() * 0.001));
      price = next;
    }
    const trades: TradePoint[] = [];
    for (let i = 0; i + 100 < bars; i += 200) {
      trades.push({ direction: i % 400 === 0 ? 'LONG' : 'SHORT', entry_time: time[i] ?? 0, entry_price: close[i] ?? 0, exit_time: time[i + 100] ?? 0, exit_price: close[i + 100] ?? 0, pnl: 0 });
    }
    return { bars: { time, open, high, low, close }, trades };
  }, [bars]);
  // After the data is made: what is measured is the chart's creation, its data, its markers and the first paint.
  const started = useMemo(() => performance.now(), [data]);
  useEffect(() => {
    // The chart is built in the effect of CandleChart (which runs before this one) and paints on the next frame.
    requestAnimationFrame(() => requestAnimationFrame(() => setDrawMs(performance.now() - started)));
  }, [data, started]);
  return (
    <section>
      <h1>Chart bench: {bars} bars</h1>
      <p data-testid="chart-bench" data-draw-ms={drawMs ?? ''}>
        {drawMs === null ? 'drawing…' : `drawn in ${drawMs.toFixed(0)} ms`}
      </p>
      <CandleChart bars={data.bars} trades={data.trades} />
    </section>
  );
}
