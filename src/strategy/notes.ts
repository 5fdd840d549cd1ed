/**
 * What `strategy validate` says about a file that loads: warnings (a key
 * nobody knows, with the closest known name; an indicator nothing reads; …)
 * and notes (keys the original ignores, as ours does: "ignored: scope"; what
 * this ktrdr does not do yet: "not yet used by this ktrdr: model.type lstm").
 *
 * Unknown keys are found by walking the file beside the schema's JSON Schema,
 * so the list of known keys cannot drift from the schema. Blocks whose keys are
 * checked strictly (indicator parameters, membership functions) are skipped:
 * an unknown key there is already an error.
 */
import { closestName } from '../settings-engine/index.js';
import { notYetUsed } from './capabilities.js';
import { strategyJsonSchema } from './json-schema.js';
import { IGNORED } from './schema-data.js';
import { HYPERPARAMETER_KEYS, LABEL_KEYS, LABEL_SOURCES } from './schema-model.js';
import { resolveIndicatorReference, type Strategy } from './schema.js';

/** A remark about one place of the file; `path` is a list of keys and indexes (located to a line by the loader). */
export interface RawRemark {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Point at the key itself rather than its value. */
  readonly atKey?: boolean;
}

export interface Remarks {
  readonly warnings: RawRemark[];
  readonly notes: RawRemark[];
}

