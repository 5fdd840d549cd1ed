/**
 * Strategy files from YAML text: syntax errors with their line and column, then
 * the schema's problems, each named by its path in the file (`fuzzy_sets.rsi.indicator`,
 * `nn_inputs[1].fuzzy_set`) and located at a line when the file has that node.
 * Every problem is collected before anything is thrown, so one run lists them all.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { createError, errorText } from '../common/errors.js';
import { closestName } from '../settings-engine/index.js';
import { strategyJsonSchema } from './json-schema.js';
import { strategyRemarks } from './notes.js';
import { StrategySchema, type Strategy } from './schema.js';

export interface StrategyProblem {
  /** Where in the file: `indicators.rsi_14.period`, `nn_inputs[0].fuzzy_set`; '' for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** 1-based, when the file has a node at (or above) the path. */
  readonly line?: number;
  readonly column?: number;
}

/** `source` is the file name or another label of where the text came from. */
export class StrategyError extends createError('StrategyError', {
  code: 'VALIDATION_ERROR',
  message: (source: string, problems: readonly StrategyProblem[]) =>
    `invalid strategy ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`,
  fields: (source, problems) => ({ source, problems }),
  details: (source, problems) => ({ source, problems }),
}) {}

/** `<path>: <message>`, the way problems are printed everywhere. */
export function formatProblem(problem: StrategyProblem): string {
  return `${problem.path || '(file)'}: ${problem.message}`;
}

/** `nn_inputs[1].fuzzy_set`: keys joined by dots, array indexes in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** A strategy that loaded, with what `strategy validate` says about it. */
export interface LoadedStrategy {
  readonly strategy: Strategy;
  /** Keys nobody reads, indicators nothing reads, values the original would read differently. */
  readonly warnings: StrategyProblem[];
  /** "ignored: …" (keys the original ignores too) and "not yet used by this ktrdr: …". */
  readonly notes: StrategyProblem[];
}

/** Parses and validates a strategy; throws StrategyError listing every problem. */
export function parseStrategy(yamlText: string, sourceName: string): Strategy {
  return loadStrategyText(yamlText, sourceName).strategy;
}

