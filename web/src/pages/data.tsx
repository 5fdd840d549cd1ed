import { useEffect, useState } from 'preact/hooks';
import { CandleChart, type Bars } from '../charts.js';
import type { PageProps } from '../main.js';

interface Series {
  symbol: string;
  timeframe: string;
  bars: number;
  start: string | null;
  end: string | null;
}

/** The market data the backend holds, with a candle preview of the last bars of one series. */
export function DataPage({ api }: PageProps) {
  const [series, setSeries] = useState<Series[] | null>(null);
  const [preview, setPreview] = useState<Bars | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<Series[]>('/data').then(setSeries, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [api]);
  const show = async (s: Series) => {
    try {
      const bars = await api.get<Bars>(`/data/${encodeURIComponent(s.symbol)}/${encodeURIComponent(s.timeframe)}`);
      const from = Math.max(0, bars.time.length - 500);
      const cut = <T,>(list: readonly T[]) => list.slice(from);
      setPreview({ time: cut(bars.time), open: cut(bars.open), high: cut(bars.high), low: cut(bars.low), close: cut(bars.close) });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  if (error) return <p class="error">{error}</p>;
  if (!series) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>Data</h1>
      <table data-testid="data">
        <thead>
          <tr>
            <th>Symbol</th>
            <th>Timeframe</th>
            <th>Bars</th>
            <th>From</th>
            <th>To</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {series.map((s) => (
            <tr>
              <td>{s.symbol}</td>
              <td>{s.timeframe}</td>
              <td>{s.bars}</td>
              <td>{s.start ?? '—'}</td>
              <td>{s.end ?? '—'}</td>
              <td>
                <button onClick={() => void show(s)}>Preview</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview && <CandleChart bars={preview} trades={[]} />}
    </section>
  );
}