type JsonSchemaNode = {
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** Maps whose entries check their own keys strictly. */
const STRICT_ENTRIES = new Set(['indicators', 'fuzzy_sets']);

function alternatives(node: JsonSchemaNode): JsonSchemaNode[] {
  return [node, ...[...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].flatMap(alternatives)];
}

function walk(value: unknown, node: JsonSchemaNode, path: (string | number)[], remarks: Remarks): void {
  const nodes = alternatives(node);
  if (Array.isArray(value)) {
    const items = nodes.find((candidate) => candidate.items)?.items;
    if (items) value.forEach((item, index) => walk(item, items, [...path, index], remarks));
    return;
  }
  if (!isRecord(value)) return;
  if (path.length === 2 && typeof path[0] === 'string' && STRICT_ENTRIES.has(path[0])) return;
  const properties: Record<string, JsonSchemaNode> = Object.assign({}, ...nodes.map((candidate) => candidate.properties ?? {}));
  const entries = nodes.map((candidate) => candidate.additionalProperties).find((extra): extra is JsonSchemaNode => isRecord(extra) && Object.keys(extra).length > 0);
  const known = Object.keys(properties);
  for (const [key, child] of Object.entries(value)) {
    const property = properties[key];
    if (property) {
      if (property.description?.startsWith(IGNORED)) {
        remarks.notes.push({ path: [...path, key], message: `ignored: ${dotted([...path, key])}`, atKey: true });
      } else {
        walk(child, property, [...path, key], remarks);
      }
    } else if (entries) {
      walk(child, entries, [...path, key], remarks);
    } else if (known.length > 0) {
      const suggestion = closestName(key, known);
      const where = path.length === 0 ? 'at the top level' : `in ${dotted(path)}`;
      remarks.warnings.push({
        path: [...path, key],
        message: `unknown key '${key}' ${where} is not read${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
        atKey: true,
      });
    }
  }
}

function dotted(path: readonly (string | number)[]): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/** An unquoted YAML date reads as a Date: compare it as the ISO day it names. */
const dateText = (value: unknown): string => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value));

const get = (data: unknown, ...path: string[]): unknown => path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), data);

/** Warnings and notes for a file that loaded: `data` is the file as read, `strategy` what it means. */
export function strategyRemarks(data: unknown, strategy: Strategy): Remarks {
  const remarks: Remarks = { warnings: [], notes: [] };
  walk(data, strategyJsonSchema() as JsonSchemaNode, [], remarks);
  const { warnings, notes } = remarks;

  // Indicators nothing reads (W1) and fuzzy sets no input reads.
  const types = Object.fromEntries(Object.entries(strategy.indicators).map(([id, indicator]) => [id, indicator.type]));
  const read = new Set<string>();
  const usedSets = new Set(strategy.nn_inputs.map((input) => input.fuzzy_set).filter((name): name is string => name !== null));
  for (const set of Object.values(strategy.fuzzy_sets)) {
    const reference = resolveIndicatorReference(set.indicator, types);
    if (reference.ok) read.add(reference.id);
  }
  for (const input of strategy.nn_inputs) {
    const reference = input.raw_indicator === null ? null : resolveIndicatorReference(input.raw_indicator, types);
    if (reference?.ok) read.add(reference.id);
  }
  for (const id of Object.keys(strategy.indicators)) {
    if (!read.has(id)) warnings.push({ path: ['indicators', id], message: `indicator '${id}' is read by no fuzzy set and no raw input`, atKey: true });
  }
  for (const name of Object.keys(strategy.fuzzy_sets)) {
    if (!usedSets.has(name)) notes.push({ path: ['fuzzy_sets', name], message: `unused: fuzzy set ${name} is not in nn_inputs`, atKey: true });
  }
  // W2: context series nothing reads.
  if (strategy.context_data.length > 0 && Object.values(strategy.indicators).every((indicator) => indicator.data_source === null)) {
    warnings.push({ path: ['context_data'], message: 'context_data is given but no indicator reads it (data_source)' });
  }

  const timeframes = strategy.training_data.timeframes;
  if (timeframes.base_timeframe_given !== null && timeframes.base_timeframe_given !== timeframes.base_timeframe) {
    warnings.push({
      path: ['training_data', 'timeframes', 'base_timeframe'],
      message: `'${timeframes.base_timeframe_given}' is not in the list; ${timeframes.base_timeframe} (the first) is the base, as in the original`,
    });
  }

  const activation = get(data, 'model', 'architecture', 'activation');
  if (typeof activation === 'string' && activation.toLowerCase() !== strategy.model.architecture.activation) {
    warnings.push({ path: ['model', 'architecture', 'activation'], message: `unknown activation '${activation}': relu is used, as in the original` });
  }

  const regression = strategy.decisions.output_format === 'regression';
  const loss = get(data, 'training', 'loss');
  if (!regression && typeof loss === 'string' && loss.toLowerCase() !== 'focal' && !/cross|^ce$/i.test(loss)) {
    warnings.push({ path: ['training', 'loss'], message: `'${loss}' is not focal: cross-entropy is used, as in the original` });
  }
  if (regression && get(data, 'decisions', 'confidence_threshold') !== undefined) {
    warnings.push({ path: ['decisions', 'confidence_threshold'], message: 'not read in regression (W3)' });
  }
  if (!regression && get(data, 'decisions', 'cost_model') !== undefined) {
    notes.push({ path: ['decisions', 'cost_model'], message: 'ignored: decisions.cost_model (read in regression only)', atKey: true });
  }

  // model.training: honoured for what the top level does not give; the top level wins, as in the original.
  for (const key of HYPERPARAMETER_KEYS) {
    const inModel = get(data, 'model', 'training', key);
    const atTop = get(data, 'training', key);
    if (inModel !== undefined && atTop !== undefined && JSON.stringify(inModel) !== JSON.stringify(atTop)) {
      warnings.push({ path: ['model', 'training', key], message: `overridden by training.${key} (${JSON.stringify(atTop)}), as in the original` });
    }
  }

  const labels = get(data, 'training', 'labels');
  if (isRecord(labels)) {
    const source = strategy.training.labels.source;
    const read = new Set(LABEL_KEYS[source]);
    const everyKey = new Set(Object.values(LABEL_KEYS).flat());
    for (const key of Object.keys(labels)) {
      if (key !== 'source' && everyKey.has(key) && !read.has(key)) {
        notes.push({ path: ['training', 'labels', key], message: `ignored: training.labels.${key} (not read by source ${source}; read by ${LABEL_SOURCES.filter((s) => LABEL_KEYS[s].includes(key)).join(', ')})`, atKey: true });
      }
    }
  }

  const test = get(data, 'training', 'data_split', 'test');
  if (typeof test === 'number' && Math.abs(test - strategy.training.data_split.test) > 1e-9) {
    warnings.push({ path: ['training', 'data_split', 'test'], message: `the test part is what train and validation leave: ${+strategy.training.data_split.test.toFixed(12)}, not ${test}` });
  }

  const range = get(data, 'training_data', 'date_range');
  for (const [key, bound] of [['start_date', 'start'], ['end_date', 'end']] as const) {
    const direct = get(data, 'training_data', key);
    const fromRange = get(range, bound);
    if (direct !== undefined && fromRange !== undefined && dateText(direct) !== dateText(fromRange)) {
      warnings.push({ path: ['training_data', 'date_range', bound], message: `differs from training_data.${key}, which wins` });
    }
  }

  for (const use of notYetUsed(strategy, data)) {
    notes.push({
      path: use.path.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
      message: `not yet used by this ktrdr: ${use.what}${use.refusesTraining ? ' (a training is refused)' : ''}`,
    });
  }
  return remarks;
}
