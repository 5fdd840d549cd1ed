/**
 * How a training operation reads: its progress line (loss, validation loss and
 * accuracy of the last epoch) and, once it completed, its test metrics.
 *
 * The figures come from the operation record, which is loosely typed on the wire
 * (`context` and `result_summary` are any JSON objects); they are parsed leniently,
 * and whatever does not have the expected shape falls back to the generic view.
 */
import { z } from 'zod';
import type { OperationRecord } from '../../api/contract.js';
import { formatFraction } from './format.js';
import { renderOutcomeLine } from './operations.js';
import { contextFigures } from './progress.js';
import { renderFields, renderTable, type Column } from './table.js';

const Figure = z.number().nullish();

const TrainingContext = z.looseObject({
  epoch: Figure,
  epochs: Figure,
  loss: Figure,
  val_loss: Figure,
  val_accuracy: Figure,
  resumed_from_epoch: Figure,
});

const ClassFigures = z.record(z.string(), z.number());

export const TrainingResultSummary = z.looseObject({
  model_id: z.string(),
  test_accuracy: z.number(),
  test_loss: z.number(),
  precision: ClassFigures,
  recall: ClassFigures,
  epochs_trained: z.number().int().nullish(),
  best_epoch: z.number().int().nullish(),
  resumed_from_epoch: z.number().int().nullish(),
  warnings: z.array(z.string()).nullish(),
});
export type TrainingResultSummary = z.infer<typeof TrainingResultSummary>;

const loss = (value: number) => value.toFixed(4);

/** `loss=0.6931 val_loss=0.7012 val_accuracy=48.2%`, plus where a resumed run took over. */
export function trainingProgressFigures(op: OperationRecord): string {
  const parsed = TrainingContext.safeParse(op.progress.context);
  // A context of another shape (another worker version) is still worth showing, the generic way.
  if (!parsed.success) return contextFigures(op);
  const context = parsed.data;
  const parts: string[] = [];
  // Before the first epoch ends the step says nothing yet; the epoch count still tells how long it will be.
  if (!op.progress.current_step && typeof context.epoch === 'number' && typeof context.epochs === 'number') {
    parts.push(`epoch=${context.epoch}/${context.epochs}`);
  }
  if (typeof context.loss === 'number') parts.push(`loss=${loss(context.loss)}`);
  if (typeof context.val_loss === 'number') parts.push(`val_loss=${loss(context.val_loss)}`);
  if (typeof context.val_accuracy === 'number') parts.push(`val_accuracy=${formatFraction(context.val_accuracy)}`);
  if (typeof context.resumed_from_epoch === 'number') parts.push(`resumed from epoch ${context.resumed_from_epoch}`);
  return parts.join(' ');
}

/** Precision and recall per class (BUY, HOLD, SELL), in the order the model reports them. */
export function renderClassTable(precision: Record<string, number>, recall: Record<string, number>): string {
  const classes = [...new Set([...Object.keys(precision), ...Object.keys(recall)])];
  const figure = (figures: Record<string, number>, label: string) => {
    const value = figures[label];
    return value === undefined ? '-' : formatFraction(value);
  };
  const columns: Column<string>[] = [
    { header: 'class', value: (label) => label },
    { header: 'precision', value: (label) => figure(precision, label), align: 'right' },
    { header: 'recall', value: (label) => figure(recall, label), align: 'right' },
  ];
  return renderTable(columns, classes);
}

function epochsText(summary: TrainingResultSummary): string {
  const trained = summary.epochs_trained ?? null;
  const best = summary.best_epoch ?? null;
  if (trained === null) return best === null ? '-' : `best epoch ${best}`;
  return best === null ? `${trained} trained` : `${trained} trained, best epoch ${best}`;
}

/** The test metrics of a completed training as a table of figures and a table per class. */
export function renderTrainingMetrics(summary: TrainingResultSummary): string {
  const fields: [string, string][] = [
    ['model', summary.model_id],
    ['test accuracy', formatFraction(summary.test_accuracy)],
    ['test loss', loss(summary.test_loss)],
    ['epochs', epochsText(summary)],
    ['resumed from', summary.resumed_from_epoch === null || summary.resumed_from_epoch === undefined ? '-' : `epoch ${summary.resumed_from_epoch}`],
  ];
  return `${renderFields(fields)}\n\n${renderClassTable(summary.precision, summary.recall)}${renderModelWarnings(summary.warnings)}`;
}

/** The reasons a model may have learned nothing, one `warning:` line each (nothing when there are none). */
export function renderModelWarnings(warnings: readonly string[] | null | undefined): string {
  if (!warnings || warnings.length === 0) return '';
  return `\n\n${warnings.map((warning) => `warning: ${warning}`).join('\n')}`;
}

/**
 * What `ktrdr train --watch` prints once the operation ended: the outcome, then
 * (when it completed) the metrics, and how to backtest the model.
 */
export function renderTrainingConclusion(op: OperationRecord): string {
  const parsed = op.status === 'completed' ? TrainingResultSummary.safeParse(op.result_summary) : null;
  if (!parsed?.success) return renderOutcomeLine(op);
  const summary = parsed.data;
  return [
    `training ${op.operation_id} completed: model ${summary.model_id}`,
    '',
    renderTrainingMetrics(summary),
    '',
    `backtest it with: ktrdr backtest ${summary.model_id} --watch`,
  ].join('\n');
}

