import { useEffect, useState } from 'preact/hooks';
import { num, pct } from '../format.js';
import type { PageProps } from '../main.js';

interface ModelRow {
  model_id: string;
  strategy_name: string;
  symbol: string;
  timeframe: string;
  created_at: string;
  operation_id: string | null;
  metrics: Record<string, unknown>;
}

/** Trained models side by side, by their test metrics. */
export function ModelsPage({ api }: PageProps) {
  const [models, setModels] = useState<ModelRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<ModelRow[]>('/models').then(setModels, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [api]);
  if (error) return <p class="error">{error}</p>;
  if (!models) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>Models</h1>
      <table data-testid="models">
        <thead>
          <tr>
            <th>Model</th>
            <th>Strategy</th>
            <th>Series</th>
            <th>Test accuracy</th>
            <th>Test loss</th>
            <th>Best epoch</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr>
              <td>{m.operation_id ? <a href={`#/operation/${encodeURIComponent(m.operation_id)}`}>{m.model_id}</a> : m.model_id}</td>
              <td>{m.strategy_name}</td>
              <td>
                {m.symbol} {m.timeframe}
              </td>
              <td>{pct(m.metrics.test_accuracy)}</td>
              <td>{num(m.metrics.test_loss)}</td>
              <td>{num(m.metrics.best_epoch)}</td>
              <td>{m.created_at}</td>
            </tr>
          ))}
          {models.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No model yet: train one from the Operations page.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
