/** Registered workers, over SQL. */
import type { WorkerStatus, WorkerType } from '../api/contract.js';
import { MicroBatch } from './micro-batch.js';
import { DISPATCHABLE_WORKER, toOperationRow, type OperationRecord } from './operation-repository.js';
import type { SqlExecutor } from './sql-client.js';
import { toWorkerRow, type WorkerRecord, type WorkerStateRecord } from './worker-record.js';
import { jsonParam, nullableTimeParam, timeParam, toNullableDate, toNumber } from './sql-values.js';
import type {
  Claim,
  ClaimResult,
  HealthyReport,
  OperationRow,
  RegistrationOutcome,
  WorkerRegistration,
  WorkerRepository,
  WorkerRow,
  WorkerState,
} from './types.js';

const COLUMNS = `worker_id, worker_type, endpoint_url, status, current_operation_id, capabilities, metadata,
  registered_at, last_health_check, last_healthy_at, health_check_failures`;

const STATE_COLUMNS = `${COLUMNS}, reserved, draining, assignment_epoch, last_dispatched_at`;

const toState = (record: WorkerStateRecord): WorkerState => ({
  ...toWorkerRow(record),
  reserved: record.reserved,
  draining: record.draining,
  assignmentEpoch: toNumber(record.assignment_epoch),
  lastDispatchedAt: toNullableDate(record.last_dispatched_at),
});

/** What the partial index workers_dispatchable covers: the rows a claim may take. */
const DISPATCHABLE = DISPATCHABLE_WORKER('workers');

/** Longest idle first; the id breaks ties so that every backend picks in the same order. */
const IDLE_ORDER = 'last_dispatched_at NULLS FIRST, worker_id';

/**
 * The claim (docs/architecture.md §5.4). `ws`: up to $2 dispatchable workers per type with pending work, locked, numbered longest
 * idle first; `ops`: as many pending operations of each type as it locked workers of that type, locked, numbered
 * oldest first (so that every operation it locks is paired, and concurrent claims take the oldest ones: FIFO);
 * `pairs` joins them by type and number and takes one epoch each. Both UPDATEs and the answer are the same
 * statement, so no other statement (another backend's claim included) ever sees one side claimed without the other.
 * SKIP LOCKED makes a concurrent claim take the next rows instead of waiting for (or re-taking) these.
 */
