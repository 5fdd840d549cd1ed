/** Operations and their results, over SQL. */
import { emptyProgress, TERMINAL_STATUSES } from '../api/contract.js';
import type { JsonObject, OperationStatus, OperationType, Progress, WorkerType } from '../api/contract.js';
import { conflict, notFound } from '../common/errors.js';
import { FOREIGN_KEY_VIOLATION, sqlState, UNIQUE_VIOLATION } from './errors.js';
import type { SqlClient, SqlExecutor, SqlParam } from './sql-client.js';
import { jsonParam, nullableJsonParam, nullableTimeParam, timeParam, toDate, toNullableDate, toNumber } from './sql-values.js';
import { toWorkerRow, type WorkerStateRecord } from './worker-record.js';
import type {
  BoundedCreation,
  Claim,
  NewOperation,
  OperationFilter,
  OperationPatch,
  OperationRepository,
  OperationRow,
  OutcomeRecording,
  WorkerOutcome,
} from './types.js';

export interface OperationRecord {
  operation_id: string;
  seq: unknown;
  operation_type: string;
  worker_type: string;
  status: string;
  params: JsonObject;
  metadata: JsonObject;
  progress: Progress;
  created_at: unknown;
  started_at: unknown;
  completed_at: unknown;
  error_message: string | null;
  result_summary: JsonObject | null;
  worker_id: string | null;
}

export const OPERATION_COLUMNS = `operation_id, seq, operation_type, worker_type, status, params, metadata, progress,
  created_at, started_at, completed_at, error_message, result_summary, worker_id`;

export const toOperationRow = (record: OperationRecord): OperationRow => ({
  operationId: record.operation_id,
  operationType: record.operation_type as OperationType,
  workerType: record.worker_type as WorkerType,
  status: record.status as OperationStatus,
  params: record.params,
  metadata: record.metadata,
  progress: record.progress,
  createdAt: toDate(record.created_at),
  startedAt: toNullableDate(record.started_at),
  completedAt: toNullableDate(record.completed_at),
  errorMessage: record.error_message,
  resultSummary: record.result_summary,
  workerId: record.worker_id,
  seq: toNumber(record.seq),
});

/** How each patchable field is written: its column and the SQL placeholder cast. */
const PATCH_COLUMNS: { [K in keyof Required<OperationPatch>]: (value: Required<OperationPatch>[K]) => [string, string, SqlParam] } = {
  status: (value) => ['status', '', value],
  metadata: (value) => ['metadata', '::text::jsonb', jsonParam(value)],
  progress: (value) => ['progress', '::text::jsonb', jsonParam(value)],
  startedAt: (value) => ['started_at', '::timestamptz', nullableTimeParam(value)],
  completedAt: (value) => ['completed_at', '::timestamptz', nullableTimeParam(value)],
  errorMessage: (value) => ['error_message', '', value],
  resultSummary: (value) => ['result_summary', '::text::jsonb', nullableJsonParam(value)],
  workerId: (value) => ['worker_id', '', value],
};

/** The workers a claim may take (the partial index workers_dispatchable), as a condition on `alias`. */
export const DISPATCHABLE_WORKER = (alias: string): string =>
  `${alias}.status = 'available' AND ${alias}.current_operation_id IS NULL AND NOT ${alias}.reserved AND NOT ${alias}.draining`;

const TERMINAL_SQL = `status IN (${TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ')})`;

/**
 * Serialises submissions that must respect the maximum number of operations, across every
 * backend process sharing the database. Any constant works; it differs from the migrations' one.
 */
const OPERATION_LIMIT_LOCK_KEY = 7_469_082_032;

/**
 * A worker's outcome in one statement (OperationRepository.recordOutcome) instead of five (read, release, results,
 * finish, checkpoints), and, when the worker asks, its next operation claimed in the same statement (the start
 * request, its reservation's end and a claim fewer; docs/architecture.md §5.4). `op` is the row as it was,
 * `assigned` whether the worker may speak for it at all; the worker row is locked (`w`) and released only then, and
 * the operation finished only while it is running on that worker (re-checked on the row itself, so a cancel
 * committed meanwhile wins and the caller sees `finished` null). `nxt` is the oldest pending operation of the
 * worker's type, `FOR UPDATE SKIP LOCKED` like the claim's, taken only when the worker asked ($12), is neither
 * draining nor unavailable, and no worker of its type is idle (longest idle first: those get it by the claim). The
 * released worker row then holds it, busy and reserved with a fresh epoch, and `started` sets it running there:
 * the same state the claim leaves. A completed operation no longer needs its checkpoints: their rows go in the
 * same statement and their files are returned for removal. `pending_left` tells the caller whether a claim may
 * have something to pair now (OperationsService.recordOutcome).
 */
