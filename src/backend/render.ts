/** Store rows (Dates, camelCase) → wire records (ISO strings, snake_case) of src/api/contract.ts. */
import type { OperationRecord, WorkerRecord } from '../api/contract.js';
import type { OperationRow, WorkerRow } from '../store/types.js';

/**
 * The response serializer of routes answering with `renderWorker`'s record (a worker's registration and its
 * heartbeat, the requests a fleet sends most): JSON.stringify alone. The record is built here, from a row the store
 * validated on the way in (a `__proto__` key, which zod would drop from the answer, was dropped by the request's
 * validation already), field for field in the schema's order, so zod's check of it (the default serializer,
 * fastify-type-provider-zod) found nothing and wrote the same bytes, for a tenth of such a request's CPU
 * (test/backend/render.test.ts holds the two to the same bytes). The route still declares its response schema (the
 * OpenAPI document).
 */
export const renderedRecordSerializer = () => (data: unknown): string => JSON.stringify(data);

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
