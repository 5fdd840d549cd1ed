#!/usr/bin/env node
/**
 * The `ktrdr` command. Thin: each command lives in commands/ and calls into the
 * library. It never validates server-only settings itself, so `ktrdr --help`
 * works whatever the environment holds.
 */
import { errorText } from '../common/errors.js';
import { ExitCode } from './exit-codes.js';
import { directWorkerType, runWorkerCommand } from './worker-run.js';

function failed(error: unknown): void {
  process.stderr.write(`error: ${errorText(error)}\n`);
  process.exitCode = ExitCode.Failure;
}

// `ktrdr worker <type>` and nothing else runs the worker without building the program (worker-run.ts).
const workerType = directWorkerType(process.argv);
if (workerType !== null) {
  await runWorkerCommand(workerType).catch(failed);
} else {
  await (await import('./run-program.js')).runProgram(process.argv, failed);
}
