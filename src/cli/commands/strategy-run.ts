/**
 * What the `ktrdr strategy` subcommands do; loaded only when one runs (their definitions, in strategy.ts, stay
 * light so that `ktrdr --help` does not load the strategy, indicator and YAML libraries; docs/architecture.md §1).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseIsoUtc } from '../../market-data/dates.js';
import { MarketDataError } from '../../market-data/errors.js';
import { MarketDataRepository } from '../../market-data/repository.js';
import { Timeframe } from '../../market-data/types.js';
import { featureTable, featureTableCsv, featureTableJson } from '../../strategy/feature-table.js';
import { strategyContextSources } from '../../strategy/context.js';
import { directoryContextSource, loadMarketInputs, repositoryBarsSource } from '../../strategy/market-inputs.js';
import { KtrdrError } from '../../common/errors.js';
import { getDataSettings } from '../../config/settings.js';
import { featureSpec, FeatureSpecError, warmupBars, type FeatureSpec } from '../../strategy/features.js';
import { readNamedStrategy, strategyNameProblem } from '../../strategy/files.js';
import { strategyJsonSchema } from '../../strategy/json-schema.js';
import { listStrategyFiles, type StrategyFileReport } from '../../strategy/listing.js';
import { formatProblem, loadStrategyText, StrategyError, type LoadedStrategy, type StrategyProblem } from '../../strategy/load.js';
import { STRATEGY_DOCS_PATH, renderStrategyDocs } from '../../strategy/docs.js';
import type { Strategy } from '../../strategy/schema.js';
import { ExitCode } from '../exit-codes.js';
import { printJson, printList } from '../render/json.js';
import { renderTable } from '../render/table.js';

/** What `strategy validate` says about a valid file (also its `--json` `summary`). */
export interface StrategySummary {
  readonly name: string;
  readonly version: string;
  readonly symbols: string[];
  readonly timeframes: string[];
  readonly base_timeframe: string;
  readonly training_range: { start: string | null; end: string | null; history_required: number };
  readonly indicators: { id: string; type: string; params: Record<string, unknown> }[];
  readonly fuzzy_sets: { name: string; indicator: string; memberships: string[] }[];
  /** Null when the features are not computed by this ktrdr yet (raw inputs, several timeframes). */
  readonly features: number | null;
  readonly feature_names: string[] | null;
  readonly lookback_periods: number;
  readonly warmup_bars: number | null;
  readonly labels: Strategy['training']['labels'];
  readonly model: Strategy['model'];
  readonly training: Omit<Strategy['training'], 'labels' | 'data_split'>;
  readonly data_split: Strategy['training']['data_split'];
}

export function summarizeStrategy(strategy: Strategy): StrategySummary {
  let spec: FeatureSpec | null = null;
  try {
    spec = featureSpec(strategy);
  } catch (error) {
    if (!(error instanceof FeatureSpecError)) throw error;
  }
  const { labels, data_split: dataSplit, ...training } = strategy.training;
  return {
    name: strategy.name,
    version: strategy.version,
    symbols: strategy.training_data.symbols.list,
    timeframes: strategy.training_data.timeframes.list,
    base_timeframe: strategy.training_data.timeframes.base_timeframe,
    training_range: { start: strategy.training_data.start_date, end: strategy.training_data.end_date, history_required: strategy.training_data.history_required },
    indicators: Object.entries(strategy.indicators).map(([id, indicator]) => ({
      id,
      type: indicator.type,
      params: indicator.params,
      ...(indicator.data_source !== null && { data_source: indicator.data_source }),
    })),
    fuzzy_sets: Object.entries(strategy.fuzzy_sets).map(([name, set]) => ({ name, indicator: set.indicator, memberships: Object.keys(set.sets) })),
    features: spec ? spec.columns.length : null,
    feature_names: spec ? spec.columns : null,
    lookback_periods: strategy.model.features.lookback_periods,
    warmup_bars: spec ? warmupBars(spec) : null,
    labels,
    model: strategy.model,
    training,
    data_split: dataSplit,
  };
}

