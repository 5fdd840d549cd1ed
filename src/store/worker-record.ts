/** A workers row as the driver returns it, and its mapping to the store's WorkerRow (shared by both repositories). */
import type { JsonObject, WorkerStatus, WorkerType } from '../api/contract.js';
import { toDate, toNullableDate, toNumber } from './sql-values.js';
import type { WorkerRow } from './types.js';

export interface WorkerRecord {
  worker_id: string;
  worker_type: string;
  endpoint_url: string;
  status: string;
  current_operation_id: string | null;
  capabilities: JsonObject;
  metadata: JsonObject;
  registered_at: unknown;
  last_health_check: unknown;
  last_healthy_at: unknown;
  health_check_failures: unknown;
}

export interface WorkerStateRecord extends WorkerRecord {
  reserved: boolean;
  draining: boolean;
  assignment_epoch: unknown;
  last_dispatched_at: unknown;
}

export const toWorkerRow = (record: WorkerRecord): WorkerRow => ({
  workerId: record.worker_id,
  workerType: record.worker_type as WorkerType,
  endpointUrl: record.endpoint_url,
  status: record.status as WorkerStatus,
  currentOperationId: record.current_operation_id,
  capabilities: record.capabilities,
  metadata: record.metadata,
  registeredAt: toDate(record.registered_at),
  lastHealthCheck: toNullableDate(record.last_health_check),
  lastHealthyAt: toNullableDate(record.last_healthy_at),
  healthCheckFailures: toNumber(record.health_check_failures),
});
