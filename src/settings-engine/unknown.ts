import { placeSuffix, sourcePlaces, type Origin, type SettingsSources } from './sources.js';

/** A variable in the settings namespace that no field answers to. */
export interface UnknownVariable {
  readonly name: string;
  readonly origin: Origin;
  /** The env file it was found in; null for the environment. */
  readonly file: string | null;
  /** The closest known name, or the replacement of a removed one. */
  readonly suggestion: string | null;
  /** Why the name is gone, for names that were removed on purpose. */
  readonly reason: string | null;
}

export interface RemovedVariable {
  readonly use: string;
  readonly reason: string;
}

export interface UnknownVariableOptions {
  /** Only variables starting with it are checked (`KTRDR_`). */
  readonly namespace: string;
  readonly known: Iterable<string>;
  readonly removed?: Readonly<Record<string, RemovedVariable>>;
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known name nearest to `name`, if it is near enough to be a plausible typo. */
export function closestName(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const tolerance = Math.max(3, Math.floor(name.length * 0.4));
  return bestDistance <= tolerance ? best : null;
}

export function findUnknownVariables(sources: SettingsSources, options: UnknownVariableOptions): UnknownVariable[] {
  const known = new Set(options.known);
  const found: UnknownVariable[] = [];
  const seen = new Set<string>();
  for (const { origin, file, values } of sourcePlaces(sources)) {
    for (const name of Object.keys(values).sort()) {
      if (!name.startsWith(options.namespace) || known.has(name) || seen.has(name)) continue;
      seen.add(name);
      const removed = options.removed?.[name];
      found.push(
        removed
          ? { name, origin, file, suggestion: removed.use, reason: removed.reason }
          : { name, origin, file, suggestion: closestName(name, known), reason: null },
      );
    }
  }
  return found;
}

export function formatUnknownVariable(unknown: UnknownVariable): string {
  const where = placeSuffix(unknown.file);
  if (unknown.reason) return `${unknown.name}${where} is not a setting (${unknown.reason}); use ${unknown.suggestion}`;
  const hint = unknown.suggestion ? `; did you mean ${unknown.suggestion}?` : '';
  return `${unknown.name}${where} is not a known setting and is ignored${hint}`;
}
