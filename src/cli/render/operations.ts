import type { OperationRecord } from '../../api/contract.js';
import type { CheckpointInfo, ListOperationsResult } from '../../client/backend-api.js';
import { formatAge, formatFigures, formatPercentage, formatTimestamp, formatValue, SERIES_KEYS } from './format.js';
import { renderTable, type Column } from './table.js';

export function renderOperationsTable(list: ListOperationsResult, now: number): string {
  const footer = `${list.data.length} shown, ${list.total_count} in total, ${list.active_count} active`;
  if (list.data.length === 0) return `no operations (${footer})`;
  const columns: Column<OperationRecord>[] = [
    { header: 'id', value: (op) => op.operation_id },
    { header: 'type', value: (op) => op.operation_type },
    { header: 'status', value: (op) => op.status },
    { header: 'progress', value: (op) => formatPercentage(op.progress.percentage), align: 'right' },
    { header: 'step', value: (op) => op.progress.current_step ?? '-' },
    { header: 'worker', value: (op) => op.worker_id ?? '-' },
    { header: 'created', value: (op) => formatAge(op.created_at, now) },
  ];
  return `${renderTable(columns, list.data)}\n${footer}`;
}

/** `key: value` lines for `ops show`. */
export function renderOperationDetails(op: OperationRecord): string {
  const progress = op.progress;
  const steps = progress.steps_total > 0 ? ` (${progress.steps_completed}/${progress.steps_total} steps)` : '';
  const lines: [string, string][] = [
    ['operation', op.operation_id],
    ['type', op.operation_type],
    ['status', op.status],
    ['progress', `${formatPercentage(progress.percentage)}${steps}`],
    ['current step', progress.current_step ?? '-'],
    ['worker', op.worker_id ?? '-'],
    ['created', formatTimestamp(op.created_at)],
    ['started', formatTimestamp(op.started_at)],
    ['completed', formatTimestamp(op.completed_at)],
  ];
  if (Object.keys(progress.context).length > 0) lines.push(['figures', formatFigures(progress.context)]);
  if (op.error_message) lines.push(['error', op.error_message]);
  const checkpointError = checkpointErrorOf(op);
  if (checkpointError) lines.push(['checkpoint warning', checkpointError]);
  lines.push(['result', renderResultSummary(op.result_summary)]);
  const width = Math.max(...lines.map(([key]) => key.length));
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n');
}

export function renderResultSummary(summary: Record<string, unknown> | null): string {
  if (!summary) return '-';
  const entries = Object.entries(summary).filter(([key]) => !SERIES_KEYS.has(key));
  if (entries.length === 0) return '{}';
  return entries.map(([key, value]) => `${key}=${formatValue(value)}`).join(' ');
}

/** The last line of `ops watch`: how it ended. */
export function renderOutcomeLine(op: OperationRecord): string {
  const head = `operation ${op.operation_id} ${op.status}`;
  if (op.status === 'completed') return `${head}: ${renderResultSummary(op.result_summary)}`;
  return op.error_message ? `${head}: ${op.error_message}` : head;
}

/** Why the operation's latest checkpoint was not stored (the backend's `checkpoint_error` metadata), if it says. */
function checkpointErrorOf(op: OperationRecord): string | null {
  const recorded = op.metadata.checkpoint_error;
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) return null;
  const { message, at } = recorded as { message?: unknown; at?: unknown };
  if (typeof message !== 'string') return null;
  return typeof at === 'string' ? `${message} (${formatTimestamp(at)})` : message;
}

/** `ops checkpoints ID`: one line per checkpoint, oldest first. */
export function renderCheckpointsTable(operationId: string, checkpoints: readonly CheckpointInfo[]): string {
  if (checkpoints.length === 0) return `operation ${operationId} holds no checkpoints`;
  const columns: Column<CheckpointInfo>[] = [
    { header: 'checkpoint', value: (c) => c.checkpoint_id },
    { header: 'units', value: (c) => String(c.units), align: 'right' },
    { header: 'reason', value: (c) => c.reason },
    { header: 'bytes', value: (c) => String(c.size_bytes), align: 'right' },
    { header: 'created', value: (c) => formatTimestamp(c.created_at) },
  ];
  return `${renderTable(columns, checkpoints)}\n${checkpoints.length} checkpoint(s); a resume continues from the newest that loads`;
}
