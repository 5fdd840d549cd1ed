import { ago } from '../format.js';
import { useLive } from '../live.js';
import type { PageProps } from '../main.js';

/** Every registered worker, live: a change arrives as an event and redraws its row. */
export function FleetPage({ live }: PageProps) {
  const { workers } = useLive(live);
  const rows = [...workers.values()].sort((a, b) => a.worker_id.localeCompare(b.worker_id));
  return (
    <section>
      <h1>Fleet</h1>
      <p class="muted">{rows.length} worker(s)</p>
      <table data-testid="fleet">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Type</th>
            <th>Status</th>
            <th>Endpoint</th>
            <th>Current operation</th>
            <th>Last healthy</th>
            <th>Health failures</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr key={w.worker_id} data-worker={w.worker_id}>
              <td>{w.worker_id}</td>
              <td>{w.worker_type}</td>
              <td>
                <span class={`status status-${w.status}`} data-testid="worker-status">
                  {w.status}
                </span>
              </td>
              <td>
                <code>{w.endpoint_url}</code>
              </td>
              <td>{w.current_operation_id ? <a href={`#/operation/${encodeURIComponent(w.current_operation_id)}`}>{w.current_operation_id}</a> : '—'}</td>
              <td title={w.last_healthy_at ?? ''}>{ago(w.last_healthy_at)}</td>
              <td>{w.health_check_failures}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No worker is registered. Start one with <code>ktrdr worker training</code> or <code>ktrdr up</code>.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
