/** Registered workers, over SQL. */
import type { JsonObject, WorkerStatus, WorkerType } from '../api/contract.js';
import type { SqlExecutor } from './sql-client.js';
import { jsonParam, nullableTimeParam, timeParam, toDate, toNullableDate, toNumber } from './sql-values.js';
import type { WorkerRepository, WorkerRow } from './types.js';

interface WorkerRecord {
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

const COLUMNS = `worker_id, worker_type, endpoint_url, status, current_operation_id, capabilities, metadata,
  registered_at, last_health_check, last_healthy_at, health_check_failures`;

const toRow = (record: WorkerRecord): WorkerRow => ({
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

export class SqlWorkerRepository implements WorkerRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async upsert(worker: WorkerRow): Promise<WorkerRow> {
    const [record] = await this.sql.query<WorkerRecord>(
      `INSERT INTO workers (${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8::timestamptz, $9::timestamptz, $10::timestamptz, $11)
       ON CONFLICT (worker_id) DO UPDATE SET
         worker_type = EXCLUDED.worker_type,
         endpoint_url = EXCLUDED.endpoint_url,
         status = EXCLUDED.status,
         current_operation_id = EXCLUDED.current_operation_id,
         capabilities = EXCLUDED.capabilities,
         metadata = EXCLUDED.metadata,
         registered_at = EXCLUDED.registered_at,
         last_health_check = EXCLUDED.last_health_check,
         last_healthy_at = EXCLUDED.last_healthy_at,
         health_check_failures = EXCLUDED.health_check_failures
       RETURNING ${COLUMNS}`,
      [
        worker.workerId,
        worker.workerType,
        worker.endpointUrl,
        worker.status,
        worker.currentOperationId,
        jsonParam(worker.capabilities),
        jsonParam(worker.metadata),
        timeParam(worker.registeredAt),
        nullableTimeParam(worker.lastHealthCheck),
        nullableTimeParam(worker.lastHealthyAt),
        worker.healthCheckFailures,
      ],
    );
    return toRow(record!);
  }

  async get(workerId: string): Promise<WorkerRow | null> {
    const [record] = await this.sql.query<WorkerRecord>(`SELECT ${COLUMNS} FROM workers WHERE worker_id = $1`, [workerId]);
    return record === undefined ? null : toRow(record);
  }

  async list(): Promise<WorkerRow[]> {
    const records = await this.sql.query<WorkerRecord>(`SELECT ${COLUMNS} FROM workers ORDER BY registered_at, worker_id`);
    return records.map(toRow);
  }

  async delete(workerId: string): Promise<boolean> {
    const rows = await this.sql.query<{ worker_id: string }>('DELETE FROM workers WHERE worker_id = $1 RETURNING worker_id', [workerId]);
    return rows.length > 0;
  }
}
