/**
 * `ktrdr strategy …`: the definitions only. What each subcommand does is in strategy-run.ts, loaded when one runs
 * (docs/architecture.md §1, "What loads when").
 */
import { Command, Option } from 'commander';
import { STRATEGY_DOCS_PATH } from '../../strategy/docs-path.js';
import { ExitCode } from '../exit-codes.js';
import { dateRangeProblem, isoDateOption, symbolOption } from '../options.js';

const run = () => import('./strategy-run.js');

function validateCommand(): Command {
  return new Command('validate')
    .description('Validate a strategy file: every problem by its path, line and column (exit 1); otherwise a summary, warnings and notes (exit 0)')
    .argument('<strategy>', 'a strategy YAML file, or the name of one under KTRDR_DATA_STRATEGIES_DIR')
    .option('--json', 'print {valid, file, problems, warnings, notes: [{path, message, line, column}], summary, strategy} as JSON')
    .action(async (argument: string, options: { json?: boolean }) => (await run()).runValidate(argument, options));
}

function featuresCommand(): Command {
  return new Command('features')
    .description('Compute, without a backend, what a training run sees: indicators, memberships and the model features, one row per bar')
    .argument('<strategy>', 'a strategy YAML file, or the name of one under KTRDR_DATA_STRATEGIES_DIR')
    .addOption(new Option('--symbol <symbol>', "symbol (default: the strategy's)").argParser(symbolOption))
    .addOption(new Option('--start <date>', "first bar printed (default: the strategy's start_date, else the first bar)").argParser(isoDateOption))
    .addOption(new Option('--end <date>', "end of the bars (exclusive; default: the strategy's end_date, else the last bar)").argParser(isoDateOption))
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .action(async (argument: string, options: { symbol?: string; start?: string; end?: string; format: 'csv' | 'json' }) => {
      const rangeProblem = dateRangeProblem(options.start, options.end);
      if (rangeProblem) {
        process.stderr.write(`error: ${rangeProblem}\n(run with --help for usage)\n`);
        process.exitCode = ExitCode.Usage;
        return;
      }
      process.exitCode = await (await run()).printFeatures(argument, options);
    });
}

function docsCommand(): Command {
  return new Command('docs')
    .description(`Print ${STRATEGY_DOCS_PATH} generated from the strategy schema and the indicator registry; --write writes it, --check compares it`)
    .option('--write', 'write the file under --dir instead of printing it')
    .option('--check', 'write nothing; exit 1 when the file under --dir differs from what would be generated')
    .option('--dir <dir>', 'project directory the file is written under or compared with (--write, --check)', '.')
    .action(async (options: { check?: boolean; write?: boolean; dir: string }) => (await run()).runDocs(options));
}

function listCommand(): Command {
  return new Command('list')
    .description('List the strategies in KTRDR_DATA_STRATEGIES_DIR (the names `train` takes) and whether each is valid')
    .option('--json', 'print {items: [{name, file, valid, strategy, symbols, timeframes, problems, first_problem}], total} as JSON')
    .action(async (options: { json?: boolean }) => (await run()).runList(options));
}

function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of strategy files (for editors with YAML schema support)')
    .action(async () => (await run()).runSchema());
}

export function strategyCommand(): Command {
  return new Command('strategy')
    .description('Strategy files (YAML): list and validate them, compute their features, document their format')
    .addCommand(listCommand())
    .addCommand(validateCommand())
    .addCommand(featuresCommand())
    .addCommand(docsCommand())
    .addCommand(schemaCommand());
}
