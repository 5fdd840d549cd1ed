/** Building and restoring any kind of network behind the `Model` interface. */
import { z } from 'zod';
import { Mlp, MlpJsonSchema } from './mlp.js';
import type { MlpArchitectureInput } from './mlp.js';
import type { Model } from './model.js';
import { RecurrentJsonSchema, RecurrentNet } from './recurrent.js';
import type { RecurrentArchitectureInput } from './recurrent.js';
import type { Rng } from './rng.js';

/** A stored network of any kind (told apart by `format`). */
export const ModelJsonSchema = z.union([MlpJsonSchema, RecurrentJsonSchema]);
export type ModelJson = z.infer<typeof ModelJsonSchema>;

export type ModelArchitectureInput = ({ type: 'mlp' } & MlpArchitectureInput) | ({ type: 'recurrent' } & RecurrentArchitectureInput);

/** A freshly initialised network, drawing its weights from `rng`. */
export function createModel(architecture: ModelArchitectureInput, rng: Rng): Model {
  if (architecture.type === 'mlp') {
    const { type: _type, ...mlp } = architecture;
    return Mlp.create(mlp, rng);
  }
  const { type: _type, ...recurrent } = architecture;
  return RecurrentNet.create(recurrent, rng);
}

/** The network a `toJSON()` of any kind describes; errors name the field. */
export function modelFromJSON(json: unknown): Model {
  const format = (json as { format?: unknown } | null)?.format;
  return format === RecurrentJsonSchema.shape.format.value ? RecurrentNet.fromJSON(json) : Mlp.fromJSON(json);
}
