/**
 * What a strategy asks for that this ktrdr does not do yet. Every such use is
 * listed by `strategy validate` ("not yet used by this ktrdr: context_data");
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

const SUPPORTED_OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'];

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
  const { training_data: trainingData, model, training } = strategy;

  if (trainingData.symbols.list.length > 1) refuse('training_data.symbols', `several symbols (${trainingData.symbols.list.join(', ')}) in one training`);
  if (trainingData.timeframes.list.length > 1) refuse('training_data.timeframes', `several timeframes (${trainingData.timeframes.list.join(', ')})`);
  for (const timeframe of trainingData.timeframes.list) {
    if (!Timeframe.safeParse(timeframe).success) refuse('training_data.timeframes', `timeframe ${timeframe} (data files exist for ${Timeframe.options.join(', ')})`);
  }
  if (strategy.context_data.length > 0) refuse('context_data', 'context_data');
  for (const [id, indicator] of Object.entries(strategy.indicators)) {
    if (indicator.data_source !== null) refuse(`indicators.${id}.data_source`, `indicators.${id}.data_source`);
  }
  strategy.nn_inputs.forEach((input, index) => {
    if (input.raw_indicator !== null) refuse(`nn_inputs[${index}].raw_indicator`, `raw_indicator inputs (${input.raw_indicator})`);
  });
  // Every model type, activation, output activation, loss, label source, scheduler and training key is trained (docs/models.md).
  if (model.features.include_price_context) note('model.features.include_price_context', 'model.features.include_price_context');
  if (model.features.scale_features) note('model.features.scale_features', 'model.features.scale_features');

  if (!SUPPORTED_OPTIMIZERS.includes(training.optimizer)) refuse('training.optimizer', `training.optimizer ${training.optimizer} (${SUPPORTED_OPTIMIZERS.join(', ')})`);
  return found;
}

/** What a training request overrides, which lifts the refusals that only concern the strategy's own defaults. */
export interface TrainingOverrides {
  /** The request names the symbols (one: a multi-symbol strategy may be trained on one of them). */
  readonly symbols?: readonly string[];
}

/** Refuses, naming every reason, a training that would not compute what the file means. */
export function assertTrainable(strategy: Strategy, overrides: TrainingOverrides = {}): void {
  const reasons = notYetUsed(strategy)
    .filter((use) => use.refusesTraining)
    .filter((use) => !(use.path === 'training_data.symbols' && overrides.symbols !== undefined && overrides.symbols.length === 1));
  if (overrides.symbols !== undefined && overrides.symbols.length > 1) {
    reasons.push({ path: 'symbols', what: `several symbols (${overrides.symbols.join(', ')}) in one training`, refusesTraining: true });
  }
  if (reasons.length === 0) return;
  throw new KtrdrError(
    'VALIDATION_ERROR',
    `strategy '${strategy.name}' cannot be trained by this ktrdr yet: ${reasons.map((reason) => `${reason.what} (${reason.path})`).join('; ')}`,
    { not_yet_used: reasons.map(({ path, what }) => ({ path, what })) },
  );
}