const CLAIM_SQL = `
WITH ws AS (
  SELECT w.worker_id, w.worker_type, row_number() OVER (PARTITION BY w.worker_type ORDER BY w.last_dispatched_at NULLS FIRST, w.worker_id) AS n
  FROM jsonb_array_elements_text($1::text::jsonb) AS t (worker_type)
  CROSS JOIN LATERAL (
    -- Only types with pending work: an idle pass locks no worker row.
    SELECT 1 FROM operations WHERE status = 'pending' AND worker_type = t.worker_type LIMIT 1
  ) AS has_pending
  CROSS JOIN LATERAL (
    SELECT worker_id, worker_type, last_dispatched_at FROM workers
    WHERE worker_type = t.worker_type AND ${DISPATCHABLE}
      AND worker_id NOT IN (SELECT jsonb_array_elements_text($4::text::jsonb))
    ORDER BY ${IDLE_ORDER} LIMIT $2 FOR UPDATE SKIP LOCKED
  ) AS w
), ops AS (
  SELECT o.operation_id, o.worker_type, row_number() OVER (PARTITION BY o.worker_type ORDER BY o.seq) AS n
  FROM (SELECT worker_type, count(*) AS free FROM ws GROUP BY worker_type) AS t
  CROSS JOIN LATERAL (
    -- No more than the workers locked: an operation locked and left unpaired would be skipped by a concurrent
    -- claim, which would then take a younger one before it (FIFO).
    SELECT operation_id, worker_type, seq FROM operations
    WHERE status = 'pending' AND worker_type = t.worker_type
    ORDER BY seq LIMIT t.free FOR UPDATE SKIP LOCKED
  ) AS o
), pairs AS (
  SELECT ops.operation_id, ws.worker_id, nextval('worker_assignment_epoch') AS epoch
  FROM ops JOIN ws ON ws.worker_type = ops.worker_type AND ws.n = ops.n
), claimed_operations AS (
  UPDATE operations SET status = 'running', worker_id = pairs.worker_id, started_at = $3::timestamptz
  FROM pairs WHERE operations.operation_id = pairs.operation_id
  RETURNING operations.*
), claimed_workers AS (
  UPDATE workers SET status = 'busy', reserved = true, current_operation_id = pairs.operation_id,
    assignment_epoch = pairs.epoch, last_dispatched_at = $3::timestamptz
  FROM pairs WHERE workers.worker_id = pairs.worker_id
  RETURNING workers.*
)
(SELECT to_jsonb(o) AS operation, to_jsonb(w) AS worker,
  EXISTS (SELECT 1 FROM checkpoints c WHERE c.operation_id = o.operation_id) AS has_checkpoint, false AS contended,
  false AS pending_left
FROM claimed_operations AS o JOIN claimed_workers AS w ON w.current_operation_id = o.operation_id
ORDER BY o.seq)
UNION ALL
-- One more row, always: whether nothing was paired although the snapshot holds a pair (ClaimResult.contended),
-- and whether an operation of these types is left pending (ClaimResult.pendingLeft).
SELECT NULL, NULL, false,
  NOT EXISTS (SELECT 1 FROM pairs) AND EXISTS (
    SELECT 1 FROM jsonb_array_elements_text($1::text::jsonb) AS t (worker_type)
    WHERE EXISTS (SELECT 1 FROM operations WHERE status = 'pending' AND worker_type = t.worker_type)
      AND EXISTS (
        SELECT 1 FROM workers WHERE worker_type = t.worker_type AND ${DISPATCHABLE}
          AND worker_id NOT IN (SELECT jsonb_array_elements_text($4::text::jsonb))
      )
  ),
  EXISTS (
    SELECT 1 FROM jsonb_array_elements_text($1::text::jsonb) AS t (worker_type)
    JOIN operations AS p ON p.status = 'pending' AND p.worker_type = t.worker_type
    WHERE p.operation_id NOT IN (SELECT operation_id FROM pairs)
  )`;

/**
 * Registrations, many in one statement (each row of $1 one registration; see MicroBatch for how they are grouped:
 * never two with the same id or endpoint). The existing rows of the ids are locked, and the rows inserted, in id
 * order, so that two backends registering the same ids take them in the same order (should a deadlock still
 * happen, through the rows deleted, the statement fails and MicroBatch tries each registration alone); a
 * registration is refused (nothing written, previous_endpoint answered) when its id is registered at another endpoint than its own
 * or its moved_from (the one found dead); otherwise another id at the same endpoint (a worker restarted under a new
 * id) is deleted and the row upserted, with an epoch of its own. A row the statement upserts is never one it
 * deletes (a worker moving away from an endpoint another registration takes keeps its row, as if it had
 * registered first). The endpoint index makes each look-up O(1) whatever the number of workers.
 */
