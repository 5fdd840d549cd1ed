/**
 * What a strategy asks for that this ktrdr does not do yet. Every such use is
 * listed by `strategy validate` ("not yet used by this ktrdr: model.type lstm");
 * those that would make training produce something else than the file means
 * (another network, other labels, other data) also refuse the training at
 * submission, so nothing is silently trained differently.
 *
 * Uses that only change what the original itself ignores (a learning-rate
 * schedule, gradient clipping, …) are listed but do not refuse: training without
 * them gives what the original gives.
 */
import { KtrdrError } from '../common/errors.js';
import { Timeframe } from '../market-data/types.js';
import type { Strategy } from './schema.js';

export interface NotYetUsed {
  /** Where in the file, e.g. `model.type`. */
  readonly path: string;
  /** What, e.g. `model.type lstm`. */
  readonly what: string;
  /** Training would compute something else than the file means: refused at submission. */
  readonly refusesTraining: boolean;
}

const SUPPORTED_ACTIVATIONS = ['relu', 'tanh'];
const SUPPORTED_OPTIMIZERS = ['adam', 'sgd'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether the file as written has a key at `path` (so defaults are not reported as uses). */
function written(data: unknown, path: readonly string[]): boolean {
  let node = data;
  for (const key of path) {
    if (!isRecord(node) || !(key in node)) return false;
    node = node[key];
  }
  return node !== undefined && node !== null;
}

/**
 * Every use of something this ktrdr does not do yet. `data` is the file as read
 * (before defaults), to list only what the file itself writes.
 */
export function notYetUsed(strategy: Strategy, data: unknown = {}): NotYetUsed[] {
  const found: NotYetUsed[] = [];
  const refuse = (path: string, what: string) => found.push({ path, what, refusesTraining: true });
  const note = (path: string, what: string) => found.push({ path, what, refusesTraining: false });
  const { training_data: trainingData, model, decisions, training } = strategy;

  for (const timeframe of trainingData.timeframes.list) {
    if (!Timeframe.safeParse(timeframe).success) refuse('training_data.timeframes', `timeframe ${timeframe} (data files exist for ${Timeframe.options.join(', ')})`);
  }
  if (model.type !== 'mlp') refuse('model.type', `model.type ${model.type}`);
  if (!SUPPORTED_ACTIVATIONS.includes(model.architecture.activation)) refuse('model.architecture.activation', `model.architecture.activation ${model.architecture.activation}`);
  if (model.architecture.output_activation !== null && model.architecture.output_activation.toLowerCase() !== 'softmax') {
    note('model.architecture.output_activation', `model.architecture.output_activation ${model.architecture.output_activation} (the output is a softmax)`);
  }

  if (decisions.output_format !== 'classification') refuse('decisions.output_format', `decisions.output_format ${decisions.output_format}`);
  for (const key of ['position_awareness', 'allow_short_from_flat'] as const) {
    if (written(data, ['decisions', key])) note(`decisions.${key}`, `decisions.${key}`);
  }
  if (written(data, ['decisions', 'filters', 'min_signal_separation'])) note('decisions.filters.min_signal_separation', 'decisions.filters.min_signal_separation');

  if (training.labels.source !== 'zigzag') refuse('training.labels.source', `training.labels.source ${training.labels.source}`);
  const loss = training.loss.toLowerCase();
  if (decisions.output_format === 'classification' && loss === 'focal') refuse('training.loss', 'training.loss focal');
  if (!SUPPORTED_OPTIMIZERS.includes(training.optimizer)) refuse('training.optimizer', `training.optimizer ${training.optimizer}`);
  if (training.early_stopping.enabled && training.early_stopping.monitor !== 'val_loss') {
    refuse('training.early_stopping.monitor', `training.early_stopping.monitor ${training.early_stopping.monitor}`);
  }
  for (const key of ['lr_scheduler', 'gradient_clip', 'weight_decay', 'momentum', 'focal_gamma', 'huber_delta'] as const) {
    if (written(data, ['training', key])) note(`training.${key}`, `training.${key}`);
  }
  return found;
}

/** What a training request overrides. */
export interface TrainingOverrides {
  /** The symbols trained on (one of a multi-symbol strategy's, or all of them). */
  readonly symbols?: readonly string[];
}

/** Refuses, naming every reason, a training that would not compute what the file means. */
export function assertTrainable(strategy: Strategy, _overrides: TrainingOverrides = {}): void {
  const reasons = notYetUsed(strategy).filter((use) => use.refusesTraining);
  if (reasons.length === 0) return;
  throw new KtrdrError(
    'VALIDATION_ERROR',
    `strategy '${strategy.name}' cannot be trained by this ktrdr yet: ${reasons.map((reason) => `${reason.what} (${reason.path})`).join('; ')}`,
    { not_yet_used: reasons.map(({ path, what }) => ({ path, what })) },
  );
}
