/**
 * `ktrdr train STRATEGY`: submits a training operation to the backend and,
 * with --watch, follows it epoch by epoch to its test metrics.
 *
 * STRATEGY is a file here (its YAML text is sent, so the backend needs no copy of
 * it) or the name of a file in the backend's KTRDR_DATA_STRATEGIES_DIR.
 */
import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ErrorBody, Timeframe, type StartOperationResponse } from '../../api/contract.js';
import type { BackendApi } from '../../client/backend-api.js';
import { HttpError } from '../../client/http.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { dateRangeProblem, integerOption, isoDateOption, symbolOption } from '../options.js';
import { printJson, printJsonLine } from '../render/json.js';
import { followOperation, intervalOption } from '../follow.js';
import { outputModeOf, type OutputMode } from '../output.js';
import { trainingPresenter } from '../presenters.js';
import { createError } from '../../common/errors.js';

interface TrainOptions {
  symbol?: string;
  timeframe?: Timeframe;
  start?: string;
  end?: string;
  seed?: number;
  watch?: boolean;
  json?: boolean;
  intervalMs: number;
}

/** What to send as `strategy`: the text of a local file, or a name the backend looks up. */
export type StrategyReference = { readonly kind: 'file'; readonly path: string; readonly text: string } | { readonly kind: 'name'; readonly name: string };

export class StrategyArgumentError extends createError('StrategyArgumentError') {}

/**
 * A local file wins over a backend name. Something that looks like a path (it has a
 * directory separator) but is not a file here is an error rather than a name the
 * backend would refuse anyway.
 */
export async function resolveStrategy(argument: string): Promise<StrategyReference> {
  const info = await stat(argument).catch(() => null);
  if (info?.isFile()) {
    const text = await readFile(argument, 'utf8').catch((error: unknown) => {
      throw new StrategyArgumentError(`cannot read strategy file '${argument}': ${(error as Error).message}`);
    });
    if (text.trim() === '') throw new StrategyArgumentError(`strategy file '${argument}' is empty`);
    // The backend tells YAML from a name by its line break; a one-line file is still YAML.
    return { kind: 'file', path: argument, text: text.includes('\n') ? text : `${text}\n` };
  }
  if (info) throw new StrategyArgumentError(`strategy '${argument}' is a directory, not a YAML file`);
  if (/[\\/]/.test(argument)) {
    throw new StrategyArgumentError(
      `strategy file '${argument}' does not exist (a name from the backend's strategies directory has no '/'; see KTRDR_DATA_STRATEGIES_DIR)`,
    );
  }
  return { kind: 'name', name: argument };
}

/** The backend's own message of an error answer (for a bad strategy: every problem by its path in the file). */
function backendMessage(error: HttpError): string {
  const parsed = ErrorBody.safeParse(error.body);
  return parsed.success ? parsed.data.error.message : error.message;
}

async function train(api: BackendApi, strategy: StrategyReference, options: TrainOptions, output: OutputMode): Promise<number> {
  const what = strategy.kind === 'file' ? strategy.path : `'${strategy.name}'`;
  let started: StartOperationResponse;
  try {
    started = await api.startTraining({
      strategy: strategy.kind === 'file' ? strategy.text : strategy.name,
      symbol: options.symbol,
      timeframe: options.timeframe,
      start_date: options.start,
      end_date: options.end,
      seed: options.seed,
    });
  } catch (error) {
    // A refused request creates no operation; say which strategy, then what the backend found.
    if (!(error instanceof HttpError) || error.status !== 400) throw error;
    process.stderr.write(`error: the backend refused to train ${what} (400):\n${backendMessage(error)}\n`);
    return ExitCode.Failure;
  }
  if (options.json) (options.watch ? printJsonLine : printJson)(started);
  else if (output.quiet) process.stdout.write(`${started.operation_id}\n`);
  else if (options.watch) process.stdout.write(`started training operation ${started.operation_id} of ${what} (${started.status})\n`);
  else process.stdout.write(`started training operation ${started.operation_id} of ${what} (${started.status}); follow it with: ktrdr ops watch ${started.operation_id}\n`);
  if (!options.watch) return ExitCode.Ok;
  return followOperation(api, started.operation_id, { json: options.json, intervalMs: options.intervalMs, presenter: trainingPresenter, output });
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a strategy on a training worker: features, labels, a neural network, and its test metrics')
    .argument('<strategy>', "a strategy YAML file here (its text is sent), or the name of one in the backend's KTRDR_DATA_STRATEGIES_DIR")
    .addOption(new Option('--symbol <symbol>', "symbol to train on (default: the strategy's)").argParser(symbolOption))
    .addOption(new Option('--timeframe <tf>', "bar timeframe (default: the strategy's)").choices(Timeframe.options))
    .addOption(new Option('--start <date>', 'first date of the data used, ISO date or date-time (UTC)').argParser(isoDateOption))
    .addOption(new Option('--end <date>', 'end of the data used (exclusive), ISO date or date-time (UTC)').argParser(isoDateOption))
    .addOption(new Option('--seed <n>', 'seed of the weights and shuffling: the same seed trains the same model (backend default 42)').argParser(integerOption(0, 2 ** 32 - 1)))
    .option('--watch', 'follow it until it ends and print the test metrics (exit 0 when it completed, 1 otherwise)')
    .option('--json', 'print JSON (with --watch: one line for the submission, then one per poll)')
    .addOption(intervalOption())
    .addHelpText('after', '\nExamples:\n  ktrdr train strategies/rsi_adx_example.yaml --watch\n  ktrdr train rsi_adx_example --symbol EURUSD --timeframe 1h --seed 7 --json')
    .action(async (argument: string, options: TrainOptions, command: Command) => {
      const rangeProblem = dateRangeProblem(options.start, options.end);
      if (rangeProblem) {
        process.stderr.write(`error: ${rangeProblem}\n(run with --help for usage)\n`);
        process.exitCode = ExitCode.Usage;
        return;
      }
      let strategy: StrategyReference;
      try {
        strategy = await resolveStrategy(argument);
      } catch (error) {
        if (!(error instanceof StrategyArgumentError)) throw error;
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = ExitCode.Failure;
        return;
      }
      await withBackend((api) => train(api, strategy, options, outputModeOf(command)));
    });
}

