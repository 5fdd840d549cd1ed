import { Command, Option } from 'commander';
import { WorkerType } from '../../api/contract.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { printJson, printJsonLine } from '../render/json.js';
import { followOperation, intervalOption } from '../follow.js';
import { outputModeOf } from '../output.js';

interface StartOptions {
  steps?: number;
  stepDelayMs?: number;
  failAtStep?: number;
  workerType?: WorkerType;
  watch?: boolean;
  json?: boolean;
  intervalMs: number;
}

function startCommand(): Command {
  return new Command('start')
    .description('Submit a dummy operation: N steps with a delay each, checkpointed, cancellable, optionally failing')
    .addOption(new Option('--steps <n>', 'number of steps (backend default 10)').argParser(integerOption(1, 1_000_000)))
    .addOption(new Option('--step-delay-ms <ms>', 'delay of each step (backend default 100)').argParser(integerOption(0, 600_000)))
    .addOption(new Option('--fail-at-step <k>', 'fail at step K').argParser(integerOption(1)))
    .addOption(new Option('--worker-type <type>', 'which kind of worker runs it (backend default training)').choices(WorkerType.options))
    .option('--watch', 'follow it until it ends (exit 0 when it completed, 1 otherwise)')
    .option('--json', 'print JSON (with --watch: one line for the submission, then one per poll)')
    .addOption(intervalOption())
    .action((options: StartOptions, command: Command) =>
      withBackend(async (api) => {
        const output = outputModeOf(command);
        const started = await api.startDummy({
          ...(options.steps !== undefined && { steps: options.steps }),
          ...(options.stepDelayMs !== undefined && { step_delay_ms: options.stepDelayMs }),
          ...(options.failAtStep !== undefined && { fail_at_step: options.failAtStep }),
          ...(options.workerType !== undefined && { worker_type: options.workerType }),
        });
        if (options.json) (options.watch ? printJsonLine : printJson)(started);
        else if (output.quiet) process.stdout.write(`${started.operation_id}\n`);
        else process.stdout.write(`started dummy operation ${started.operation_id} (${started.status})\n`);
        if (!options.watch) return ExitCode.Ok;
        return followOperation(api, started.operation_id, { json: options.json, intervalMs: options.intervalMs, output });
      }),
    );
}

export function dummyCommand(): Command {
  return new Command('dummy').description('The dummy operation, to exercise the backend and workers without market data').addCommand(startCommand());
}
