/** The strategy file's JSON Schema (input side), derived from the zod schema: for editors, the docs and field-name suggestions. */
import { z } from 'zod';
import { MEMBERSHIP_TYPES } from '../fuzzy/membership.js';
import { MembershipDefinition, StrategySchema } from './schema.js';

let cached: Record<string, unknown> | null = null;

/** The shorthand lists are rewritten by a zod preprocess, which JSON Schema cannot see: spell out both forms. */
const SHORTHAND = {
  type: 'array',
  items: { type: 'number' },
  minItems: 3,
  maxItems: 4,
  description: '[a, b, c] (triangular) or [a, b, c, d] (trapezoidal)',
};
const EXPLICIT = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: [...MEMBERSHIP_TYPES] },
    parameters: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 4 },
  },
  required: ['type', 'parameters'],
  additionalProperties: false,
  description: '{type, parameters}: triangular [a, b, c], trapezoidal [a, b, c, d], gaussian [mean, sigma]',
};

export function strategyJsonSchema(): Record<string, unknown> {
  cached ??= z.toJSONSchema(StrategySchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (context) => {
      // An unquoted YAML date reads as a Date: for an editor it is a date string.
      if (context.zodSchema instanceof z.ZodDate) Object.assign(context.jsonSchema, { type: 'string', format: 'date' });
      if (context.zodSchema !== MembershipDefinition) return;
      const { description } = context.jsonSchema as Record<string, unknown>;
      for (const key of Object.keys(context.jsonSchema)) delete (context.jsonSchema as Record<string, unknown>)[key];
      Object.assign(context.jsonSchema, { description, anyOf: [SHORTHAND, EXPLICIT] });
    },
  }) as Record<string, unknown>;
  return cached;
}
