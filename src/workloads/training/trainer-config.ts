/**
 * A strategy's model and training sections → the trainer's configuration,
 * with the original's defaults where the file is silent (STRATEGY-V3 §7):
 * Adam with L2 weight decay 1e-4 (classification) or 0 (regression),
 * gradients clipped at norm 1.0, class weights from the training labels'
 * frequencies for every classification loss, focal for `loss: focal` and
 * cross-entropy for any other classification loss, huber for `loss: huber`
 * and mse for any other regression loss. The keys the original drops
 * (optimizer, early_stopping, lr_scheduler, gradient_clip, weight_decay,
 * momentum, output_activation) are honoured when written (our rule 3).
 */
import type { TrainerConfigInput } from '../../nn/trainer.js';
import type { Strategy } from '../../strategy/schema.js';
import { outputActivationFor, schedulerConfig } from '../../strategy/training-rules.js';

export function trainerConfig(strategy: Strategy, classes: number, seed: number): TrainerConfigInput {
  const { architecture, type } = strategy.model;
  const { training } = strategy;
  const regression = strategy.decisions.output_format === 'regression';
  const loss = training.loss.toLowerCase();
  const outputActivation = outputActivationFor(architecture.output_activation, regression);
  const output = outputActivation === null ? {} : { output_activation: outputActivation };
  return {
    architecture:
      type === 'mlp'
        ? { type: 'mlp', hidden_layers: architecture.hidden_layers, activation: architecture.activation, dropout: architecture.dropout, ...output }
        : {
            type,
            hidden_size: architecture.hidden_size,
            num_layers: architecture.num_layers,
            // Required at load for lstm/gru.
            sequence_length: architecture.sequence_length as number,
            dropout: architecture.dropout,
            ...output,
          },
    classes: Math.max(2, classes),
    epochs: training.epochs,
    batch_size: training.batch_size,
    learning_rate: training.learning_rate,
    // capabilities refuses the optimizers the trainer does not have.
    optimizer: training.optimizer as 'adam' | 'adamw' | 'sgd' | 'rmsprop',
    ...(training.momentum === null ? {} : { momentum: training.momentum }),
    // The original's L2 decay: 1e-4 in classification, 0 in regression; AdamW keeps its own default (0.01).
    ...(training.weight_decay !== null
      ? { weight_decay: training.weight_decay }
      : training.optimizer === 'adamw'
        ? {}
        : { weight_decay: regression ? 0 : 1e-4 }),
    loss: regression
      ? loss === 'huber'
        ? { type: 'huber', huber_delta: training.huber_delta }
        : { type: 'mse' }
      : loss === 'focal'
        ? { type: 'focal', focal_gamma: training.focal_gamma }
        : { type: 'cross_entropy' },
    class_weights: regression ? 'none' : (training.class_weights ?? 'balanced'),
    gradient_clip: training.gradient_clip ?? 1,
    lr_scheduler: schedulerConfig(training.lr_scheduler),
    early_stopping: {
      enabled: training.early_stopping.enabled,
      patience: training.early_stopping.patience,
      min_delta: training.early_stopping.min_delta,
      monitor: training.early_stopping.monitor,
    },
    seed,
  };
}
