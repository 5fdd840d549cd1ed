/**
 * The `training` operation: a strategy's features → labels of its
 * `training.labels` source → an MLP, LSTM or GRU, trained with per-epoch
 * progress and checkpoints (one unit = one epoch), resumable bit-identically,
 * ending in a model artifact with test metrics (and warnings when the model
 * learned nothing) that the backend stores.
 */
import type { ModelArtifact } from '../../api/contract.js';
import { KtrdrError } from '../../common/errors.js';
import { Trainer, TrainerError, TrainingAborted, TrainingDiverged, type EpochRecord, type EpochReport } from '../../nn/trainer.js';
import { featureSpec } from '../../strategy/features.js';
import { loadMarketInputs } from '../../strategy/market-inputs.js';
import { assertTrainable } from '../../strategy/capabilities.js';
import { parseStrategy } from '../../strategy/load.js';
import type { Strategy } from '../../strategy/schema.js';
import { throwIfAborted } from '../abort.js';
import type { Workload, WorkloadContext, WorkloadResult } from '../types.js';
import { prepareData, type Split, type SymbolData } from './dataset.js';
import { evaluateModel } from './evaluate.js';
import { servicesBarsSource, servicesContextSource } from '../market-inputs.js';
import { TrainingParams } from './params.js';
import { trainerConfig } from './trainer-config.js';

/** What a training checkpoint holds: the trainer's complete state. */
interface TrainingState {
  readonly trainer: unknown;
}

/** 6.3: what the outputs mean, from the label source and the output format. */
function outputType(strategy: Strategy) {
  if (strategy.decisions.output_format === 'regression') return 'regression' as const;
  if (strategy.training.labels.source === 'context') return 'context_classification' as const;
  if (strategy.training.labels.source === 'regime') return 'regime_classification' as const;
  return 'classification' as const;
}

/** A trainer error about the data or the configuration becomes a validation error naming the strategy key. */
function asValidationError(error: unknown, strategy: Strategy): unknown {
  if (!(error instanceof TrainerError) || error instanceof TrainingDiverged) return error;
  const sequence = strategy.model.architecture.sequence_length;
  if (/sequence_length/.test(error.message) && sequence !== null) {
    return new KtrdrError('VALIDATION_ERROR', `model.architecture.sequence_length ${sequence} is longer than the data allows: ${error.message}`);
  }
  return new KtrdrError('VALIDATION_ERROR', `strategy '${strategy.name}' cannot be trained: ${error.message}`);
}

const iso = (ms: number) => new Date(ms).toISOString();
const period = (split: Split) => ({ start: iso(split.start), end: iso(split.end), rows: split.data.rows });

