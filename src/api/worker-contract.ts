/**
 * The part of the wire contract (docs/architecture.md §4) a worker validates with: the building blocks every body
 * uses (enums, ids, stored text, JSON objects, dates), the answers it reads from the backend (its registration
 * record, checkpoints, models, outcomes) and the bodies its own routes take and give (start, health, status,
 * errors). `src/api/contract.ts` re-exports all of it and builds the rest on it, so each schema is still defined
 * once; a worker imports this module only, and so builds these schemas alone before it registers instead of the
 * whole contract (docs/architecture.md §1.1). A schema the worker validates with before it registers belongs here;
 * one it needs only while it runs an operation (bars, models) is loaded with the contract when it is used.
 */
import { z } from 'zod';

export const WorkerType = z.enum(['training', 'backtesting']);
export type WorkerType = z.infer<typeof WorkerType>;

export const WorkerStatus = z.enum(['available', 'busy', 'temporarily_unavailable']);
export type WorkerStatus = z.infer<typeof WorkerStatus>;

export const OperationStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** Operation kinds; each runs on one worker type. */
export const OperationType = z.enum(['dummy', 'training', 'backtesting']);
export type OperationType = z.infer<typeof OperationType>;

// PostgreSQL keeps no NUL character in text or jsonb (SQLSTATE 22021, 22P05), so input holding one is refused here,
// naming the field, instead of failing in the store.
export const NUL = '\u0000';
export const NO_NUL = 'must not contain the NUL character (\\u0000)';

/** A string the store can keep (ids, messages, names). */
export const StoredText = () => z.string().refine((value) => !value.includes(NUL), { message: NO_NUL });

/**
 * Longest id (worker, operation, model) in characters. Ids travel in URL paths (heartbeats, status, downloads),
 * and the servers' router admits path parameters of this length and more (MAX_PATH_PARAM_LENGTH), so that an id
 * accepted once is usable in every later request.
 */
export const MAX_ID_LENGTH = 200;

/** A worker or operation id. */
export const Id = () => StoredText().min(1).max(MAX_ID_LENGTH);

/** A container being walked by `pathOfNul`: where it sits in its parent, and the next entry to look at. */
interface WalkLevel {
  readonly container: Readonly<Record<string, unknown>> | readonly unknown[];
  /** Own keys of an object; null for an array. */
  readonly keys: readonly string[] | null;
  readonly key: string | number;
  next: number;
}

const isContainer = (value: unknown): value is Record<string, unknown> | unknown[] => value !== null && typeof value === 'object';

/**
 * The path (inside `value`) of the first string or key holding a NUL; null when there is none. One step per
 * entry and one record per container (no copy of the path per entry), and no recursion: input may nest deeply.
 */
export function pathOfNul(value: unknown): (string | number)[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? [] : null;
  if (!isContainer(value)) return null;
  const levels: WalkLevel[] = [];
  const enter = (container: Record<string, unknown> | unknown[], key: string | number) =>
    levels.push({ container, keys: Array.isArray(container) ? null : Object.keys(container), key, next: 0 });
  const pathTo = (key: string | number) => [...levels.slice(1).map((level) => level.key), key];
  enter(value, '');
  while (levels.length > 0) {
    const level = levels[levels.length - 1] as WalkLevel;
    const size = level.keys ? level.keys.length : (level.container as readonly unknown[]).length;
    if (level.next >= size) {
      levels.pop();
      continue;
    }
    const index = level.next++;
    const key = level.keys ? (level.keys[index] as string) : index;
    if (typeof key === 'string' && key.includes(NUL)) return pathTo(key);
    const child = (level.container as Record<string | number, unknown>)[key];
    if (typeof child === 'string') {
      if (child.includes(NUL)) return pathTo(key);
    } else if (isContainer(child)) {
      enter(child, key);
    }
  }
  return null;
}

