import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { featureSpec, warmupBars } from '../../strategy/features.js';
import { strategyJsonSchema } from '../../strategy/json-schema.js';
import { formatProblem, loadStrategyFile, StrategyError, type StrategyProblem } from '../../strategy/load.js';
import { STRATEGY_DOCS_PATH, renderStrategyDocs } from '../../strategy/docs.js';
import type { Strategy } from '../../strategy/schema.js';
import { ExitCode } from '../exit-codes.js';
import { printJson } from '../render/json.js';

/** What `strategy validate` says about a valid file (also its `--json` `summary`). */
export interface StrategySummary {
  readonly name: string;
  readonly version: string;
  readonly symbol: string;
  readonly timeframe: string;
  readonly indicators: { id: string; type: string; params: Record<string, unknown>; outputs: string[] }[];
  readonly fuzzy_sets: { name: string; indicator: string; memberships: string[] }[];
  readonly features: number;
  readonly feature_names: string[];
  readonly lookback_periods: number;
  readonly warmup_bars: number;
  readonly labels: Strategy['training']['labels'];
  readonly model: Strategy['model'];
  readonly data_split: Strategy['training']['data_split'];
}

export function summarizeStrategy(strategy: Strategy): StrategySummary {
  const spec = featureSpec(strategy);
  return {
    name: strategy.name,
    version: strategy.version,
    symbol: strategy.training_data.symbols.symbol,
    timeframe: strategy.training_data.timeframes.timeframe,
    indicators: spec.indicators.map((indicator) => ({
      ...indicator,
      outputs: spec.inputs.filter((input) => input.indicator === indicator.id).map((input) => input.output),
    })),
    fuzzy_sets: spec.inputs.map((input) => ({
      name: input.fuzzy_set,
      indicator: strategy.fuzzy_sets[input.fuzzy_set]?.indicator ?? input.indicator,
      memberships: input.memberships.map((membership) => membership.name),
    })),
    features: spec.columns.length,
    feature_names: spec.columns,
    lookback_periods: spec.lookback_periods,
    warmup_bars: warmupBars(spec),
    labels: strategy.training.labels,
    model: strategy.model,
    data_split: strategy.training.data_split,
  };
}

const params = (values: Record<string, unknown>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');

function renderSummary(file: string, summary: StrategySummary, unused: string[]): string {
  const memberships = summary.fuzzy_sets.reduce((sum, set) => sum + set.memberships.length, 0);
  const lags = summary.lookback_periods + 1;
  const { architecture, training } = summary.model;
  const stopping = training.early_stopping.enabled ? `, early stopping (patience ${training.early_stopping.patience})` : '';
  const lines: [string, string][] = [
    ['strategy', `${summary.name} (version ${summary.version})`],
    ['data', `${summary.symbol} ${summary.timeframe}`],
    ['indicators', summary.indicators.map((indicator) => `${indicator.id} = ${indicator.type}(${params(indicator.params)})`).join('; ')],
    ['fuzzy sets', summary.fuzzy_sets.map((set) => `${set.name} on ${set.indicator} (${set.memberships.join(', ')})`).join('; ')],
    [
      'features',
      `${summary.features} = ${memberships} membership${memberships === 1 ? '' : 's'} × ${lags} lag${lags === 1 ? '' : 's'}; first complete row after ${summary.warmup_bars} bars`,
    ],
    [
      'labels',
      `${summary.labels.source}: BUY / SELL on a ${+(summary.labels.zigzag_threshold * 100).toFixed(6)}% move within ${summary.labels.label_lookahead} bars, else HOLD`,
    ],
    [
      'model',
      `${summary.model.type} ${architecture.hidden_layers.join('-')} ${architecture.activation}, dropout ${architecture.dropout}; ` +
        `${training.optimizer} lr ${training.learning_rate}, batch ${training.batch_size}, up to ${training.epochs} epochs${stopping}`,
    ],
    ['split', `train ${summary.data_split.train} / validation ${summary.data_split.validation} / test ${summary.data_split.test}`],
  ];
  if (unused.length > 0) lines.push(['note', `not used by nn_inputs: ${unused.join(', ')}`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return [`${file}: valid`, ...lines.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`)].join('\n');
}

function unusedParts(strategy: Strategy, summary: StrategySummary): string[] {
  const usedSets = new Set(summary.fuzzy_sets.map((set) => set.name));
  const usedIndicators = new Set(summary.indicators.map((indicator) => indicator.id));
  return [
    ...Object.keys(strategy.indicators).filter((id) => !usedIndicators.has(id)).map((id) => `indicator ${id}`),
    ...Object.keys(strategy.fuzzy_sets).filter((name) => !usedSets.has(name)).map((name) => `fuzzy set ${name}`),
  ];
}

function problemLine(file: string, problem: StrategyProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
  return `${where}: ${formatProblem(problem)}`;
}

function validateCommand(): Command {
  return new Command('validate')
    .description('Validate a strategy file: list every problem by its path in the file (exit 1), or summarise it (exit 0)')
    .argument('<file>', 'a strategy YAML file, e.g. strategies/rsi_adx_example.yaml')
    .option('--json', 'print {valid, file, problems: [{path, message, line, column}], summary} as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      let strategy: Strategy;
      try {
        strategy = await loadStrategyFile(file);
      } catch (error) {
        if (!(error instanceof StrategyError)) throw error;
        process.exitCode = ExitCode.Failure;
        if (options.json) {
          printJson({ valid: false, file, problems: error.problems });
          return;
        }
        const count = error.problems.length;
        process.stderr.write(`${file}: invalid strategy, ${count} problem${count === 1 ? '' : 's'}:\n`);
        for (const problem of error.problems) process.stderr.write(`  ${problemLine(file, problem)}\n`);
        return;
      }
      const summary = summarizeStrategy(strategy);
      process.exitCode = ExitCode.Ok;
      if (options.json) printJson({ valid: true, file, problems: [], summary, strategy });
      else process.stdout.write(`${renderSummary(file, summary, unusedParts(strategy, summary))}\n`);
    });
}

function docsCommand(): Command {
  return new Command('docs')
    .description(`Write ${STRATEGY_DOCS_PATH} from the strategy schema and the indicator registry`)
    .option('--check', 'write nothing; exit 1 when the committed file differs from what would be generated')
    .option('--dir <dir>', 'project directory the file is written under', '.')
    .action((options: { check?: boolean; dir: string }) => {
      const path = resolve(options.dir, STRATEGY_DOCS_PATH);
      const content = renderStrategyDocs();
      let current: string | null = null;
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        current = null;
      }
      if (current === content) {
        if (options.check) process.stderr.write(`${STRATEGY_DOCS_PATH} is up to date\n`);
        return;
      }
      if (options.check) {
        process.stderr.write(`stale: ${STRATEGY_DOCS_PATH} (run: ktrdr strategy docs)\n`);
        process.exitCode = ExitCode.Failure;
        return;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      process.stderr.write(`wrote ${STRATEGY_DOCS_PATH}\n`);
    });
}

function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of strategy files (for editors with YAML schema support)')
    .action(() => printJson(strategyJsonSchema()));
}

export function strategyCommand(): Command {
  return new Command('strategy')
    .description('Strategy files (YAML): validate them, document their format')
    .addCommand(validateCommand())
    .addCommand(docsCommand())
    .addCommand(schemaCommand());
}