async function runTraining(context: WorkloadContext<TrainingParams>): Promise<WorkloadResult> {
  const { params, services, signal } = context;
  const strategy = parseStrategy(params.strategy_yaml, params.strategy_name);
  const symbols = params.symbols ?? [params.symbol];
  assertTrainable(strategy, { symbols });
  const spec = featureSpec(strategy);
  if (spec.timeframes.length > 1 && params.timeframe !== spec.base_timeframe) {
    throw new KtrdrError('VALIDATION_ERROR', `timeframe '${params.timeframe}': strategy '${strategy.name}' reads ${spec.timeframes.join(', ')} with ${spec.base_timeframe} as its base`);
  }
  // The base timeframe is the request's for a single-timeframe strategy (it may be trained on other bars).
  const loadSpec = spec.timeframes.length === 1 ? { base_timeframe: params.timeframe, timeframes: [params.timeframe] } : spec;
  const source = servicesBarsSource(services);
  const loaded: SymbolData[] = [];
  for (const symbol of symbols) {
    context.progress({ current_step: `Loading ${symbol} ${loadSpec.timeframes.join(', ')} bars`, context: {} });
    // From the first bar: history_required bars before the range warm the indicators up and are not trained on.
    const market = await loadMarketInputs({
      spec: loadSpec,
      symbol,
      source,
      start: params.start_date,
      end: params.end_date,
      warmupBars: strategy.training_data.history_required,
      log: (message) => context.progress({ current_step: message }),
      context: { sources: spec.context, series: servicesContextSource(services) },
    });
    throwIfAborted(signal);
    loaded.push({ symbol, inputs: market.inputs, firstRow: market.firstRow });
    if (market.resampled.length > 0) context.progress({ context: { resampled_timeframes: market.resampled } });
  }
  context.progress({ current_step: 'Building features and labels', context: { warmup_bars: loaded[0]?.firstRow ?? 0, symbols } });
  const data = prepareData(strategy, loaded);
  context.progress({ context: { rows_dropped_nan: data.rowsDroppedNan, rows_purged: data.rowsPurged } });
  const datasets = { train: data.train.data, validation: data.validation.data };

  const resumed = context.resumeFrom?.state as TrainingState | undefined;
  let trainer: Trainer;
  try {
    trainer = resumed ? Trainer.restore(resumed.trainer, datasets) : new Trainer(trainerConfig(strategy, data.labels.classes.length, params.seed), datasets);
  } catch (error) {
    throw asValidationError(error, strategy);
  }
  const resumedFromEpoch = resumed ? trainer.epoch : null;
  const epochs = trainer.config.epochs;
  const report = (epoch: number, figures: Partial<EpochReport> = {}) =>
    context.progress({
      percentage: (epoch / epochs) * 100,
      current_step: `Epoch ${epoch}/${epochs}`,
      steps_completed: epoch,
      steps_total: epochs,
      items_processed: epoch * data.train.data.rows,
      items_total: epochs * data.train.data.rows,
      context: {
        epoch,
        epochs,
        loss: figures.loss ?? null,
        val_loss: figures.val_loss ?? null,
        val_accuracy: figures.val_accuracy ?? null,
        train_rows: data.train.data.rows,
        rows_dropped_nan: data.rowsDroppedNan,
        rows_purged: data.rowsPurged,
        resumed_from_epoch: resumedFromEpoch,
        // Every epoch so far (a resumed run's too), so the backend holds the whole curve for the dashboard.
        history: epochHistory(trainer.history),
      },
    });
  report(trainer.epoch);

  let outcome;
  try {
    outcome = await trainer.run({
      signal,
      onEpoch: async (epochReport) => {
        report(epochReport.epoch, epochReport);
        await context.unitDone(epochReport.epoch, (): TrainingState => ({ trainer: trainer.snapshot() }));
      },
    });
  } catch (error) {
    if (error instanceof TrainingAborted) throwIfAborted(signal);
    throw error;
  }

  context.progress({ current_step: 'Evaluating on the test set' });
  const { confusion_matrix: confusionMatrix, warnings, ...figures } = evaluateModel(outcome.model, data.test.data, data.labels.classes);
  // The trainer restores the best validation epoch's weights only when early stopping is on;
  // otherwise the saved weights are the last epoch's, and best_epoch must say so.
  const metrics = {
    ...figures,
    epochs_trained: outcome.epochs_completed,
    best_epoch: outcome.restored_best ? (outcome.best_epoch as number) : outcome.epochs_completed,
    warnings,
  };
  // Model ids become file names: keep only safe characters, and a bounded length.
  const safeName = strategy.name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  const modelId = `model_${safeName}_${params.symbol}_${params.timeframe}_${context.operationId.slice(-8)}`;
  const artifact: ModelArtifact = {
    model_id: modelId,
    created_at: new Date().toISOString(),
    operation_id: context.operationId,
    strategy_name: strategy.name,
    symbol: params.symbol,
    timeframe: params.timeframe,
    labels: [...data.labels.classes],
    output_type: outputType(strategy),
    model_type: strategy.model.type,
    confidence_threshold: strategy.decisions.confidence_threshold,
    periods: { train: period(data.train), validation: period(data.validation), test: period(data.test) },
    metrics,
    strategy_yaml: params.strategy_yaml,
    feature_spec: data.spec,
    network: outcome.model.toJSON(),
  };
  context.progress({ current_step: 'Saving the model' });
  await services.saveModel(artifact);
  report(outcome.epochs_completed, outcome.history[outcome.history.length - 1] ?? {});
  return {
    resultSummary: {
      model_id: modelId,
      ...metrics,
      best_val_epoch: outcome.best_epoch,
      stopped_early: outcome.stopped_early,
      rows_dropped_nan: data.rowsDroppedNan,
      rows_purged: data.rowsPurged,
      rows_per_symbol: data.perSymbol,
      resumed_from_epoch: resumedFromEpoch,
      confusion_matrix: confusionMatrix,
      history: epochHistory(outcome.history),
    },
  };
}

/** Per-epoch figures as JSON (the dashboard's training curves). */
function epochHistory(records: readonly EpochRecord[]) {
  return records.map(({ epoch, loss, accuracy, val_loss, val_accuracy, learning_rate }) => ({ epoch, loss, accuracy, val_loss, val_accuracy, learning_rate }));
}

export const trainingWorkload: Workload<TrainingParams> = {
  type: 'training',
  workerTypes: ['training'],
  paramsSchema: TrainingParams,
  run: runTraining,
};
