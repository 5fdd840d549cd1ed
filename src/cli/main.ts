#!/usr/bin/env node
/**
 * The `ktrdr` command. Thin: each command lives in commands/ and calls into the
 * library. It never validates server-only settings itself, so `ktrdr --help`
 * works whatever the environment holds.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { ExitCode } from './exit-codes.js';

try {
  const program = await buildProgram(process.argv);
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end "successfully"; anything else is a usage error.
    process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = ExitCode.Failure;
  }
}