/** Refinement for JSON values the store keeps (jsonb): no NUL in any string or key. */
export function refuseNul(value: unknown, context: z.RefinementCtx): void {
  const path = pathOfNul(value);
  if (path) context.addIssue({ code: 'custom', message: `strings and keys ${NO_NUL}`, path });
}

export const JsonObject = z.record(z.string(), z.unknown()).superRefine(refuseNul);
export type JsonObject = z.infer<typeof JsonObject>;

const MIN_YEAR = 1;
const MAX_YEAR = 9999;
/** A real ISO 8601 date-time whose UTC year stays in 1..9999 (what the store and toISOString() round-trip). */
export const IsoDate = z.iso
  .datetime({ offset: true })
  .refine(
    (value) => {
      const year = new Date(value).getUTCFullYear();
      return year >= MIN_YEAR && year <= MAX_YEAR;
    },
    { message: `the year (in UTC) must be between ${MIN_YEAR} and ${MAX_YEAR}` },
  )
  .describe('ISO 8601 date-time with Z or an offset, year 1 to 9999');

// ---------------------------------------------------------------- worker ↔ backend

export const WorkerRecord = z.object({
  worker_id: z.string(),
  worker_type: WorkerType,
  endpoint_url: z.string(),
  status: WorkerStatus,
  current_operation_id: z.string().nullable(),
  capabilities: JsonObject,
  last_health_check: IsoDate.nullable(),
  last_healthy_at: IsoDate.nullable(),
  health_check_failures: z.number().int(),
  metadata: JsonObject,
});
export type WorkerRecord = z.infer<typeof WorkerRecord>;

export const Progress = z.object({
  percentage: z.number().min(0).max(100),
  current_step: StoredText().nullable(),
  steps_completed: z.number().int().min(0),
  steps_total: z.number().int().min(0),
  items_processed: z.number().int().min(0),
  items_total: z.number().int().min(0).nullable(),
  /** Workload-specific figures (loss, equity, …). */
  context: JsonObject,
});
export type Progress = z.infer<typeof Progress>;

export const emptyProgress = (): Progress => ({
  percentage: 0,
  current_step: null,
  steps_completed: 0,
  steps_total: 0,
  items_processed: 0,
  items_total: null,
  context: {},
});

/** Backend → worker: run this operation (continuing from `checkpoint` when given). */
export const WorkerStartBody = z.object({
  operation_id: z.string().min(1).max(MAX_ID_LENGTH),
  operation_type: OperationType,
  params: JsonObject,
  checkpoint: z
    .object({
      checkpoint_id: z.string(),
      units: z.number().int().min(0),
      state: z.unknown(),
      created_at: IsoDate,
    })
    .nullable()
    .default(null),
});
export type WorkerStartBody = z.infer<typeof WorkerStartBody>;

export const WorkerHealth = z.object({
  healthy: z.boolean(),
  worker_id: z.string(),
  worker_type: WorkerType,
  worker_status: z.enum(['idle', 'busy']),
  current_operation: z.string().nullable(),
});
export type WorkerHealth = z.infer<typeof WorkerHealth>;

/** Worker → backend, on request: where an operation it runs (or ran) stands. */
export const WorkerOperationStatus = z.object({
  operation_id: z.string(),
  status: OperationStatus,
  progress: Progress,
});
export type WorkerOperationStatus = z.infer<typeof WorkerOperationStatus>;

export const CheckpointCreated = z.object({ success: z.literal(true), checkpoint_id: z.string() });

/** Backend → worker, answering an outcome: `next` is the worker's next operation when it asked (take_next). */
export const OutcomeAnswer = z.object({
  success: z.literal(true),
  next: WorkerStartBody.optional(),
});
export type OutcomeAnswer = z.infer<typeof OutcomeAnswer>;

// ---------------------------------------------------------------- errors

export const ErrorBody = z.object({
  success: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------- models (issue 4)

/** The backend's answer to a model a worker uploads. */
export const ModelCreated = z.object({ success: z.literal(true), model_id: z.string() });
