/** Store rows (Dates, camelCase) → wire records (ISO strings, snake_case) of src/api/contract.ts. */
import type { OperationRecord, WorkerRecord } from '../api/contract.js';
import type { OperationRow, WorkerRow } from '../store/types.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function renderWorker(row: WorkerRow): WorkerRecord {
  return {
    worker_id: row.workerId,
    worker_type: row.workerType,
    endpoint_url: row.endpointUrl,
    status: row.status,
    current_operation_id: row.currentOperationId,
    capabilities: row.capabilities,
    last_health_check: iso(row.lastHealthCheck),
    last_healthy_at: iso(row.lastHealthyAt),
    health_check_failures: row.healthCheckFailures,
    metadata: row.metadata,
  };
}

export function renderOperation(row: OperationRow): OperationRecord {
  return {
    operation_id: row.operationId,
    operation_type: row.operationType,
    status: row.status,
    created_at: row.createdAt.toISOString(),
    started_at: iso(row.startedAt),
    completed_at: iso(row.completedAt),
    progress: row.progress,
    metadata: row.metadata,
    error_message: row.errorMessage,
    result_summary: row.resultSummary,
    worker_id: row.workerId,
  };
}
