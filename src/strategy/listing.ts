/**
 * The strategy files of a strategies directory, each loaded by the loader `strategy validate` uses, with its
 * problems (invalid) or warnings and notes (valid) located by path, line and column. One function for the CLI's
 * `strategy list` and the backend's GET /strategies, so both say the same about the same file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorText } from '../common/errors.js';
import { loadStrategyText, StrategyError, type StrategyProblem } from './load.js';

/** One file of the directory. */
export interface StrategyFileReport {
  /** What `train NAME` and `strategy validate NAME` take: the file name without .yaml/.yml. */
  readonly name: string;
  readonly file: string;
  readonly valid: boolean;
  /** The `name:` inside a valid file (it may differ from the file name). */
  readonly strategy: string | null;
  readonly symbols: string[];
  readonly timeframes: string[];
  /** Why the file does not load, in file order; empty when valid. */
  readonly problems: StrategyProblem[];
  readonly warnings: StrategyProblem[];
  readonly notes: StrategyProblem[];
}

/** Strategy file names (`*.yaml`, `*.yml`, not hidden), sorted; empty when the directory does not exist. */
export async function strategyFileNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => !entry.isDirectory() && /\.ya?ml$/i.test(entry.name) && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Every strategy file of `dir`, loaded. A file that cannot be read is reported invalid with the reason rather than
 * failing the whole list. `label(file)` is how a file is named in the loader's messages (the CLI: its path).
 */
export async function listStrategyFiles(dir: string, label: (file: string) => string = (file) => file): Promise<StrategyFileReport[]> {
  const files = await strategyFileNames(dir);
  return Promise.all(
    files.map(async (file): Promise<StrategyFileReport> => {
      const name = file.replace(/\.ya?ml$/i, '');
      try {
        const { strategy, warnings, notes } = loadStrategyText(await readFile(join(dir, file), 'utf8'), label(file));
        const data = strategy.training_data;
        return { name, file, valid: true, strategy: strategy.name, symbols: data.symbols.list, timeframes: data.timeframes.list, problems: [], warnings, notes };
      } catch (error) {
        const problems = error instanceof StrategyError ? error.problems : [{ path: '', message: `cannot read ${file}: ${errorText(error)}` }];
        return { name, file, valid: false, strategy: null, symbols: [], timeframes: [], problems: [...problems], warnings: [], notes: [] };
      }
    }),
  );
}
