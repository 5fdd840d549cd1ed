/**
 * How the CLI writes for the terminal it runs in: the global `--quiet` and `--no-progress` options, and whether a
 * stream may receive escape codes (a capable TTY only: a pipe, a log file or `TERM=dumb` get plain lines).
 *
 * The mode is read from the command that runs (its own options and its parents'), so it is passed down explicitly
 * rather than kept in a module variable.
 */
import type { Command } from 'commander';

export interface OutputMode {
  /** `--quiet`: only results and errors; no progress, no "started …" chatter. */
  readonly quiet: boolean;
  /** False with `--no-progress` or `--quiet`: a followed operation prints its outcome only. */
  readonly progress: boolean;
}

export const DEFAULT_OUTPUT: OutputMode = { quiet: false, progress: true };

/** The output mode of the command that runs, from its options and those of every parent (the global ones). */
export function outputModeOf(command: Command | undefined): OutputMode {
  if (!command) return DEFAULT_OUTPUT;
  const options = command.optsWithGlobals<{ quiet?: boolean; progress?: boolean }>();
  const quiet = options.quiet === true;
  return { quiet, progress: !quiet && options.progress !== false };
}

/** A stream that understands cursor movement and colours: a TTY whose TERM is not `dumb`. */
export function isCapableTerminal(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  return tty && env.TERM !== 'dumb';
}
