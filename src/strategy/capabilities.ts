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

/**
 * Every use of something this ktrdr does not do yet. `_data` is the file as read
 * (before defaults), for uses that count only when the file itself writes them
 * (none today: every model, label, loss, scheduler and decision key is honoured).
 */
export function notYetUsed(strategy: Strategy, _data: unknown = {}): NotYetUsed[] {
  const found: NotYetUsed[] = [];
  const refuse = (path: string, what: string) => found.push({ path, what, refusesTraining: true });
  const { training_data: trainingData, training } = strategy;

  for (const timeframe of trainingData.timeframes.list) {
    if (!Timeframe.safeParse(timeframe).success) refuse('training_data.timeframes', `timeframe ${timeframe} (data files exist for ${Timeframe.options.join(', ')})`);
  }
  // Every model type, activation, output activation, loss, label source, scheduler, training and decision key,
  // every timeframe and symbol mode, raw input and context series is used (docs/models.md, docs/strategies.md).
  if (!SUPPORTED_OPTIMIZERS.includes(training.optimizer)) refuse('training.optimizer', `training.optimizer ${training.optimizer} (${SUPPORTED_OPTIMIZERS.join(', ')})`);
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