const RECORD_OUTCOME_SQL = `
WITH op AS (
  SELECT * FROM operations WHERE operation_id = $1
), assigned AS (
  SELECT 1 FROM op WHERE op.worker_id = $2 OR op.metadata ->> $11 = $2
), w AS (
  SELECT worker_id, worker_type, status, draining FROM workers
  WHERE worker_id = $2 AND current_operation_id = $1 AND EXISTS (SELECT 1 FROM assigned)
  FOR UPDATE
), nxt AS (
  SELECT p.operation_id FROM w CROSS JOIN LATERAL (
    SELECT operation_id FROM operations
    WHERE $12 AND NOT w.draining AND w.status <> 'temporarily_unavailable'
      AND status = 'pending' AND worker_type = w.worker_type
      AND NOT EXISTS (SELECT 1 FROM workers AS idle WHERE idle.worker_type = w.worker_type AND ${DISPATCHABLE_WORKER('idle')})
    ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
  ) AS p
), released AS (
  UPDATE workers SET
    status = CASE WHEN nxt.operation_id IS NOT NULL THEN 'busy' WHEN workers.status = 'temporarily_unavailable' THEN workers.status ELSE 'available' END,
    current_operation_id = nxt.operation_id,
    reserved = nxt.operation_id IS NOT NULL,
    assignment_epoch = CASE WHEN nxt.operation_id IS NOT NULL THEN nextval('worker_assignment_epoch') ELSE workers.assignment_epoch END,
    last_dispatched_at = CASE WHEN nxt.operation_id IS NOT NULL THEN $13::timestamptz ELSE workers.last_dispatched_at END
  FROM w LEFT JOIN nxt ON true
  WHERE workers.worker_id = w.worker_id
  RETURNING workers.current_operation_id AS next_id, workers.assignment_epoch AS epoch
), started AS (
  UPDATE operations SET status = 'running', worker_id = $2, started_at = $13::timestamptz
  FROM released WHERE operations.operation_id = released.next_id
  RETURNING operations.*
), finished AS (
  UPDATE operations AS o SET status = $3, worker_id = $2, error_message = $4, result_summary = $5::text::jsonb,
    completed_at = GREATEST($6::timestamptz, COALESCE(o.started_at, o.created_at)),
    progress = CASE WHEN $3 = 'completed' THEN COALESCE($7::text::jsonb, o.progress) || '{"percentage": 100}'::jsonb
      ELSE COALESCE($7::text::jsonb, o.progress) END
  WHERE o.operation_id = $1 AND o.status = 'running' AND o.worker_id = $2
  RETURNING o.*
), saved AS (
  INSERT INTO operation_results (operation_id, results) SELECT operation_id, $8::text::jsonb FROM finished WHERE $9
  ON CONFLICT (operation_id) DO UPDATE SET results = EXCLUDED.results, saved_at = now()
  RETURNING operation_id
), dropped AS (
  DELETE FROM checkpoints WHERE operation_id = $1 AND $10 AND EXISTS (SELECT 1 FROM finished) RETURNING path
)
SELECT (SELECT to_jsonb(op) FROM op) AS before, EXISTS (SELECT 1 FROM released) AS released,
  (SELECT to_jsonb(f) FROM finished AS f) AS finished, (SELECT count(*) FROM saved) AS saved,
  (SELECT COALESCE(jsonb_agg(path), '[]'::jsonb) FROM dropped) AS dropped,
  (SELECT to_jsonb(s) FROM started AS s) AS next, (SELECT epoch FROM released WHERE next_id IS NOT NULL) AS next_epoch,
  EXISTS (SELECT 1 FROM checkpoints AS c WHERE c.operation_id = (SELECT next_id FROM released)) AS next_has_checkpoint,
  EXISTS (
    SELECT 1 FROM w JOIN operations AS p ON p.status = 'pending' AND p.worker_type = w.worker_type
    WHERE p.operation_id IS DISTINCT FROM (SELECT next_id FROM released)
  ) AS pending_left`;

