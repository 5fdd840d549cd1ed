/**
 * Load-time rules of the model and training sections that need several keys
 * at once (Appendix C 10: refuse at load what would fail or mislead at run
 * time), each issue by its path: a recurrent key on an MLP or an MLP key on a
 * recurrent model, an output activation that contradicts the output format, a
 * learning-rate scheduler that is not a mapping, of an unknown type, or with a
 * bad parameter. Also turns `lr_scheduler` into the trainer's configuration.
 *
 * Reads the file as written (before defaults), defensively: any field may be
 * invalid, which other rules report.
 */
import { LrSchedulerConfigSchema, type LrSchedulerConfigInput } from '../nn/scheduler.js';

type Issue = { path: (string | number)[]; message: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const RECURRENT_KEYS = ['sequence_length', 'hidden_size', 'num_layers'] as const;
const MLP_KEYS = ['hidden_layers'] as const;
const SCHEDULER_TYPES = ['step', 'exponential', 'reduce_on_plateau'] as const;
const SCHEDULER_KEYS: Record<(typeof SCHEDULER_TYPES)[number], readonly string[]> = {
  step: ['step_size', 'gamma'],
  exponential: ['gamma'],
  reduce_on_plateau: ['factor', 'patience', 'threshold', 'cooldown', 'min_lr', 'mode'],
};

/** The output activations a classification (softmax) or a regression (one real value) output can have. */
export function outputActivationFor(value: string | null, regression: boolean): 'softmax' | 'linear' | 'tanh' | 'sigmoid' | null {
  if (value === null) return null;
  const name = value.toLowerCase();
  if (['linear', 'none', 'identity'].includes(name)) return regression ? 'linear' : null;
  if (name === 'softmax') return regression ? null : 'softmax';
  if (name === 'tanh' || name === 'sigmoid') return regression ? name : null;
  return null;
}

export function trainingRuleIssues(value: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const model = isRecord(value.model) ? value.model : {};
  const architecture = isRecord(model.architecture) ? model.architecture : {};
  const type = typeof model.type === 'string' ? model.type.toLowerCase() : 'mlp';
  if (type === 'mlp') {
    for (const key of RECURRENT_KEYS) {
      if (architecture[key] !== undefined) issues.push({ path: ['model', 'architecture', key], message: `a key of lstm/gru models, not of model.type mlp (remove it, or set model.type: lstm)` });
    }
  } else if (type === 'lstm' || type === 'gru') {
    for (const key of MLP_KEYS) {
      if (architecture[key] !== undefined) issues.push({ path: ['model', 'architecture', key], message: `a key of mlp models, not of model.type ${type} (lstm/gru read sequence_length, hidden_size, num_layers, dropout)` });
    }
  }
  const decisions = isRecord(value.decisions) ? value.decisions : {};
  const regression = decisions.output_format === 'regression';
  if (typeof architecture.output_activation === 'string' && outputActivationFor(architecture.output_activation, regression) === null) {
    issues.push({
      path: ['model', 'architecture', 'output_activation'],
      message: regression
        ? `'${architecture.output_activation}' does not give a real value: output_format regression takes linear, tanh or sigmoid`
        : `'${architecture.output_activation}' does not give class probabilities: output_format classification takes softmax`,
    });
  }
  const training = isRecord(value.training) ? value.training : {};
  if ('lr_scheduler' in training) issues.push(...schedulerIssues(training.lr_scheduler));
  return issues;
}

function schedulerIssues(value: unknown): Issue[] {
  const path = ['training', 'lr_scheduler'];
  if (value === false || value === null || value === undefined) return [];
  if (!isRecord(value)) return [{ path, message: `must be a mapping {type: ${SCHEDULER_TYPES.join(' | ')}, …} (got ${JSON.stringify(value)})` }];
  const type = value.type ?? 'step';
  if (typeof type !== 'string' || !(SCHEDULER_TYPES as readonly string[]).includes(type)) {
    return [{ path: [...path, 'type'], message: `must be one of ${SCHEDULER_TYPES.join(', ')} (got ${JSON.stringify(type)})` }];
  }
  const allowed = SCHEDULER_KEYS[type as (typeof SCHEDULER_TYPES)[number]];
  const issues: Issue[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'type' && !allowed.includes(key)) issues.push({ path: [...path, key], message: `not a parameter of the ${type} scheduler (it takes ${allowed.join(', ')})` });
  }
  if (type === 'reduce_on_plateau' && value.mode !== undefined && value.mode !== 'min') {
    issues.push({ path: [...path, 'mode'], message: `only 'min' is supported (the scheduler watches the validation loss), got ${JSON.stringify(value.mode)}` });
  }
  if (issues.length > 0) return issues;
  const parsed = LrSchedulerConfigSchema.safeParse(schedulerInput(value));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ path: [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
  }
  return issues;
}

function schedulerInput(value: Record<string, unknown>): LrSchedulerConfigInput {
  const { mode: _mode, ...rest } = value;
  return { ...rest, type: value.type ?? 'step' } as LrSchedulerConfigInput;
}

/** The trainer's scheduler for a checked `training.lr_scheduler` (null: none). */
export function schedulerConfig(value: unknown): LrSchedulerConfigInput | null {
  if (!isRecord(value)) return null;
  return schedulerInput(value);
}
