/**
 * The schema, as an ordered list of versioned migrations. Never edit a
 * migration that has shipped: append a new one.
 */
import type { SqlClient } from './sql-client.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One statement per entry: PGlite's parameterised protocol runs a single statement at a time. */
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'operations, results, workers, checkpoints',
    statements: [
      `CREATE TABLE operations (
         operation_id   text PRIMARY KEY,
         seq            bigserial NOT NULL UNIQUE,
         operation_type text NOT NULL,
         worker_type    text NOT NULL,
         status         text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
         params         jsonb NOT NULL,
         metadata       jsonb NOT NULL,
         progress       jsonb NOT NULL,
         created_at     timestamptz NOT NULL,
         started_at     timestamptz,
         completed_at   timestamptz,
         error_message  text,
         result_summary jsonb,
         worker_id      text
       )`,
      `CREATE INDEX operations_pending_fifo ON operations (worker_type, seq) WHERE status = 'pending'`,
      `CREATE INDEX operations_status ON operations (status)`,
      `CREATE INDEX operations_newest ON operations (created_at DESC, seq DESC)`,
      `CREATE TABLE operation_results (
         operation_id text PRIMARY KEY REFERENCES operations (operation_id) ON DELETE CASCADE,
         results      jsonb NOT NULL,
         saved_at     timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE workers (
         worker_id             text PRIMARY KEY,
         worker_type           text NOT NULL,
         endpoint_url          text NOT NULL,
         status                text NOT NULL CHECK (status IN ('available', 'busy', 'temporarily_unavailable')),
         current_operation_id  text,
         capabilities          jsonb NOT NULL,
         metadata              jsonb NOT NULL,
         registered_at         timestamptz NOT NULL,
         last_health_check     timestamptz,
         last_healthy_at       timestamptz,
         health_check_failures integer NOT NULL DEFAULT 0
       )`,
      `CREATE TABLE checkpoints (
         checkpoint_id text PRIMARY KEY,
         seq           bigserial NOT NULL UNIQUE,
         operation_id  text NOT NULL REFERENCES operations (operation_id) ON DELETE CASCADE,
         units         bigint NOT NULL,
         path          text NOT NULL,
         size_bytes    bigint NOT NULL,
         reason        text NOT NULL,
         created_at    timestamptz NOT NULL
       )`,
      `CREATE INDEX checkpoints_by_operation ON checkpoints (operation_id, created_at DESC, seq DESC)`,
      `CREATE INDEX checkpoints_by_age ON checkpoints (created_at)`,
    ],
  },
  {
    version: 2,
    name: 'dispatch state of workers in the store (reservation, draining, assignment epoch)',
    statements: [
      // One sequence for every worker: an epoch is never reused, even by a worker removed and registered again.
      `CREATE SEQUENCE worker_assignment_epoch`,
      `ALTER TABLE workers ADD COLUMN reserved boolean NOT NULL DEFAULT false`,
      `ALTER TABLE workers ADD COLUMN draining boolean NOT NULL DEFAULT false`,
      `ALTER TABLE workers ADD COLUMN assignment_epoch bigint NOT NULL DEFAULT 0`,
      `ALTER TABLE workers ADD COLUMN last_dispatched_at timestamptz`,
      `CREATE INDEX workers_dispatchable ON workers (worker_type, last_dispatched_at NULLS FIRST, worker_id)
         WHERE status = 'available' AND current_operation_id IS NULL AND NOT reserved AND NOT draining`,
      `CREATE INDEX workers_by_endpoint ON workers (endpoint_url)`,
    ],
  },
  {
    version: 3,
    name: 'submission within the operation limit as one call (ktrdr_submit_operation)',
    statements: [
      // A submission on PostgreSQL in one round trip instead of four (BEGIN, lock, insert, COMMIT): the lock and
      // the insert are two statements of one function, so the insert's count takes its snapshot (READ COMMITTED,
      // a VOLATILE function) after the lock was granted and sees every submission that held it before. Inserts
      // nothing when the table is full: the caller then evicts in a transaction of its own.
      `CREATE FUNCTION ktrdr_submit_operation(
         p_lock bigint, p_max bigint, p_id text, p_operation_type text, p_worker_type text,
         p_params jsonb, p_metadata jsonb, p_progress jsonb, p_created_at timestamptz
       ) RETURNS SETOF operations LANGUAGE plpgsql VOLATILE AS $$
       BEGIN
         PERFORM pg_advisory_xact_lock(p_lock);
         RETURN QUERY
           INSERT INTO operations (operation_id, operation_type, worker_type, status, params, metadata, progress, created_at)
           SELECT p_id, p_operation_type, p_worker_type, 'pending', p_params, p_metadata, p_progress, p_created_at
           WHERE (SELECT count(*) FROM operations) < p_max
           RETURNING *;
       END
       $$`,
    ],
  },
  {
    version: 4,
    name: 'operation count kept by triggers; submission that claims an idle worker in the same call (ktrdr_submit_and_claim)',
    statements: [
      // The number of operations, kept exact by statement-level triggers, so that a submission checks the limit
      // in O(1): count(*) over the default 10,000 kept operations took most of a submission's time (0.8 of 1 ms).
      // Submissions update the row under their advisory lock anyway; a retention or eviction DELETE updates it once
      // per statement.
      `CREATE TABLE operation_count (
         only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
         n        bigint NOT NULL
       )`,
      `INSERT INTO operation_count (n) SELECT count(*) FROM operations`,
      // A missing row (operation_count truncated, as emptying every table does) is counted again from the table:
      // truncating both in one statement leaves it 0, since AFTER TRUNCATE triggers run once both are empty.
      `CREATE FUNCTION ktrdr_count_operations() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           UPDATE operation_count SET n = n + (SELECT count(*) FROM changed);
         ELSIF TG_OP = 'DELETE' THEN
           UPDATE operation_count SET n = n - (SELECT count(*) FROM changed);
         ELSE
           UPDATE operation_count SET n = 0;
         END IF;
         IF NOT FOUND THEN
           INSERT INTO operation_count (n) SELECT count(*) FROM operations ON CONFLICT (only_row) DO NOTHING;
         END IF;
         RETURN NULL;
       END
       $$`,
      `CREATE TRIGGER operations_counted_insert AFTER INSERT ON operations
         REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ktrdr_count_operations()`,
      `CREATE TRIGGER operations_counted_delete AFTER DELETE ON operations
         REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ktrdr_count_operations()`,
      `CREATE TRIGGER operations_counted_truncate AFTER TRUNCATE ON operations
         FOR EACH STATEMENT EXECUTE FUNCTION ktrdr_count_operations()`,
      // A submission that claims, in the same call, the longest idle dispatchable worker of its type (docs/
      // architecture.md §5.4): into an idle fleet one statement instead of three (submission, claim, and the wake-up
      // between them). Under the limit's lock (as ktrdr_submit_operation), it claims only when no operation of its
      // type is pending (those were first: FIFO, and the dispatcher's claim pairs them), taking the worker row FOR
      // UPDATE SKIP LOCKED, and inserts the operation already running there, the worker left busy and reserved with
      // a fresh epoch: the state a claim leaves. At the limit it inserts nothing; the caller then evicts. The
      // worker condition and order are those of the claim (DISPATCHABLE_WORKER, the index workers_dispatchable)
      // spelled out, since a migration's text never changes.
      `CREATE FUNCTION ktrdr_submit_and_claim(
         p_lock bigint, p_max bigint, p_id text, p_operation_type text, p_worker_type text,
         p_params jsonb, p_metadata jsonb, p_progress jsonb, p_created_at timestamptz, p_now timestamptz
       ) RETURNS TABLE (operation jsonb, worker jsonb, epoch bigint) LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         v_op operations;
         v_worker workers;
         v_worker_id text;
         v_epoch bigint;
       BEGIN
         PERFORM pg_advisory_xact_lock(p_lock);
         IF COALESCE((SELECT c.n FROM operation_count AS c), (SELECT count(*) FROM operations)) >= p_max THEN
           RETURN;
         END IF;
         IF NOT EXISTS (SELECT 1 FROM operations AS o WHERE o.status = 'pending' AND o.worker_type = p_worker_type) THEN
           SELECT w.worker_id INTO v_worker_id FROM workers AS w
             WHERE w.worker_type = p_worker_type AND w.status = 'available' AND w.current_operation_id IS NULL
               AND NOT w.reserved AND NOT w.draining
             ORDER BY w.last_dispatched_at NULLS FIRST, w.worker_id
             LIMIT 1 FOR UPDATE SKIP LOCKED;
         END IF;
         IF v_worker_id IS NULL THEN
           INSERT INTO operations (operation_id, operation_type, worker_type, status, params, metadata, progress, created_at)
             VALUES (p_id, p_operation_type, p_worker_type, 'pending', p_params, p_metadata, p_progress, p_created_at)
             RETURNING * INTO v_op;
           RETURN QUERY SELECT to_jsonb(v_op), NULL::jsonb, NULL::bigint;
           RETURN;
         END IF;
         v_epoch := nextval('worker_assignment_epoch');
         INSERT INTO operations (operation_id, operation_type, worker_type, status, params, metadata, progress, created_at, started_at, worker_id)
           VALUES (p_id, p_operation_type, p_worker_type, 'running', p_params, p_metadata, p_progress, p_created_at, p_now, v_worker_id)
           RETURNING * INTO v_op;
         UPDATE workers AS w SET status = 'busy', reserved = true, current_operation_id = p_id,
             assignment_epoch = v_epoch, last_dispatched_at = p_now
           WHERE w.worker_id = v_worker_id RETURNING * INTO v_worker;
         RETURN QUERY SELECT to_jsonb(v_op), to_jsonb(v_worker), v_epoch;
       END
       $$`,
    ],
  },
];

/** Any constant works; it only has to be the same for every process sharing the database. */
const MIGRATION_LOCK_KEY = 7_469_082_031;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, all in one
 * transaction. The transaction-scoped advisory lock makes a second process
 * starting at the same moment wait, then find nothing left to do.
 * Returns the versions it applied.
 */
export async function applyMigrations(
  client: SqlClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return client.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const newlyApplied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
