/** Trained models: the `models list` table and the `models show` detail view (never the weights). */
import type { ModelSummary } from '../../api/contract.js';
import { formatFraction, formatInstant } from './format.js';
import { renderFields, renderTable, type Column } from './table.js';
import { renderClassTable, renderModelWarnings } from './training.js';

type Period = ModelSummary['periods']['test'];

const periodText = (period: Period) => `${formatInstant(period.start)} to ${formatInstant(period.end)}`;
const periodWithRows = (period: Period) => `${periodText(period)} (${period.rows} rows)`;

export function renderModelsTable(models: readonly ModelSummary[]): string {
  if (models.length === 0) return 'no models yet (train one with: ktrdr train STRATEGY --watch)';
  const columns: Column<ModelSummary>[] = [
    { header: 'id', value: (model) => model.model_id },
    { header: 'strategy', value: (model) => model.strategy_name },
    { header: 'data', value: (model) => `${model.symbol} ${model.timeframe}` },
    { header: 'created', value: (model) => formatInstant(model.created_at) },
    { header: 'test accuracy', value: (model) => formatFraction(model.metrics.test_accuracy), align: 'right' },
    { header: 'test period', value: (model) => periodText(model.periods.test) },
  ];
  return renderTable(columns, models);
}

export function renderModelDetails(model: ModelSummary): string {
  const metrics = model.metrics;
  const fields: [string, string][] = [
    ['model', model.model_id],
    ['strategy', model.strategy_name],
    ['data', `${model.symbol} ${model.timeframe}`],
    ['created', formatInstant(model.created_at)],
    ['operation', model.operation_id ?? '-'],
    ['model type', model.model_type ?? 'mlp'],
    ['output', model.output_type ?? 'classification'],
    ['labels', model.labels.length === 0 ? '- (regression)' : model.labels.join(', ')],
    ['confidence threshold', String(model.confidence_threshold)],
    ['train period', periodWithRows(model.periods.train)],
    ['validation period', periodWithRows(model.periods.validation)],
    ['test period', periodWithRows(model.periods.test)],
    [model.output_type === 'regression' ? 'directional accuracy' : 'test accuracy', formatFraction(metrics.test_accuracy)],
    [model.output_type === 'regression' ? 'test huber loss' : 'test loss', metrics.test_loss.toFixed(4)],
    ...(metrics.mse === undefined ? [] : ([['test mse', metrics.mse.toPrecision(4)]] as [string, string][])),
    ...(metrics.mae === undefined ? [] : ([['test mae', metrics.mae.toPrecision(4)]] as [string, string][])),
    ['epochs', `${metrics.epochs_trained} trained, best epoch ${metrics.best_epoch}`],
  ];
  const classes = model.labels.length === 0 ? '' : `\n\n${renderClassTable(metrics.precision, metrics.recall)}`;
  return `${renderFields(fields)}${classes}${renderModelWarnings(metrics.warnings)}`;
}
