/**
 * Every command line but `ktrdr worker <type>` (src/cli/worker-run.ts): builds the program for it with commander and
 * runs it. Imported by the entry point (src/cli/main.ts) in one dynamic import, so that a worker never loads it.
 */
import { CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';

export async function runProgram(argv: readonly string[], failed: (error: unknown) => void): Promise<void> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv as string[]);
  } catch (error) {
    // --help and --version end "successfully"; any other commander error is a usage error.
    if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    else failed(error);
  }
}
