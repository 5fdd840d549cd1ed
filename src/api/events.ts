/**
 * The server-sent events of GET /api/v1/events (docs/architecture.md §4.1): what changed in operations and workers.
 * One schema gives the type the backend sends and the page reads. Each SSE message carries the event `type` as its
 * SSE event name and this object, JSON, as its data.
 */
import { z } from 'zod';
import { OperationRecord, WorkerRecord } from './contract.js';

export const DashboardEvent = z.discriminatedUnion('type', [
  /** A new operation appeared (submitted by anyone). */
  z.object({ type: z.literal('operation.created'), operation: OperationRecord }),
  /** Its status changed (pending → running → completed / failed / cancelled, or back to pending). */
  z.object({ type: z.literal('operation.status'), operation: OperationRecord, previous_status: z.string() }),
  /** Its progress snapshot changed while the status did not. */
  z.object({ type: z.literal('operation.progress'), operation: OperationRecord }),
  z.object({ type: z.literal('worker.registered'), worker: WorkerRecord }),
  /** Status, current operation, health failures or the last health check changed. */
  z.object({ type: z.literal('worker.updated'), worker: WorkerRecord }),
  z.object({ type: z.literal('worker.removed'), worker_id: z.string() }),
  /** Sent when nothing else was for a while, so a client can tell a quiet stream from a dead one. */
  z.object({ type: z.literal('heartbeat'), at: z.string() }),
  /** The backend is stopping: the stream ends after this; reconnect later. */
  z.object({ type: z.literal('shutdown'), at: z.string() }),
]);
export type DashboardEvent = z.infer<typeof DashboardEvent>;
export type DashboardEventType = DashboardEvent['type'];
