/**
 * `ktrdr backtest MODEL`: submits a backtest of a trained model and, with --watch,
 * follows it bar by bar to its performance figures (and, with --trades, its trades).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKTEST_COST_MAX, BACKTEST_DEFAULTS, BacktestSizing, Timeframe } from '../../api/contract.js';
import type { BackendApi } from '../../client/backend-api.js';
import { KtrdrError } from '../../common/errors.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { dateRangeProblem, isoDateOption, numberOption, rangeOption, symbolOption } from '../options.js';
import { followOperation, intervalOption } from '../follow.js';
import { outputModeOf, type OutputMode } from '../output.js';
import { backtestPresenter } from '../presenters.js';
import { printJson, printJsonLine } from '../render/json.js';

interface BacktestOptions {
  symbol?: string;
  eachSymbol?: boolean;
  timeframe?: Timeframe;
  start?: string;
  end?: string;
  capital?: number;
  commission?: number;
  slippage?: number;
  positionSize?: number;
  fractionalUnits?: boolean;
  watch?: boolean;
  json?: boolean;
  trades?: boolean;
  intervalMs: number;
}

/**
 * The symbols of a model's strategy (`training_data.symbols`: the list of a
 * multi-symbol strategy, the one symbol otherwise), read from the model's own
 * copy of the strategy so that it is the list the model was made for.
 */
async function modelSymbols(api: BackendApi, model: string): Promise<string[]> {
  const artifact = await api.getModel(model);
  // The strategy parser (YAML, the indicator registry) loads only for --each-symbol (docs/architecture.md §1).
  const { loadStrategyText, StrategyError } = await import('../../strategy/load.js');
  try {
    return loadStrategyText(artifact.strategy_yaml, `model ${model}'s strategy`).strategy.training_data.symbols.list;
  } catch (error) {
    if (error instanceof StrategyError) throw new KtrdrError('VALIDATION_ERROR', `--each-symbol: the strategy stored with model ${model} does not load: ${error.message}`);
    throw error;
  }
}

/**
 * `--each-symbol`: one backtest per symbol, in the list's order; with --watch
 * each is followed to its end before the next is submitted (one at a time, as
 * the backtesting workers would run them anyway), then one line per symbol.
 * Exits 0 only when every one completed.
 */
async function backtestEachSymbol(api: BackendApi, model: string, options: BacktestOptions, output: OutputMode): Promise<number> {
  const symbols = await modelSymbols(api, model);
  if (!options.json) process.stdout.write(`model ${model}: ${symbols.length} symbol${symbols.length === 1 ? '' : 's'} (${symbols.join(', ')}), one backtest each\n`);
  const outcomes: { symbol: string; operationId: string; code: number }[] = [];
  for (const symbol of symbols) {
    if (!options.json) process.stdout.write(`--- ${symbol}\n`);
    const code = await backtest(api, model, { ...options, symbol }, output, (operationId) => outcomes.push({ symbol, operationId, code: ExitCode.Ok }));
    const last = outcomes.at(-1);
    if (last) last.code = code;
  }
  if (!options.json) {
    process.stdout.write(`${options.watch ? 'backtests' : 'submitted'} of model ${model}:\n`);
    for (const outcome of outcomes) {
      const status = options.watch ? (outcome.code === ExitCode.Ok ? 'completed' : 'did not complete') : 'submitted';
      process.stdout.write(`  ${outcome.symbol.padEnd(10)} ${outcome.operationId}  ${status}\n`);
    }
  }
  return outcomes.every((outcome) => outcome.code === ExitCode.Ok) ? ExitCode.Ok : ExitCode.Failure;
}

async function backtest(api: BackendApi, model: string, options: BacktestOptions, output: OutputMode, onStarted?: (operationId: string) => void): Promise<number> {
  const started = await api.startBacktest({
    model,
    symbol: options.symbol,
    timeframe: options.timeframe,
    start_date: options.start,
    end_date: options.end,
    initial_capital: options.capital,
    commission: options.commission,
    slippage: options.slippage,
    position_size: options.positionSize,
    ...(options.fractionalUnits ? { whole_units: false } : {}),
  });
  onStarted?.(started.operation_id);
  if (options.json) (options.watch ? printJsonLine : printJson)(started);
  else if (output.quiet) process.stdout.write(`${started.operation_id}\n`);
  else if (options.watch) process.stdout.write(`started backtesting operation ${started.operation_id} of model ${model} (${started.status})\n`);
  else process.stdout.write(`started backtesting operation ${started.operation_id} of model ${model} (${started.status}); follow it with: ktrdr ops watch ${started.operation_id}\n`);
  if (!options.watch) return ExitCode.Ok;
  return followOperation(api, started.operation_id, { json: options.json, intervalMs: options.intervalMs, presenter: backtestPresenter(api, options.trades === true), output });
}

