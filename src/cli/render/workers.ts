import type { WorkerRecord } from '../../api/contract.js';
import { formatAge } from './format.js';
import { renderTable, type Column } from './table.js';

export function renderWorkersTable(workers: readonly WorkerRecord[], now: number): string {
  if (workers.length === 0) return 'no workers registered';
  const columns: Column<WorkerRecord>[] = [
    { header: 'id', value: (worker) => worker.worker_id },
    { header: 'type', value: (worker) => worker.worker_type },
    { header: 'status', value: (worker) => worker.status },
    { header: 'endpoint', value: (worker) => worker.endpoint_url },
    { header: 'current op', value: (worker) => worker.current_operation_id ?? '-' },
    { header: 'last healthy', value: (worker) => formatAge(worker.last_healthy_at, now) },
  ];
  return renderTable(columns, workers);
}
