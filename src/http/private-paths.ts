/**
 * Server directories never appear in an HTTP answer: an error message naming
 * a file (a data file not found, a system error) shows it relative to the
 * setting that locates it, or to a neutral label.
 */
import { homedir, tmpdir } from 'node:os';
import { resolve } from 'node:path';

export interface PrivatePath {
  /** A directory of this machine (relative paths are resolved against the working directory). */
  readonly path: string;
  /** What is shown instead: the setting that names it, e.g. `$KTRDR_DATA_DIR`. */
  readonly label: string;
}

/** Directories every process hides, whatever its settings. */
function processPaths(): PrivatePath[] {
  return [
    { path: process.cwd(), label: '.' },
    { path: tmpdir(), label: '$TMPDIR' },
    { path: homedir(), label: '~' },
  ];
}

/** A function that replaces each private directory in a text by its label (the longest, most specific, first). */
export function pathScrubber(paths: readonly PrivatePath[] = []): (text: string) => string {
  const replacements = [...paths, ...processPaths()]
    .map(({ path, label }) => ({ path: resolve(path), label }))
    // "/" or "C:\" alone would swallow every slash of a message.
    .filter(({ path }) => path.replace(/[\\/]+$/, '').length > 2)
    .sort((a, b) => b.path.length - a.path.length);
  return (text) => {
    let scrubbed = text;
    for (const { path, label } of replacements) {
      if (scrubbed.includes(path)) scrubbed = scrubbed.split(path).join(label);
    }
    return scrubbed;
  };
}