/** --position-size, checked by the contract's own rule (the one the backend applies). */
function positionSizeOption(value: string): number {
  const parsed = BacktestSizing.shape.position_size.safeParse(Number(value.trim()));
  if (value.trim() === '' || !parsed.success) throw new InvalidArgumentError(`'${value}' is not a fraction in (0, 1].`);
  return parsed.data;
}

function usageProblem(options: BacktestOptions): string | null {
  if (options.trades && !options.watch) return '--trades needs --watch (the trades exist once the backtest has ended)';
  if (options.eachSymbol && options.symbol !== undefined) return `--each-symbol and --symbol ${options.symbol} exclude each other (--each-symbol backtests every symbol of the model's strategy)`;
  return dateRangeProblem(options.start, options.end);
}

export function backtestCommand(): Command {
  return new Command('backtest')
    .description("Backtest a trained model on a backtesting worker (by default on the model's held-out test period)")
    .argument('<model>', 'a model id (see: ktrdr models list)')
    .addOption(new Option('--symbol <symbol>', "symbol to trade (default: the model's)").argParser(symbolOption))
    .option('--each-symbol', "one backtest per symbol of the model's strategy (its multi-symbol list), each in turn, then one line per symbol")
    .addOption(new Option('--timeframe <tf>', "bar timeframe (default: the model's)").choices(Timeframe.options))
    .addOption(new Option('--start <date>', "first date, ISO date or date-time (UTC) (default: start of the model's test period)").argParser(isoDateOption))
    .addOption(new Option('--end <date>', 'end (exclusive), ISO date or date-time (UTC) (default: the end of the data)').argParser(isoDateOption))
    .addOption(new Option('--capital <amount>', `initial capital (backend default ${BACKTEST_DEFAULTS.initialCapital})`).argParser(numberOption(0)))
    .addOption(
      new Option('--commission <fraction>', `commission per fill as a fraction of the notional, 0..${BACKTEST_COST_MAX} (backend default ${BACKTEST_DEFAULTS.commission})`)
        .argParser(rangeOption(0, BACKTEST_COST_MAX)),
    )
    .addOption(
      new Option('--slippage <fraction>', `slippage per fill as a fraction of the price, 0..${BACKTEST_COST_MAX} (backend default ${BACKTEST_DEFAULTS.slippage})`)
        .argParser(rangeOption(0, BACKTEST_COST_MAX)),
    )
    .addOption(new Option('--position-size <fraction>', 'fraction of the cash an entry commits, commission included, in (0, 1] (backend default 0.25)').argParser(positionSizeOption))
    .option('--fractional-units', 'allow fractional units (default: entries are rounded down to whole units)')
    .option('--watch', 'follow it until it ends and print the performance figures (exit 0 when it completed, 1 otherwise)')
    .option('--json', 'print JSON (with --watch: one line for the submission, then one per poll)')
    .option('--trades', 'with --watch: print the trades at the end (with --json: the results document as a last line)')
    .addOption(intervalOption())
    .addHelpText('after', '\nExamples:\n  ktrdr backtest <model-id> --watch --trades\n  ktrdr backtest <model-id> --each-symbol --watch\n  ktrdr backtest <model-id> --start 2024-01-01 --end 2024-06-01 --capital 50000 --commission 0.0005 --json')
    .action(async (model: string, options: BacktestOptions, command: Command) => {
      const problem = usageProblem(options);
      if (problem) {
        process.stderr.write(`error: ${problem}\n(run with --help for usage)\n`);
        process.exitCode = ExitCode.Usage;
        return;
      }
      await withBackend((api) => (options.eachSymbol ? backtestEachSymbol(api, model, options, outputModeOf(command)) : backtest(api, model, options, outputModeOf(command))));
    });
}