/** A new operation's columns, in the order both submission statements take them: id, types, params, metadata, progress, creation. */
function newOperationValues(operation: NewOperation): SqlParam[] {
  return [
    operation.operationId,
    operation.operationType,
    operation.workerType,
    jsonParam(operation.params),
    jsonParam(operation.metadata),
    jsonParam(emptyProgress()),
    timeParam(operation.createdAt),
  ];
}

/** Runs an insert of `operation`: an id already taken is the caller's conflict (409), not a database failure. */
async function insertingNew<T>(operation: NewOperation, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw conflict(`operation '${operation.operationId}' already exists`);
    throw error;
  }
}

/** Inserts the operation; with `below`, only while fewer than that many operations are kept (else null). */
async function insertOperation(sql: SqlExecutor, operation: NewOperation): Promise<OperationRow>;
async function insertOperation(sql: SqlExecutor, operation: NewOperation, below: number): Promise<OperationRow | null>;
async function insertOperation(sql: SqlExecutor, operation: NewOperation, below?: number): Promise<OperationRow | null> {
  return insertingNew(operation, async () => {
    const [record] = await sql.query<OperationRecord>(
      `INSERT INTO operations (operation_id, operation_type, worker_type, status, params, metadata, progress, created_at)
       SELECT $1, $2, $3, 'pending', $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7::timestamptz
       ${below === undefined ? '' : 'WHERE (SELECT count(*) FROM operations) < $8'}
       RETURNING ${OPERATION_COLUMNS}`,
      [...newOperationValues(operation), ...(below === undefined ? [] : [below])],
    );
    if (record === undefined) {
      if (below === undefined) throw new Error(`INSERT of operation '${operation.operationId}' returned no row`);
      return null;
    }
    return toOperationRow(record);
  });
}

/** ktrdr_submit_operation (PostgreSQL): the operation inserted under the limit's lock, or null when the table is full. */
async function submitOperation(sql: SqlExecutor, operation: NewOperation, below: number): Promise<OperationRow | null> {
  return insertingNew(operation, async () => {
    const [record] = await sql.query<OperationRecord>(
      `SELECT ${OPERATION_COLUMNS} FROM ktrdr_submit_operation($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9::timestamptz)`,
      [OPERATION_LIMIT_LOCK_KEY, below, ...newOperationValues(operation)],
      'ktrdr_submit',
    );
    return record === undefined ? null : toOperationRow(record);
  });
}

/**
 * ktrdr_submit_and_claim (migration 4): the operation inserted under the limit's lock and, when a worker of its type
 * is idle and nothing older of its type waits, claimed by that worker; null when the table is full.
 */
async function submitAndClaim(sql: SqlExecutor, operation: NewOperation, below: number, at: Date): Promise<{ row: OperationRow; claim: Claim | null } | null> {
  return insertingNew(operation, async () => {
    const [record] = await sql.query<{ operation: OperationRecord; worker: WorkerStateRecord | null; epoch: unknown }>(
      `SELECT operation, worker, epoch FROM ktrdr_submit_and_claim($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9::timestamptz, $10::timestamptz)`,
      [OPERATION_LIMIT_LOCK_KEY, below, ...newOperationValues(operation), timeParam(at)],
      'ktrdr_submit_and_claim',
    );
    if (record === undefined) return null;
    const row = toOperationRow(record.operation);
    // A new operation has no checkpoint to resume from.
    return { row, claim: record.worker ? { operation: row, worker: toWorkerRow(record.worker), epoch: toNumber(record.epoch), hasCheckpoint: false } : null };
  });
}

async function deleteOldestTerminal(sql: SqlExecutor, count: number): Promise<string[]> {
  if (count <= 0) return [];
  // Oldest means first created (seq), the order the operations were submitted in.
  const rows = await sql.query<{ operation_id: string }>(
    `DELETE FROM operations WHERE operation_id IN (
       SELECT operation_id FROM operations WHERE ${TERMINAL_SQL} ORDER BY seq LIMIT $1
     ) RETURNING operation_id`,
    [count],
  );
  return rows.map((row) => row.operation_id);
}

export class SqlOperationRepository implements OperationRepository {
  /**
   * `exclusive`: the database has this one connection, in this process (PGlite), so one statement sees no other
   * write between its count and its insert.
   */
  constructor(
    private readonly sql: SqlClient,
    private readonly exclusive = false,
  ) {}

