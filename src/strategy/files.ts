/**
 * Where a strategy named without a path lives: `<dir>/<name>.yaml`, `.yml`, or
 * the name itself. One rule for the backend (training requests) and the CLI
 * (`strategy validate NAME`), so a name means the same file everywhere.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KtrdrError } from '../common/errors.js';
import { STRATEGY_NAME_PATTERN, STRATEGY_NAME_RULE } from './name-rule.js';

/** Null when `name` is a usable name; otherwise why not (it could leave the directory, or no file system takes it). */
export function strategyNameProblem(name: string): string | null {
  if (!STRATEGY_NAME_PATTERN.test(name)) {
    const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name;
    return `'${shown}' is not a strategy name (${STRATEGY_NAME_RULE})`;
  }
  return null;
}

/** The file names tried, in order. */
export function strategyFileCandidates(name: string): string[] {
  return /\.ya?ml$/i.test(name) ? [name] : [`${name}.yaml`, `${name}.yml`, name];
}

/** The text of a named strategy under `dir`; NOT_FOUND naming the directory and what it holds. */
export async function readNamedStrategy(dir: string, name: string, dirSetting = 'KTRDR_DATA_STRATEGIES_DIR'): Promise<{ text: string; file: string; path: string }> {
  const problem = strategyNameProblem(name);
  if (problem) throw new KtrdrError('VALIDATION_ERROR', problem);
  for (const candidate of strategyFileCandidates(name)) {
    const path = join(dir, candidate);
    try {
      return { text: await readFile(path, 'utf8'), file: candidate, path };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') throw error;
    }
  }
  const available = (await readdir(dir).catch(() => [] as string[])).filter((file) => /\.ya?ml$/i.test(file));
  throw new KtrdrError('NOT_FOUND', `strategy '${name}' not found in ${dir} (${dirSetting})${available.length ? `; available: ${available.join(', ')}` : ''}`);
}