const REGISTER_SQL = `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r (n int, worker_id text, worker_type text, endpoint_url text, status text,
    current_operation_id text, capabilities jsonb, metadata jsonb, now timestamptz, moved_from text)
), existing AS (
  SELECT worker_id, endpoint_url FROM workers WHERE worker_id IN (SELECT worker_id FROM r) ORDER BY worker_id FOR UPDATE
), verdict AS (
  SELECT r.*, NOT EXISTS (
    SELECT 1 FROM existing AS e WHERE e.worker_id = r.worker_id AND e.endpoint_url <> r.endpoint_url AND e.endpoint_url IS DISTINCT FROM r.moved_from
  ) AS ok
  FROM r
), stale AS (
  DELETE FROM workers AS w USING verdict AS v
  WHERE v.ok AND w.endpoint_url = v.endpoint_url AND w.worker_id <> v.worker_id
    AND w.worker_id NOT IN (SELECT worker_id FROM verdict WHERE ok)
  RETURNING w.worker_id
), saved AS (
  INSERT INTO workers (${COLUMNS}, reserved, draining, assignment_epoch)
  SELECT worker_id, worker_type, endpoint_url, status, current_operation_id, capabilities, metadata, now, NULL, now, 0,
    false, false, nextval('worker_assignment_epoch')
  FROM verdict WHERE ok ORDER BY worker_id
  ON CONFLICT (worker_id) DO UPDATE SET
    worker_type = EXCLUDED.worker_type,
    endpoint_url = EXCLUDED.endpoint_url,
    status = EXCLUDED.status,
    current_operation_id = EXCLUDED.current_operation_id,
    capabilities = EXCLUDED.capabilities,
    metadata = EXCLUDED.metadata,
    last_healthy_at = EXCLUDED.last_healthy_at,
    health_check_failures = 0,
    reserved = false,
    draining = false,
    assignment_epoch = EXCLUDED.assignment_epoch
  RETURNING ${COLUMNS}
)
SELECT v.n, (SELECT e.endpoint_url FROM existing AS e WHERE e.worker_id = v.worker_id) AS previous_endpoint,
  (SELECT count(*) FROM stale) AS replaced, to_jsonb(s) AS saved
FROM verdict AS v LEFT JOIN saved AS s ON s.worker_id = v.worker_id
ORDER BY v.n`;

/** Most registrations in one statement, and most ids in one look-up. */
const REGISTRATION_BATCH = 200;
const LOOKUP_BATCH = 500;

/** Whether the reservation is a start request still in flight (made at or after $since). */
const IN_FLIGHT = `(w.reserved AND w.last_dispatched_at >= $3::timestamptz)`;
const STALE_ANSWER = `(h.request_epoch IS NOT NULL AND h.request_epoch <> w.assignment_epoch)`;

/**
 * Healthy answers in one statement. The rows are locked in id order first, so two such statements (two backends)
 * never deadlock. An answer overtaken by an assignment ($STALE_ANSWER) only proves the worker alive.
 */
const HEALTHY_SQL = `
WITH h AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS h (worker_id text, request_epoch bigint, busy boolean, claimed text)
), locked AS (
  SELECT worker_id FROM workers WHERE worker_id IN (SELECT worker_id FROM h) ORDER BY worker_id FOR UPDATE
)
UPDATE workers AS w SET
  last_health_check = $2::timestamptz,
  last_healthy_at = $2::timestamptz,
  health_check_failures = 0,
  status = CASE
    WHEN ${STALE_ANSWER} THEN
      CASE WHEN w.status <> 'temporarily_unavailable' THEN w.status WHEN w.current_operation_id IS NOT NULL THEN 'busy' ELSE 'available' END
    WHEN ${IN_FLIGHT} OR h.busy THEN 'busy'
    ELSE 'available' END,
  current_operation_id = CASE WHEN ${STALE_ANSWER} OR ${IN_FLIGHT} THEN w.current_operation_id ELSE h.claimed END,
  reserved = CASE WHEN ${STALE_ANSWER} THEN w.reserved ELSE ${IN_FLIGHT} END
FROM h JOIN locked USING (worker_id)
WHERE w.worker_id = h.worker_id
RETURNING ${COLUMNS.split(',').map((column) => `w.${column.trim()}`).join(', ')}`;

const FAILURES_SQL = `
WITH locked AS (
  SELECT worker_id FROM workers WHERE worker_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) ORDER BY worker_id FOR UPDATE
)
UPDATE workers SET
  health_check_failures = health_check_failures + 1,
  last_health_check = $2::timestamptz,
  status = CASE WHEN health_check_failures + 1 >= $3 THEN 'temporarily_unavailable' ELSE status END
FROM locked WHERE workers.worker_id = locked.worker_id
RETURNING ${COLUMNS.split(',').map((column) => `workers.${column.trim()}`).join(', ')}`;