  async create(operation: NewOperation): Promise<OperationRow> {
    return insertOperation(this.sql, operation);
  }

  async createWithinLimit(operation: NewOperation, maxOperations: number, claimAt?: Date): Promise<BoundedCreation> {
    // While there is room, one call: with `claimAt`, ktrdr_submit_and_claim (migration 4: the lock, the counted
    // insert and the claim); otherwise on PGlite one statement (counted and inserted with nothing in between, one
    // connection), on PostgreSQL ktrdr_submit_operation (migration 3: the lock, then the counted insert). A full
    // table takes the transaction below, which evicts and claims nothing (the dispatcher does).
    if (claimAt !== undefined) {
      const submitted = await submitAndClaim(this.sql, operation, maxOperations, claimAt);
      if (submitted) return { ...submitted, evicted: [] };
    } else {
      const row = this.exclusive ? await insertOperation(this.sql, operation, maxOperations) : await submitOperation(this.sql, operation, maxOperations);
      if (row) return { row, evicted: [] };
    }
    // Count, evict and insert in one transaction under one lock: two submissions can no longer both see room.
    return this.sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${OPERATION_LIMIT_LOCK_KEY})`);
      // Counted again under the lock (READ COMMITTED: this snapshot, taken once the lock was granted, sees every
      // submission that held it before): the room may have come back since.
      const inserted = await insertOperation(tx, operation, maxOperations);
      if (inserted) return { row: inserted, evicted: [] };
      const [counted] = await tx.query<{ n: unknown }>('SELECT count(*) AS n FROM operations');
      const excess = toNumber(counted?.n ?? 0) - maxOperations + 1;
      const evicted = await deleteOldestTerminal(tx, excess);
      if (excess - evicted.length > 0) return { row: null, evicted };
      return { row: await insertOperation(tx, operation), evicted };
    });
  }

  async get(operationId: string): Promise<OperationRow | null> {
    const [record] = await this.sql.query<OperationRecord>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE operation_id = $1`, [operationId], 'ktrdr_get_operation');
    return record === undefined ? null : toOperationRow(record);
  }

  async list(filter: OperationFilter = {}): Promise<{ rows: OperationRow[]; total: number }> {
    const conditions: string[] = [];
    const params: SqlParam[] = [];
    if (filter.status !== undefined) {
      params.push(filter.status);
      conditions.push(`status = $${params.length}`);
    }
    if (filter.operationType !== undefined) {
      params.push(filter.operationType);
      conditions.push(`operation_type = $${params.length}`);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const [counted] = await this.sql.query<{ total: unknown }>(`SELECT count(*) AS total FROM operations ${where}`, params);
    let limit = '';
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      limit = `LIMIT $${params.length}`;
    }
    const records = await this.sql.query<OperationRecord>(
      `SELECT ${OPERATION_COLUMNS} FROM operations ${where} ORDER BY created_at DESC, seq DESC ${limit}`,
      params,
    );
    return { rows: records.map(toOperationRow), total: toNumber(counted?.total ?? 0) };
  }

  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const counts: Record<OperationStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    const rows = await this.sql.query<{ status: OperationStatus; n: unknown }>(
      'SELECT status, count(*) AS n FROM operations GROUP BY status',
    );
    for (const row of rows) counts[row.status] = toNumber(row.n);
    return counts;
  }

  async update(operationId: string, patch: OperationPatch, fromStatuses?: readonly OperationStatus[]): Promise<OperationRow | null> {
    const params: SqlParam[] = [operationId];
    const assignments: string[] = [];
    for (const key of Object.keys(PATCH_COLUMNS) as (keyof OperationPatch)[]) {
      const value = patch[key];
      if (value === undefined) continue;
      const [column, cast, param] = (PATCH_COLUMNS[key] as (v: unknown) => [string, string, SqlParam])(value);
      params.push(param);
      assignments.push(`${column} = $${params.length}${cast}`);
    }
    // An empty patch still answers "is it in one of these statuses?" atomically.
    if (assignments.length === 0) assignments.push('status = status');
    let condition = 'operation_id = $1';
    if (fromStatuses !== undefined) {
      if (fromStatuses.length === 0) return null;
      const placeholders = fromStatuses.map((status) => {
        params.push(status);
        return `$${params.length}`;
      });
      condition += ` AND status IN (${placeholders.join(', ')})`;
    }
    const [record] = await this.sql.query<OperationRecord>(
      `UPDATE operations SET ${assignments.join(', ')} WHERE ${condition} RETURNING ${OPERATION_COLUMNS}`,
      params,
    );
    return record === undefined ? null : toOperationRow(record);
  }

  async pending(workerType?: WorkerType, limit?: number): Promise<OperationRow[]> {
    const params: SqlParam[] = [];
    let where = `status = 'pending'`;
    if (workerType !== undefined) {
      params.push(workerType);
      where += ` AND worker_type = $${params.length}`;
    }
    let limitSql = '';
    if (limit !== undefined) {
      params.push(limit);
      limitSql = `LIMIT $${params.length}`;
    }
    const records = await this.sql.query<OperationRecord>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${where} ORDER BY seq ${limitSql}`, params);
    return records.map(toOperationRow);
  }

  async running(): Promise<OperationRow[]> {
    const records = await this.sql.query<OperationRecord>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE status = 'running' ORDER BY seq`);
    return records.map(toOperationRow);
  }

  async deleteTerminalBefore(cutoff: Date, statuses?: readonly OperationStatus[]): Promise<string[]> {
    // A terminal operation without a completion time (should not happen) ages from its creation.
    const only = statuses === undefined ? '' : ' AND status IN (SELECT jsonb_array_elements_text($2::text::jsonb))';
    const rows = await this.sql.query<{ operation_id: string }>(
      `DELETE FROM operations WHERE ${TERMINAL_SQL}${only} AND COALESCE(completed_at, created_at) < $1::timestamptz
       RETURNING operation_id`,
      statuses === undefined ? [timeParam(cutoff)] : [timeParam(cutoff), jsonParam([...statuses])],
    );
    return rows.map((row) => row.operation_id);
  }

  async deleteOldestTerminal(count: number): Promise<string[]> {
    return deleteOldestTerminal(this.sql, count);
  }

  async count(): Promise<number> {
    const [row] = await this.sql.query<{ n: unknown }>('SELECT count(*) AS n FROM operations');
    return toNumber(row?.n ?? 0);
  }

  async saveResults(operationId: string, results: unknown): Promise<void> {
    try {
      await this.sql.query(
        `INSERT INTO operation_results (operation_id, results) VALUES ($1, $2::text::jsonb)
         ON CONFLICT (operation_id) DO UPDATE SET results = EXCLUDED.results, saved_at = now()`,
        [operationId, jsonParam(results)],
      );
    } catch (error) {
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw notFound('operation', operationId);
      throw error;
    }
  }

  async recordOutcome(outcome: WorkerOutcome): Promise<OutcomeRecording> {
    const [record] = await this.sql.query<{
      before: OperationRecord | null;
      released: boolean;
      finished: OperationRecord | null;
      dropped: string[];
      next: OperationRecord | null;
      next_epoch: unknown;
      next_has_checkpoint: boolean;
      pending_left: boolean;
    }>(
      RECORD_OUTCOME_SQL,
      [
        outcome.operationId,
        outcome.workerId,
        outcome.status,
        outcome.errorMessage,
        nullableJsonParam(outcome.resultSummary),
        timeParam(outcome.completedAt),
        outcome.progress === undefined ? null : jsonParam(outcome.progress),
        outcome.results === undefined ? null : jsonParam(outcome.results),
        outcome.results !== undefined,
        outcome.status === 'completed',
        outcome.orphanKey,
        outcome.takeNext,
        timeParam(outcome.now),
      ],
      'ktrdr_outcome',
    );
    return {
      before: record?.before ? toOperationRow(record.before) : null,
      released: record?.released === true,
      finished: record?.finished ? toOperationRow(record.finished) : null,
      droppedCheckpoints: record?.dropped ?? [],
      next: record?.next
        ? { operation: toOperationRow(record.next), epoch: toNumber(record.next_epoch), hasCheckpoint: record.next_has_checkpoint }
        : null,
      pendingLeft: record?.pending_left === true,
    };
  }

  async getResults(operationId: string): Promise<unknown | null> {
    const [row] = await this.sql.query<{ results: unknown }>('SELECT results FROM operation_results WHERE operation_id = $1', [operationId]);
    return row === undefined ? null : row.results;
  }
}