const params = (values: Record<string, unknown>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');

function labelsText(labels: Strategy['training']['labels']): string {
  if (labels.source === 'zigzag') {
    const move = `${+(labels.zigzag_threshold * 100).toFixed(6)}%`;
    return labels.label_lookahead === null
      ? `zigzag: BUY / SELL on the bars of each rising / falling ${move} swing (pivot to pivot), HOLD on pivots`
      : `zigzag: BUY / SELL on a ${move} move within ${labels.label_lookahead} bars, else HOLD`;
  }
  const { source, ...rest } = labels;
  return `${source} (${params(rest)})`;
}

function renderSummary(file: string, summary: StrategySummary): string {
  const { architecture } = summary.model;
  const training = summary.training;
  const stopping = training.early_stopping.enabled ? `, early stopping (patience ${training.early_stopping.patience})` : '';
  const range = summary.training_range;
  const network = summary.model.type === 'mlp' ? `${architecture.hidden_layers.join('-')} ${architecture.activation}` : `${architecture.hidden_size}×${architecture.num_layers}, window ${architecture.sequence_length}`;
  const features =
    summary.features === null
      ? 'computed by a later ktrdr (see the notes)'
      : `${summary.features} (${summary.lookback_periods + 1} lag${summary.lookback_periods === 0 ? '' : 's'} each); first complete row after ${summary.warmup_bars} bars${summary.indicators.some((indicator) => 'data_source' in indicator) ? ' (and once each context series has a value)' : ''}`;
  const lines: [string, string][] = [
    ['strategy', `${summary.name} (version ${summary.version})`],
    ['data', `${summary.symbols.join(', ')} on ${summary.timeframes.join(', ')}${summary.timeframes.length > 1 ? ` (base ${summary.base_timeframe})` : ''}`],
    ['range', `${range.start ?? 'first bar'} → ${range.end ?? 'last bar'}, ${range.history_required} bars of warm-up before it`],
    ['indicators', summary.indicators.map((indicator) => `${indicator.id} = ${indicator.type}(${params(indicator.params)})${'data_source' in indicator ? ` on ${indicator.data_source}` : ''}`).join('; ')],
    ['fuzzy sets', summary.fuzzy_sets.map((set) => `${set.name} on ${set.indicator} (${set.memberships.join(', ')})`).join('; ')],
    ['features', features],
    ['labels', labelsText(summary.labels)],
    [
      'model',
      `${summary.model.type} ${network}, dropout ${architecture.dropout}; ` +
        `${training.optimizer} lr ${training.learning_rate}, batch ${training.batch_size}, up to ${training.epochs} epochs${stopping}`,
    ],
    ['split', `train ${summary.data_split.train} / validation ${summary.data_split.validation} / test ${+summary.data_split.test.toFixed(12)}`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return [`${file}: valid`, ...lines.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`)].join('\n');
}

function problemLine(file: string, problem: StrategyProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
  return `${where}: ${formatProblem(problem)}`;
}

/** A note's message says what it is ("ignored: scope"); its path only locates it. */
function noteLine(file: string, note: StrategyProblem): string {
  const where = note.line === undefined ? file : `${file}:${note.line}:${note.column ?? 1}`;
  return `${where}: ${note.message}`;
}

/** A file here, else a name under KTRDR_DATA_STRATEGIES_DIR (as `ktrdr train` and the backend read it). */
async function readStrategyArgument(argument: string): Promise<{ label: string; text: string } | { label: string; error: string }> {
  const info = await stat(argument).catch(() => null);
  if (info?.isFile()) return { label: argument, text: await readFile(argument, 'utf8') };
  if (info) return { label: argument, error: `'${argument}' is a directory, not a strategy file` };
  if (/[\\/]/.test(argument) || strategyNameProblem(argument)) return { label: argument, error: `cannot read ${argument}: no such file` };
  try {
    const found = await readNamedStrategy(resolve(getDataSettings().strategiesDir), argument);
    return { label: found.path, text: found.text };
  } catch (error) {
    if (error instanceof KtrdrError) return { label: argument, error: error.message };
    throw error;
  }
}

export async function runValidate(argument: string, options: { json?: boolean }): Promise<void> {
  const read = await readStrategyArgument(argument);
  const file = read.label;
  let loaded: LoadedStrategy;
  try {
    if ('error' in read) throw new StrategyError(file, [{ path: '', message: read.error }]);
    loaded = loadStrategyText(read.text, file);
  } catch (error) {
    if (!(error instanceof StrategyError)) throw error;
    process.exitCode = ExitCode.Failure;
    if (options.json) {
      printJson({ valid: false, file, problems: error.problems, warnings: [], notes: [] });
      return;
    }
    const count = error.problems.length;
    process.stderr.write(`${file}: invalid strategy, ${count} problem${count === 1 ? '' : 's'}:\n`);
    for (const problem of error.problems) process.stderr.write(`  ${problemLine(file, problem)}\n`);
    return;
  }
  const { strategy, warnings, notes } = loaded;
  const summary = summarizeStrategy(strategy);
  process.exitCode = ExitCode.Ok;
  if (options.json) {
    printJson({ valid: true, file, problems: [], warnings, notes, summary, strategy });
    return;
  }
  const out = [renderSummary(file, summary)];
  if (warnings.length > 0) out.push(`warnings (${warnings.length}):`, ...warnings.map((warning) => `  ${problemLine(file, warning)}`));
  if (notes.length > 0) out.push(`notes (${notes.length}):`, ...notes.map((note) => `  ${noteLine(file, note)}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

export interface FeaturesOptions {
  symbol?: string;
  start?: string;
  end?: string;
  format: 'csv' | 'json';
}

/**
 * What a training run would see, computed here without a backend: the bars of
 * the range with `history_required` bars before it for the warm-up, as training
 * loads them; only the rows of the range are printed.
 */
export async function printFeatures(argument: string, options: FeaturesOptions): Promise<number> {
  const read = await readStrategyArgument(argument);
  if ('error' in read) {
    process.stderr.write(`error: ${read.error}\n`);
    return ExitCode.Failure;
  }
  let strategy: Strategy;
  try {
    strategy = loadStrategyText(read.text, read.label).strategy;
  } catch (error) {
    if (!(error instanceof StrategyError)) throw error;
    process.stderr.write(`${error.message}\n(details: ktrdr strategy validate ${argument})\n`);
    return ExitCode.Failure;
  }
  const symbol = options.symbol ?? strategy.training_data.symbols.symbol;
  const start = options.start ?? strategy.training_data.start_date ?? undefined;
  const end = options.end ?? strategy.training_data.end_date ?? undefined;
  try {
    const spec = featureSpec(strategy);
    const timeframes = [...new Set([...strategy.training_data.timeframes.list, ...spec.timeframes])];
    for (const tf of timeframes) {
      if (!Timeframe.safeParse(tf).success) throw new FeatureSpecError(`timeframe '${tf}' has no data files here (${Timeframe.options.join(', ')})`);
    }
    const repository = new MarketDataRepository(resolve(getDataSettings().dir));
    // The same loading as training's: history_required bars before the range, missing higher timeframes resampled.
    const market = await loadMarketInputs({
      spec: { base_timeframe: spec.base_timeframe, timeframes: timeframes as Timeframe[] },
      symbol,
      source: repositoryBarsSource(repository),
      start: start ?? null,
      end: end ?? null,
      warmupBars: strategy.training_data.history_required,
      log: (message: string) => process.stderr.write(`note: ${message}\n`),
      context: { sources: strategyContextSources(strategy), series: directoryContextSource(repository.dir) },
    });
    const history = market.inputs.base;
    const first = market.firstRow;
    if (start !== undefined && (history.time.length === 0 || (history.time[history.time.length - 1] as number) < (parseIsoUtc(start) ?? 0))) {
      process.stderr.write(`error: no ${symbol} ${spec.base_timeframe} bars from ${start} (the data ends before)\n`);
      return ExitCode.Failure;
    }
    const table = featureTable(strategy, market.inputs);
    if (options.format === 'json') printJson(featureTableJson(table, first));
    else process.stdout.write(featureTableCsv(table, first));
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof MarketDataError || error instanceof FeatureSpecError || error instanceof KtrdrError) {
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Failure;
    }
    throw error;
  }
}

export function runDocs(options: { check?: boolean; write?: boolean; dir: string }): void {
  const content = renderStrategyDocs();
  if (!options.write && !options.check) {
    process.stdout.write(content);
    return;
  }
  const path = resolve(options.dir, STRATEGY_DOCS_PATH);
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = null;
  }
  if (current === content) {
    if (options.check) process.stdout.write(`${STRATEGY_DOCS_PATH} is up to date\n`);
    return;
  }
  if (options.check) {
    process.stderr.write(`stale: ${STRATEGY_DOCS_PATH} (run: ktrdr strategy docs --write)\n`);
    process.exitCode = ExitCode.Failure;
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  process.stdout.write(`wrote ${STRATEGY_DOCS_PATH}\n`);
}

/** One strategy file of the strategies directory, as `strategy list` reports it: the library's report, with its problems counted. */
export type StrategyListing = Omit<StrategyFileReport, 'problems' | 'warnings' | 'notes'> & {
  readonly problems: number;
  /** The first problem of an invalid file, for the table. */
  readonly first_problem: string | null;
};

/** `strategy list`'s rows: the library's listing (the backend's GET /strategies answers the same), shortened. */
async function listStrategies(dir: string): Promise<StrategyListing[]> {
  const reports = await listStrategyFiles(dir, (file) => resolve(dir, file));
  return reports.map(({ name, file, valid, strategy, symbols, timeframes, problems }) => {
    const first = problems[0];
    return { name, file, valid, strategy, symbols, timeframes, problems: problems.length, first_problem: first ? problemLine(file, first) : null };
  });
}

export async function runList(options: { json?: boolean }): Promise<void> {
  const dir = resolve(getDataSettings().strategiesDir);
  const strategies = await listStrategies(dir);
  process.exitCode = ExitCode.Ok;
  if (options.json) {
    printList(strategies);
    return;
  }
  if (strategies.length === 0) {
    process.stdout.write(`no strategy files (*.yaml, *.yml) in ${dir} (KTRDR_DATA_STRATEGIES_DIR)\n`);
    return;
  }
  const table = renderTable(
    [
      { header: 'name', value: (row: StrategyListing) => row.name },
      { header: 'valid', value: (row: StrategyListing) => (row.valid ? 'yes' : `no (${row.problems} problem${row.problems === 1 ? '' : 's'})`) },
      { header: 'data', value: (row: StrategyListing) => (row.valid ? `${row.symbols.join(',')} ${row.timeframes.join(',')}` : (row.first_problem ?? '-')) },
    ],
    strategies,
  );
  const invalid = strategies.filter((row) => !row.valid).length;
  const footer = `${strategies.length} in ${dir}${invalid > 0 ? `; ${invalid} invalid (details: ktrdr strategy validate NAME)` : ''}`;
  process.stdout.write(`${table}\n${footer}\n`);
}

export function runSchema(): void {
  printJson(strategyJsonSchema());
}