/**
 * A start that never reached its worker (docs/architecture.md §9): the worker row still holds the assignment $3
 * for $2, reserved since before $4 (no start answer ended it), and the operation is still running on $1. The
 * worker row is locked first, so a concurrent requeue (another backend) waits and then finds the row changed and
 * does nothing; the operation goes back to pending only while it is running on that worker (compare-and-set),
 * and the worker is freed in the same statement ($6: it said it is busy with something else).
 */
const REQUEUE_UNSTARTED_SQL = `
WITH w AS (
  SELECT worker_id FROM workers
  WHERE worker_id = $1 AND current_operation_id = $2 AND assignment_epoch = $3 AND reserved AND last_dispatched_at < $4::timestamptz
  FOR UPDATE
), requeued AS (
  UPDATE operations SET status = 'pending', worker_id = NULL, started_at = NULL,
    metadata = metadata || jsonb_build_object('queued_at', $5::text)
  WHERE operation_id = $2 AND status = 'running' AND worker_id = $1 AND EXISTS (SELECT 1 FROM w)
  RETURNING operations.*
), released AS (
  UPDATE workers SET current_operation_id = NULL, reserved = false,
    status = CASE WHEN workers.status = 'temporarily_unavailable' THEN workers.status WHEN $6 THEN 'busy' ELSE 'available' END
  FROM w WHERE workers.worker_id = w.worker_id
  RETURNING workers.worker_id
)
SELECT to_jsonb(r) AS operation FROM requeued AS r`;

interface ReservationEnd {
  readonly workerId: string;
  readonly operationId: string;
  readonly epoch: number;
}

/** How long an ended reservation waits for others to go in the same statement (reservationEnds). */
const RESERVATION_END_WINDOW_MS = 20;

/**
 * Reservations whose start request was answered, ended in one statement; the worker rows are locked in id order
 * first, as HEALTHY_SQL does, so the two never deadlock. An operation is wanted unless cancelled, put back or given
 * to another worker meanwhile; one the worker already finished (its outcome overtook the start answer) is its own.
 */
const END_RESERVATIONS_SQL = `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r (n int, worker_id text, operation_id text, epoch bigint)
), locked AS (
  SELECT worker_id FROM workers WHERE worker_id IN (SELECT worker_id FROM r) ORDER BY worker_id FOR UPDATE
), ended AS (
  UPDATE workers AS w SET reserved = false
  FROM r JOIN locked USING (worker_id)
  WHERE w.worker_id = r.worker_id AND w.assignment_epoch = r.epoch
  RETURNING w.worker_id
)
SELECT r.n, EXISTS (
  SELECT 1 FROM operations AS o
  WHERE o.operation_id = r.operation_id AND o.worker_id = r.worker_id AND o.status IN ('running', 'completed', 'failed')
) AS wanted, (SELECT count(*) FROM ended) AS ended
FROM r ORDER BY r.n`;

/** A worker's status once it no longer runs an operation: temporarily_unavailable stays so. */
const FREED = `CASE WHEN status = 'temporarily_unavailable' THEN status ELSE 'available' END`;
const BUSY = `CASE WHEN status = 'temporarily_unavailable' THEN status ELSE 'busy' END`;

export class SqlWorkerRepository implements WorkerRepository {
  /** Registrations arriving together go as one statement (a fleet re-registering after a restart, §5.1). */
  private readonly registrations = new MicroBatch<WorkerRegistration, RegistrationOutcome>((batch) => this.registerMany(batch), {
    maxSize: REGISTRATION_BATCH,
    keys: (registration) => [`id ${registration.workerId}`, `endpoint ${registration.endpointUrl}`],
  });

