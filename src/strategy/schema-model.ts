/**
 * The model half of a strategy file: `model`, `decisions` and `training`, typed
 * with the earlier ktrdr's defaults. Everything the original accepts loads; what
 * this ktrdr does not train yet (LSTM, regression, other label sources, losses,
 * schedulers, …) is typed here too, listed by `strategy validate` as "not yet used"
 * and refused when a training is submitted (see capabilities.ts).
 *
 * Precedence as in the original: the training hyper-parameters are read from the
 * top-level `training` block. `model.training`, which the original drops, is
 * honoured for keys the top level does not give.
 */
import { z } from 'zod';
import { IGNORED } from './schema-data.js';

const ignored = (what: string) => z.unknown().optional().describe(`${IGNORED} ${what}`);

/** Case-insensitive enumerations, as the original lower-cases these names. */
const lowerEnum = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z
    .string()
    .transform((value, ctx) => {
      const lower = value.toLowerCase();
      if ((values as readonly string[]).includes(lower)) return lower as T[number];
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (got '${value}')` });
      return z.NEVER;
    })
    .meta({ description, enum: [...values] });

// ---------------------------------------------------------------------------
// model

export const MODEL_TYPES = ['mlp', 'lstm', 'gru'] as const;
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leaky_relu'] as const;

const Architecture = z
  .looseObject({
    hidden_layers: z.array(z.int().min(1).max(4096)).min(1).max(16).optional().describe('mlp: units of each hidden layer, e.g. [32, 16] (required for mlp).'),
    activation: z
      .string()
      .default('relu')
      .describe(`mlp: ${ACTIVATIONS.join(', ')} (case-insensitive); the original turns any other name into relu, so does ktrdr, with a warning.`),
    dropout: z.number().min(0).lt(1).default(0.2).describe('The fraction of hidden units dropped during training.'),
    output_activation: z.string().optional().describe('Accepted; the network outputs logits and a softmax turns them into probabilities at decision time.'),
    sequence_length: z.int().min(1).max(10_000).optional().describe('lstm/gru: the window of bars one decision reads (required for lstm/gru).'),
    hidden_size: z.int().min(1).max(4096).optional().meta({ description: 'lstm/gru: units of each recurrent layer.', default: 64 }),
    num_layers: z.int().min(1).max(16).optional().meta({ description: 'lstm/gru: stacked recurrent layers.', default: 2 }),
    bidirectional: ignored('lstm/gru: not supported by the original.'),
  })
  .describe('The network.');

const ModelFeatures = z
  .looseObject({
    lookback_periods: z.int().min(0).max(500).default(0).describe('Lags of each feature column fed to the model: the row at bar t holds t, t-1, …, t-lookback_periods.'),
    include_price_context: z.boolean().optional().describe('Add `<base>_price_return` and `<base>_price_range` columns (base timeframe).'),
    scale_features: z.boolean().optional().describe('Z-score every column without its own `normalization` (fitted on the training split, stored with the model).'),
  })
  .describe('How features are assembled.');

const EarlyStopping = z
  .union([
    z.boolean(),
    z.looseObject({
      enabled: z.boolean().optional().describe('false turns it off (default: on when the mapping is not empty).'),
      patience: z.int().min(1).max(100_000).optional().meta({ description: 'Epochs without improvement before stopping.', default: 10 }),
      min_delta: z.number().min(0).optional().meta({ description: 'The smallest improvement that counts.', default: 0.001 }),
      monitor: z.enum(['val_loss', 'val_accuracy']).optional().meta({ description: 'What improves: the validation loss or accuracy.', default: 'val_loss' }),
    }),
  ])
  .describe('Early stopping (absent or an empty mapping: off; `true`: on with the defaults).');

const hyperparameterShape = {
  epochs: z.int().min(1).max(100_000).optional().meta({ description: 'The most epochs to train for.', default: 100 }),
  batch_size: z.int().min(1).max(1_000_000).optional().meta({ description: 'Samples per mini-batch.', default: 32 }),
  learning_rate: z.number().positive().max(10).optional().meta({ description: 'The optimizer step size.', default: 0.001 }),
  optimizer: z.string().optional().meta({ description: 'adam or sgd (case-insensitive).', default: 'adam' }),
  early_stopping: EarlyStopping.optional(),
};
export const HYPERPARAMETER_KEYS = Object.keys(hyperparameterShape) as (keyof typeof hyperparameterShape)[];

export const Model = z
  .looseObject({
    type: lowerEnum(MODEL_TYPES, `${MODEL_TYPES.join(', ')} (case-insensitive).`).default('mlp'),
    architecture: Architecture.default({ activation: 'relu', dropout: 0.2 }),
    features: ModelFeatures.default({ lookback_periods: 0 }),
    training: z
      .looseObject(hyperparameterShape)
      .optional()
      .describe('Training hyper-parameters; the top-level `training` block wins for every key it gives (the original reads only that one).'),
  })
  .superRefine((model, ctx) => {
    if (model.type === 'mlp' && model.architecture.hidden_layers === undefined) {
      ctx.addIssue({ code: 'custom', path: ['architecture', 'hidden_layers'], message: 'required for an mlp (e.g. [32, 16])' });
    }
    if ((model.type === 'lstm' || model.type === 'gru') && model.architecture.sequence_length === undefined) {
      ctx.addIssue({ code: 'custom', path: ['architecture', 'sequence_length'], message: `required for ${model.type} (the window of bars, e.g. 20)` });
    }
  })
  .describe('The network.');

// ---------------------------------------------------------------------------
// decisions

const CostModel = z
  .looseObject({
    round_trip_cost: z.number().positive().optional().meta({ description: 'regression: the cost of a round trip (a fraction); required in regression.', default: 0.003 }),
    min_edge_multiplier: z.number().positive().optional().meta({ description: 'regression: a predicted return must exceed round_trip_cost × this; required in regression.', default: 1.5 }),
  })
  .describe('regression: when a predicted return is worth a trade.');

export const Decisions = z
  .looseObject({
    output_format: z.enum(['classification', 'regression']).default('classification').describe('classification (BUY / HOLD / SELL) or regression (a forward return).'),
    confidence_threshold: z.number().min(0).max(1).default(0.5).describe('classification: a BUY or SELL is acted on only when its probability is at least this.'),
    position_awareness: z.boolean().default(true).describe('No BUY while long, no SELL while short (and no short from flat in classification).'),
    allow_short_from_flat: z.boolean().default(false).describe('classification: a SELL may open a short.'),
    filters: z
      .looseObject({
        min_signal_separation: z.number().min(0).default(4).describe('Hours between two trades.'),
        volume_filter: ignored('Not used by the original\'s backtests.'),
      })
      .optional()
      .describe('Signal filters.'),
    cost_model: CostModel.optional(),
    num_classes: ignored('The output width follows from the labels.'),
  })
  .describe("How the model's output becomes a decision.");

// ---------------------------------------------------------------------------
// training

export const LABEL_SOURCES = ['zigzag', 'forward_return', 'triple_barrier', 'context', 'regime'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** Every key of every label source; which ones a source reads is in LABEL_KEYS. */
const Labels = z
  .looseObject({
    source: z.enum(LABEL_SOURCES).default('zigzag').describe(`${LABEL_SOURCES.join(', ')}.`),
    zigzag_threshold: z.number().gt(0).lt(1).optional().meta({ description: 'zigzag: the move (a fraction: 0.02 = 2%) that makes a swing.', default: 0.02 }),
    label_lookahead: z.int().min(1).max(10_000).optional().describe('zigzag: how many future bars a move may take (absent: the original\'s segment labels, from pivot to pivot).'),
    horizon: z.int().min(1).max(100_000).optional().meta({ description: 'forward_return (default 20), context (default 5): bars ahead.' }),
    pt_multiplier: z.number().positive().optional().meta({ description: 'triple_barrier: the upper barrier in volatilities.', default: 2 }),
    sl_multiplier: z.number().positive().optional().meta({ description: 'triple_barrier: the lower barrier in volatilities.', default: 1.5 }),
    max_holding_period: z.int().min(1).optional().meta({ description: 'triple_barrier: bars before the vertical barrier.', default: 50 }),
    profit_target_atr: z.number().positive().optional().describe('triple_barrier: another spelling of pt_multiplier.'),
    stop_loss_atr: z.number().positive().optional().describe('triple_barrier: another spelling of sl_multiplier.'),
    max_holding_bars: z.int().min(1).optional().describe('triple_barrier: another spelling of max_holding_period.'),
    vol_span: z.int().min(1).optional().meta({ description: 'triple_barrier: the volatility span.', default: 50 }),
    vol_method: z.string().optional().meta({ description: 'triple_barrier: atr, or anything else for the std of log returns.', default: 'atr' }),
    compute_weights: z.boolean().optional().meta({ description: 'triple_barrier: uniqueness-weighted sampling.', default: false }),
    cusum_threshold: z.number().optional().describe('triple_barrier: CUSUM event filter threshold.'),
    cusum_multiplier: z.number().optional().meta({ description: 'triple_barrier: CUSUM multiplier.', default: 0.5 }),
    bullish_threshold: z.number().optional().meta({ description: 'context, classified forward_return: the return above which a bar is bullish (BUY).', default: 0.005 }),
    bearish_threshold: z.number().optional().meta({ description: 'context, classified forward_return: the return below which a bar is bearish (SELL).', default: -0.005 }),
    vol_crisis_threshold: z.number().optional().meta({ description: 'regime: forward/historical volatility ratio that is VOLATILE.', default: 2 }),
    vol_lookback: z.int().min(1).optional().meta({ description: 'regime: bars of historical volatility.', default: 120 }),
    trending_threshold: z.number().optional().describe('regime: not read by the original.'),
    macro_atr_mult: z.number().optional().meta({ description: 'regime: honoured by ktrdr (the original always uses its default).', default: 3.0 }),
    micro_atr_mult: z.number().optional().meta({ description: 'regime: honoured by ktrdr (the original always uses its default).', default: 1.0 }),
    atr_period: z.int().min(1).optional().meta({ description: 'regime: honoured by ktrdr (the original always uses its default).', default: 14 }),
    progression_tolerance: z.number().optional().meta({ description: 'regime: honoured by ktrdr (the original always uses its default).', default: 0.5 }),
  })
  .describe('How bars are labelled (absent: zigzag with its defaults).');

/** The keys each label source reads; any other key given is listed as ignored. */
export const LABEL_KEYS: Readonly<Record<LabelSource, readonly string[]>> = {
  zigzag: ['zigzag_threshold', 'label_lookahead'],
  forward_return: ['horizon', 'bullish_threshold', 'bearish_threshold'],
  triple_barrier: [
    'pt_multiplier', 'sl_multiplier', 'max_holding_period', 'profit_target_atr', 'stop_loss_atr', 'max_holding_bars',
    'vol_span', 'vol_method', 'compute_weights', 'cusum_threshold', 'cusum_multiplier',
  ],
  context: ['horizon', 'bullish_threshold', 'bearish_threshold'],
  regime: ['vol_crisis_threshold', 'vol_lookback', 'macro_atr_mult', 'micro_atr_mult', 'atr_period', 'progression_tolerance'],
};

const LABEL_ALIASES = [
  ['profit_target_atr', 'pt_multiplier'],
  ['stop_loss_atr', 'sl_multiplier'],
  ['max_holding_bars', 'max_holding_period'],
] as const;

type LabelsInput = z.output<typeof Labels>;

/** The labels with the source's defaults applied, as the next stages read them. */
export function normaliseLabels(labels: LabelsInput) {
  switch (labels.source) {
    case 'zigzag':
      // label_lookahead: the original forwards it but never reads it (segment labels); absent keeps that, written bounds the horizon.
      return { source: 'zigzag' as const, zigzag_threshold: labels.zigzag_threshold ?? 0.02, label_lookahead: labels.label_lookahead ?? null };
    case 'forward_return':
      return {
        source: 'forward_return' as const,
        horizon: labels.horizon ?? 20,
        // Classification only (BUY above, SELL below, HOLD between).
        bullish_threshold: labels.bullish_threshold ?? 0.005,
        bearish_threshold: labels.bearish_threshold ?? -0.005,
      };
    case 'triple_barrier':
      return {
        source: 'triple_barrier' as const,
        pt_multiplier: labels.pt_multiplier ?? labels.profit_target_atr ?? 2,
        sl_multiplier: labels.sl_multiplier ?? labels.stop_loss_atr ?? 1.5,
        max_holding_period: labels.max_holding_period ?? labels.max_holding_bars ?? 50,
        vol_span: labels.vol_span ?? 50,
        vol_method: labels.vol_method ?? 'atr',
        compute_weights: labels.compute_weights ?? false,
        cusum_threshold: labels.cusum_threshold ?? null,
        cusum_multiplier: labels.cusum_multiplier ?? 0.5,
      };
    case 'context':
      return {
        source: 'context' as const,
        horizon: labels.horizon ?? 5,
        bullish_threshold: labels.bullish_threshold ?? 0.005,
        bearish_threshold: labels.bearish_threshold ?? -0.005,
      };
    case 'regime':
      // The original does not forward the last four keys (its defaults always apply); written, they are honoured (our rule 3).
      return {
        source: 'regime' as const,
        vol_crisis_threshold: labels.vol_crisis_threshold ?? 2,
        vol_lookback: labels.vol_lookback ?? 120,
        macro_atr_mult: labels.macro_atr_mult ?? 3,
        micro_atr_mult: labels.micro_atr_mult ?? 1,
        atr_period: labels.atr_period ?? 14,
        progression_tolerance: labels.progression_tolerance ?? 0.5,
      };
  }
}
export type LabelsSpec = ReturnType<typeof normaliseLabels>;

const DataSplit = z
  .looseObject({
    train: z.number().gt(0).lt(1).default(0.7).describe('The first, oldest part: fitted on.'),
    validation: z.number().min(0).lt(1).default(0.15).describe('The middle part: early stopping and progress.'),
    test: z.number().min(0).lt(1).optional().describe('The last, newest part (default: the rest).'),
  })
  .superRefine((split, ctx) => {
    if (split.train + split.validation >= 1) {
      ctx.addIssue({ code: 'custom', path: ['validation'], message: `train + validation must leave a test part (got ${split.train} + ${split.validation})` });
    }
  })
  .transform((split) => ({ train: split.train, validation: split.validation, test: 1 - (split.train + split.validation), test_given: split.test ?? null }))
  .describe('The chronological split of the labelled bars; the test part is what remains after train and validation.');

export const Training = z
  .looseObject({
    ...hyperparameterShape,
    labels: Labels.optional(),
    data_split: DataSplit.default({ train: 0.7, validation: 0.15, test: 0.15, test_given: null }),
    loss: z.string().optional().describe('classification: cross_entropy (default) or focal; regression: huber (default) or mse.'),
    focal_gamma: z.number().min(0).default(2).describe('focal: the focusing exponent.'),
    huber_delta: z.number().positive().default(0.01).describe('huber: where the loss turns linear.'),
    lr_scheduler: z.union([z.boolean(), z.looseObject({})]).optional().describe('A learning-rate schedule: {type: step | exponential | reduce_on_plateau, …}.'),
    gradient_clip: z.number().min(0).optional().describe('The largest gradient norm (0: none).'),
    weight_decay: z.number().min(0).optional().describe('L2 weight decay (decoupled for adamw); absent: 1e-4 in classification, 0 in regression, as the original (0.01 for adamw).'),
    momentum: z.number().min(0).lt(1).optional().describe('sgd, rmsprop: momentum.'),
    class_weights: z
      .union([z.enum(['balanced', 'none']), z.array(z.number().min(0)).min(2)])
      .optional()
      .meta({ description: 'classification: per-class loss weights: balanced (inverse class frequencies of the training labels, as the original), none, or one weight per class.', default: 'balanced' }),
    validation_split: ignored('The original ignores it; use data_split.'),
    method: ignored('Informative.'),
  })
  .superRefine((training, ctx) => {
    const labels = training.labels;
    if (!labels) return;
    for (const [alias, name] of LABEL_ALIASES) {
      if (labels[alias] !== undefined && labels[name] !== undefined && labels[alias] !== labels[name]) {
        ctx.addIssue({ code: 'custom', path: ['labels', alias], message: `conflicts with ${name} (${labels[alias]} here, ${labels[name]} there); give it once` });
      }
    }
  })
  .describe('Labels, the data split and the training hyper-parameters.');

// ---------------------------------------------------------------------------
// the effective hyper-parameters

type Hyper = Partial<Record<(typeof HYPERPARAMETER_KEYS)[number], unknown>>;

export interface EarlyStoppingSpec {
  readonly enabled: boolean;
  readonly patience: number;
  readonly min_delta: number;
  readonly monitor: 'val_loss' | 'val_accuracy';
}

const EARLY_STOPPING_OFF: EarlyStoppingSpec = { enabled: false, patience: 10, min_delta: 0.001, monitor: 'val_loss' };

function earlyStopping(value: z.output<typeof EarlyStopping> | undefined): EarlyStoppingSpec {
  if (value === undefined || value === false) return EARLY_STOPPING_OFF;
  if (value === true) return { ...EARLY_STOPPING_OFF, enabled: true };
  // As in the original, an empty mapping turns it off.
  return {
    enabled: value.enabled ?? Object.keys(value).length > 0,
    patience: value.patience ?? EARLY_STOPPING_OFF.patience,
    min_delta: value.min_delta ?? EARLY_STOPPING_OFF.min_delta,
    monitor: value.monitor ?? EARLY_STOPPING_OFF.monitor,
  };
}

/** Top level first (the original's only source), then model.training, then the original's defaults. */
export function effectiveHyperparameters(top: Hyper, inModel: Hyper | undefined) {
  const pick = <T>(key: (typeof HYPERPARAMETER_KEYS)[number], fallback: T): T => (top[key] ?? inModel?.[key] ?? fallback) as T;
  return {
    epochs: pick('epochs', 100),
    batch_size: pick('batch_size', 32),
    learning_rate: pick('learning_rate', 0.001),
    optimizer: pick<string>('optimizer', 'adam').toLowerCase(),
    early_stopping: earlyStopping(pick<z.output<typeof EarlyStopping> | undefined>('early_stopping', undefined)),
  };
}