/** Parses and validates a strategy with its warnings and notes; throws StrategyError listing every problem. */
export function loadStrategyText(yamlText: string, sourceName: string): LoadedStrategy {
  const lineCounter = new LineCounter();
  // YAML 1.1 like the original's loader: `yes`/`no` are booleans, `2024-01-01` a date, `<<: *anchor` merges.
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.1', merge: true });
  if (document.errors.length > 0) {
    throw new StrategyError(
      sourceName,
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${firstLine(error.message)}`, line, column: col };
      }),
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new StrategyError(sourceName, [{ path: '', message: `YAML could not be read: ${errorText(error)}` }]);
  }
  if (data === null || data === undefined) throw new StrategyError(sourceName, [{ path: '', message: 'the file is empty' }]);
  if (typeof data !== 'object' || Array.isArray(data)) throw new StrategyError(sourceName, [{ path: '', message: 'a strategy file is a mapping (name:, training_data:, indicators:, …)' }]);
  const result = StrategySchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => problemsOf(issue, []));
    throw new StrategyError(sourceName, locateAll(dedupe(problems), document, lineCounter));
  }
  const remarks = strategyRemarks(data, result.data);
  return {
    strategy: result.data,
    warnings: locateAll(remarks.warnings, document, lineCounter),
    notes: locateAll(remarks.notes, document, lineCounter),
  };
}

export async function loadStrategyFile(path: string): Promise<Strategy> {
  return (await readStrategyFile(path)).strategy;
}

/** A strategy file with its warnings and notes. */
export async function readStrategyFile(path: string): Promise<LoadedStrategy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorText(error);
    throw new StrategyError(path, [{ path: '', message: `cannot read ${path}: ${reason}` }]);
  }
  return loadStrategyText(text, path);
}

// ---------------------------------------------------------------------------
// zod issues → problems

interface RawProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** Locate the key itself rather than its value (an unknown field). */
  readonly atKey?: boolean;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).trim();
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `a list (${JSON.stringify(value)})`;
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const TYPE_NAMES: Readonly<Record<string, string>> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping', record: 'a mapping' };

function bound(issue: { inclusive?: boolean }, sign: '>' | '<'): string {
  return issue.inclusive === false ? sign : `${sign}=`;
}

/** zod's own wording ("Invalid input: expected number, received string"); anything else was written for the rule and is kept. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too small|Too big|Unrecognized key)/;

function problemsOf(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): RawProblem[] {
  const path = [...prefix, ...issue.path];
  const input = (issue as { input?: unknown }).input;
  if (issue.code !== 'unrecognized_keys' && !ZOD_DEFAULT_MESSAGE.test(issue.message)) return [{ path, message: issue.message }];
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return [{ path, message: `required (${TYPE_NAMES[issue.expected] ?? issue.expected})` }];
      return [{ path, message: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${show(input)}` }];
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'array') return [{ path, message: `needs at least ${minimum} item${minimum === 1 ? '' : 's'}` }];
      if (issue.origin === 'string') return [{ path, message: minimum <= 1 ? 'must not be empty' : `needs at least ${minimum} characters` }];
      return [{ path, message: `must be ${bound(issue, '>')} ${minimum} (got ${show(input)})` }];
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'array') return [{ path, message: `allows at most ${maximum} item${maximum === 1 ? '' : 's'}` }];
      if (issue.origin === 'string') return [{ path, message: `allows at most ${maximum} characters` }];
      return [{ path, message: `must be ${bound(issue, '<')} ${maximum} (got ${show(input)})` }];
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => (typeof value === 'string' ? `'${value}'` : String(value)));
      const rule = values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
      return [{ path, message: `${rule} (got ${show(input)})` }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownFieldMessage(path, key), atKey: true }));
    case 'invalid_union':
      return unionProblems(issue, path, input);
    case 'invalid_format':
      return [{ path, message: issue.message.startsWith('Invalid') ? `has the wrong format (got ${show(input)})` : `${issue.message} (got ${show(input)})` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * A union fails as a whole; say which alternatives were expected when every
 * branch failed on the type, otherwise report the branch that got furthest.
 */
function unionProblems(issue: z.core.$ZodIssueInvalidUnion, path: readonly PropertyKey[], input: unknown): RawProblem[] {
  const branches = issue.errors.filter((branch) => branch.length > 0);
  if (branches.length === 0) return [{ path, message: issue.message }];
  const typeOnly = branches.every((branch) => branch.length === 1 && branch[0]?.path.length === 0 && (branch[0].code === 'invalid_type' || branch[0].code === 'invalid_value'));
  if (typeOnly) {
    const expected = branches.map((branch) => {
      const only = branch[0] as z.core.$ZodIssue;
      if (only.code === 'invalid_type') return TYPE_NAMES[only.expected] ?? only.expected;
      if (only.code === 'invalid_value') return only.values.map((value) => (typeof value === 'string' ? `'${value}'` : String(value))).join(' or ');
      return '?';
    });
    return [{ path, message: `expected ${expected.join(' or ')}, got ${show(input)}` }];
  }
  // The branch that accepted the shape and failed deeper explains the mistake best.
  const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(...branch.map((one) => one.path.length + (one.code === 'invalid_type' ? 0 : 0.5)));
  const best = [...branches].sort((a, b) => depth(b) - depth(a))[0] ?? [];
  return best.flatMap((one) => problemsOf({ ...one, input: (one as { input?: unknown }).input } as z.core.$ZodIssue, path));
}

function unknownFieldMessage(path: readonly PropertyKey[], key: string): string {
  const allowed = allowedKeys(path);
  if (allowed.length === 0) return `unknown field '${key}'`;
  const suggestion = closestName(key, allowed);
  return `unknown field '${key}'${suggestion ? `; did you mean '${suggestion}'?` : ''} (allowed: ${allowed.join(', ')})`;
}

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; additionalProperties?: JsonSchemaNode | boolean; items?: JsonSchemaNode; anyOf?: JsonSchemaNode[]; allOf?: JsonSchemaNode[] };

/** The field names the schema allows at a path (read from its JSON Schema, so they cannot drift). */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchemaNode[] = [strategyJsonSchema() as JsonSchemaNode];
  const expand = (list: JsonSchemaNode[]): JsonSchemaNode[] => list.flatMap((node) => [node, ...expand([...(node.anyOf ?? []), ...(node.allOf ?? [])])]);
  for (const segment of path) {
    nodes = expand(nodes).flatMap((node) => {
      if (typeof segment === 'number') return node.items ? [node.items] : [];
      const property = node.properties?.[String(segment)];
      if (property) return [property];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((node) => Object.keys(node.properties ?? {})))];
}

function dedupe(problems: readonly RawProblem[]): RawProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${formatPath(problem.path)}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------
// paths → lines

function locateAll(problems: readonly RawProblem[], document: Document, lineCounter: LineCounter): StrategyProblem[] {
  const located = problems.map((problem, order) => {
    const offset = offsetOf(document, problem.path, problem.atKey === true);
    const position = offset === null ? null : lineCounter.linePos(offset);
    return {
      order,
      problem: {
        path: formatPath(problem.path),
        message: problem.message,
        ...(position && { line: position.line, column: position.col }),
      },
    };
  });
  // In file order, so the list reads top to bottom like the file.
  located.sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || (a.problem.column ?? 0) - (b.problem.column ?? 0) || a.order - b.order);
  return located.map((entry) => entry.problem);
}

/** The offset of the deepest node on `path` that the document has. */
function offsetOf(document: Document, path: readonly PropertyKey[], atKey: boolean): number | null {
  let node: unknown = document.contents;
  let offset: number | null = isNode(node) && node.range ? node.range[0] : null;
  for (let index = 0; index < path.length; index++) {
    const segment = path[index];
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyNode = pair.key;
      if (last && atKey && isNode(keyNode) && keyNode.range) return keyNode.range[0];
      node = pair.value;
      const target = isNode(node) && node.range ? node : isNode(keyNode) ? keyNode : null;
      if (target?.range) offset = target.range[0];
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (isNode(node) && node.range) offset = node.range[0];
      else break;
    } else {
      break;
    }
  }
  return offset;
}