  /** Look-ups by id arriving together (every worker's heartbeat, §5.2) go as one statement. */
  private readonly lookups = new MicroBatch<string, WorkerRow | null>((ids) => this.getMany(ids), { maxSize: LOOKUP_BATCH });
  /**
   * Reservations ended within a short window go as one statement (docs/architecture.md §5.4): nobody waits on
   * them but the dispatcher, and a short operation's outcome often comes first (it ends the reservation itself,
   * and the end then changes nothing).
   */
  private readonly reservationEnds = new MicroBatch<ReservationEnd, boolean>((ends) => this.endReservations(ends), {
    maxSize: LOOKUP_BATCH,
    windowMs: RESERVATION_END_WINDOW_MS,
  });

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
    return toWorkerRow(record!);
  }

  get(workerId: string): Promise<WorkerRow | null> {
    return this.lookups.add(workerId);
  }

  private async getMany(ids: readonly string[]): Promise<(WorkerRow | null)[]> {
    const records =
      ids.length === 1
        ? await this.sql.query<WorkerRecord>(`SELECT ${COLUMNS} FROM workers WHERE worker_id = $1`, [ids[0] as string])
        : await this.sql.query<WorkerRecord>(`SELECT ${COLUMNS} FROM workers WHERE worker_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`, [
            jsonParam([...new Set(ids)]),
          ]);
    const byId = new Map(records.map((record) => [record.worker_id, toWorkerRow(record)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async list(): Promise<WorkerRow[]> {
    const records = await this.sql.query<WorkerRecord>(`SELECT ${COLUMNS} FROM workers ORDER BY registered_at, worker_id`);
    return records.map(toWorkerRow);
  }

  async delete(workerId: string): Promise<boolean> {
    const rows = await this.sql.query<{ worker_id: string }>('DELETE FROM workers WHERE worker_id = $1 RETURNING worker_id', [workerId]);
    return rows.length > 0;
  }

  async states(): Promise<WorkerState[]> {
    const records = await this.sql.query<WorkerStateRecord>(`SELECT ${STATE_COLUMNS} FROM workers ORDER BY registered_at, worker_id`);
    return records.map(toState);
  }

  async countByStatus(): Promise<Record<WorkerStatus, number>> {
    const counts: Record<WorkerStatus, number> = { available: 0, busy: 0, temporarily_unavailable: 0 };
    const rows = await this.sql.query<{ status: WorkerStatus; n: unknown }>('SELECT status, count(*) AS n FROM workers GROUP BY status');
    for (const row of rows) counts[row.status] = toNumber(row.n);
    return counts;
  }

  register(registration: WorkerRegistration): Promise<RegistrationOutcome> {
    return this.registrations.add(registration);
  }

  private async registerMany(registrations: readonly WorkerRegistration[]): Promise<RegistrationOutcome[]> {
    const rows = registrations.map((registration, n) => ({
      n,
      worker_id: registration.workerId,
      worker_type: registration.workerType,
      endpoint_url: registration.endpointUrl,
      status: registration.currentOperationId ? 'busy' : 'available',
      current_operation_id: registration.currentOperationId,
      capabilities: registration.capabilities,
      metadata: registration.metadata,
      now: timeParam(registration.now),
      moved_from: registration.movedFrom,
    }));
    const records = await this.sql.query<{ n: unknown; previous_endpoint: string | null; saved: WorkerRecord | null }>(REGISTER_SQL, [jsonParam(rows)]);
    const outcomes: RegistrationOutcome[] = registrations.map(() => ({ previousEndpoint: '' }));
    for (const record of records) {
      outcomes[toNumber(record.n)] = record.saved ? { row: toWorkerRow(record.saved) } : { previousEndpoint: record.previous_endpoint ?? '' };
    }
    return outcomes;
  }

  async claim(workerTypes: readonly WorkerType[], limitPerType: number, now: Date, exclude: readonly string[]): Promise<ClaimResult> {
    const records = await this.sql.query<{
      operation: OperationRecord | null;
      worker: WorkerStateRecord | null;
      has_checkpoint: boolean;
      contended: boolean;
      pending_left: boolean;
    }>(
      CLAIM_SQL,
      [jsonParam(workerTypes), limitPerType, timeParam(now), jsonParam(exclude)],
      'ktrdr_claim',
    );
    const claims: Claim[] = [];
    for (const { operation, worker, has_checkpoint: hasCheckpoint } of records) {
      if (operation && worker) claims.push({ operation: toOperationRow(operation), worker: toWorkerRow(worker), epoch: toNumber(worker.assignment_epoch), hasCheckpoint });
    }
    return { claims, contended: records.some((record) => record.contended), pendingLeft: records.some((record) => record.pending_left) };
  }

  endReservation(workerId: string, operationId: string, epoch: number): Promise<boolean> {
    return this.reservationEnds.add({ workerId, operationId, epoch });
  }

  private async endReservations(ends: readonly ReservationEnd[]): Promise<boolean[]> {
    const records = await this.sql.query<{ n: unknown; wanted: boolean }>(
      END_RESERVATIONS_SQL,
      [jsonParam(ends.map((end, n) => ({ n, worker_id: end.workerId, operation_id: end.operationId, epoch: end.epoch })))],
      'ktrdr_end_reservations',
    );
    const wanted = ends.map(() => false);
    for (const record of records) wanted[toNumber(record.n)] = record.wanted;
    return wanted;
  }

  async cancelReservation(workerId: string, operationId: string, epoch: number, busyElsewhere: boolean): Promise<void> {
    await this.sql.query(
      `UPDATE workers SET reserved = false, status = $4, current_operation_id = NULL
       WHERE worker_id = $1 AND current_operation_id = $2 AND assignment_epoch = $3`,
      [workerId, operationId, epoch, busyElsewhere ? 'busy' : 'available'],
    );
  }

  async release(workerId: string, operationId: string): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE workers SET status = ${FREED}, current_operation_id = NULL, reserved = false
       WHERE worker_id = $1 AND current_operation_id = $2 RETURNING worker_id`,
      [workerId, operationId],
    );
    return rows.length > 0;
  }

  async markBusy(workerId: string, operationId: string): Promise<void> {
    await this.sql.query(
      `UPDATE workers SET status = ${BUSY}, current_operation_id = $2, assignment_epoch = nextval('worker_assignment_epoch')
       WHERE worker_id = $1`,
      [workerId, operationId],
    );
  }

  async disown(workerId: string, operationId: string): Promise<void> {
    await this.sql.query(`UPDATE workers SET status = ${BUSY}, current_operation_id = NULL WHERE worker_id = $1 AND current_operation_id = $2`, [
      workerId,
      operationId,
    ]);
  }

  async drain(workerId: string): Promise<void> {
    await this.sql.query('UPDATE workers SET draining = true WHERE worker_id = $1', [workerId]);
  }

  async assignmentEpoch(workerId: string): Promise<number | null> {
    const [row] = await this.sql.query<{ assignment_epoch: unknown }>('SELECT assignment_epoch FROM workers WHERE worker_id = $1', [workerId]);
    return row === undefined ? null : toNumber(row.assignment_epoch);
  }

  async recordHealthy(reports: readonly HealthyReport[], now: Date, reservedSince: Date): Promise<WorkerRow[]> {
    if (reports.length === 0) return [];
    const records = await this.sql.query<WorkerRecord>(HEALTHY_SQL, [
      jsonParam(reports.map((report) => ({ worker_id: report.workerId, request_epoch: report.requestEpoch, busy: report.busy, claimed: report.claimedOperationId }))),
      timeParam(now),
      timeParam(reservedSince),
    ]);
    return records.map(toWorkerRow);
  }

  async requeueUnstarted(
    workerId: string,
    operationId: string,
    epoch: number,
    reservedBefore: Date,
    now: Date,
    busyElsewhere: boolean,
  ): Promise<OperationRow | null> {
    const [record] = await this.sql.query<{ operation: OperationRecord }>(REQUEUE_UNSTARTED_SQL, [
      workerId,
      operationId,
      epoch,
      timeParam(reservedBefore),
      now.toISOString(),
      busyElsewhere,
    ]);
    return record === undefined ? null : toOperationRow(record.operation);
  }

  async recordFailures(workerIds: readonly string[], now: Date, threshold: number): Promise<WorkerRow[]> {
    if (workerIds.length === 0) return [];
    const records = await this.sql.query<WorkerRecord>(FAILURES_SQL, [jsonParam(workerIds), timeParam(now), threshold]);
    return records.map(toWorkerRow);
  }
}
