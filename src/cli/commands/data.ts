/**
 * `ktrdr data`: market data files under KTRDR_DATA_DIR, on this machine (no
 * backend needed). Reads the Data settings only.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { getDataSettings } from '../../config/settings.js';
import { CONTEXT_FILE_PROVIDERS, contextFilePath, formatContextCsv, generateContextSeries, type ContextFileProvider } from '../../market-data/context.js';
import { validateCsv, type GapPolicy } from '../../market-data/csv.js';
import { formatIsoUtc, parseIsoUtc } from '../../market-data/dates.js';
import { formatProblem, type DataProblem } from '../../market-data/errors.js';
import { symbolProblem } from '../../market-data/file-name.js';
import { DEFAULT_GENERATE_START, formatCsv, generateBars } from '../../market-data/generate.js';
import { MarketDataRepository } from '../../market-data/repository.js';
import { barCount, Timeframe, type BarSeries } from '../../market-data/types.js';
import { ExitCode } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { printJson, printList } from '../render/json.js';
import { renderTable } from '../render/table.js';

function dataDir(): string {
  return resolve(getDataSettings().dir);
}

function symbolArgument(value: string): string {
  const problem = symbolProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

function isoOption(value: string): string {
  if (parseIsoUtc(value.trim()) === null) throw new InvalidArgumentError(`'${value}' is not an ISO date or date-time (e.g. 2024-01-05 or 2024-01-05T13:00:00Z).`);
  return value.trim();
}

function coverage(series: BarSeries): string {
  const bars = barCount(series);
  if (bars === 0) return 'no bars';
  return `${bars} bars of ${series.symbol} ${series.timeframe} from ${formatIsoUtc(series.time[0] as number)} to ${formatIsoUtc(series.time[bars - 1] as number)}`;
}

interface GenerateCliOptions {
  bars: number;
  seed: number;
  start: string;
  force?: boolean;
  context?: ContextFileProvider;
}

/** `--context fred|cftc_cot`: a context series (date,value) under KTRDR_DATA_DIR/context/<provider>/ instead of bars. */
async function generateContext(series: string, timeframe: Timeframe, options: GenerateCliOptions & { context: ContextFileProvider }): Promise<void> {
  if (timeframe !== '1d') {
    process.stderr.write(`error: context series are daily (fred) or weekly (cftc_cot) observations: give the timeframe 1d (got ${timeframe})\n`);
    process.exitCode = ExitCode.Usage;
    return;
  }
  const dir = dataDir();
  const path = contextFilePath(dir, options.context, series);
  if (!options.force && existsSync(path)) {
    process.stderr.write(`error: ${path} already exists; use --force to overwrite it\n`);
    process.exitCode = ExitCode.Failure;
    return;
  }
  const generated = generateContextSeries({ provider: options.context, series, count: options.bars, seed: options.seed, start: parseIsoUtc(options.start) as number });
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, formatContextCsv(generated));
  await rename(partial, path);
  const last = generated.time.length - 1;
  process.stdout.write(
    `wrote ${path}: ${generated.time.length} ${options.context} observations of ${series} from ${formatIsoUtc(generated.time[0] as number, true)} to ${formatIsoUtc(generated.time[last] as number, true)} (seed ${options.seed})\n`,
  );
  process.exitCode = ExitCode.Ok;
}

function generateCommand(): Command {
  return new Command('generate')
    .description('Write a deterministic synthetic series (regime-switching random walk) to KTRDR_DATA_DIR/<SYMBOL>_<TF>.csv')
    .argument('<symbol>', "symbol: letters, digits, '-' and '.' (e.g. EURUSD)", symbolArgument)
    .addArgument(new Argument('<timeframe>', 'bar timeframe').choices(Timeframe.options))
    .addOption(new Option('--bars <n>', 'number of bars').argParser(integerOption(1, 50_000_000)).default(5000))
    .addOption(new Option('--seed <s>', 'seed of the generator: the same seed writes the same file').argParser(integerOption(0, 0xffff_ffff)).default(42))
    .addOption(new Option('--start <iso>', 'time of the first bar, ISO date or date-time (UTC)').argParser(isoOption).default(DEFAULT_GENERATE_START))
    .option('--force', 'overwrite the file if it exists')
    .addOption(
      new Option('--context <provider>', 'write a context series SYMBOL (date,value) to KTRDR_DATA_DIR/context/<provider>/SYMBOL.csv instead: fred (weekday rates) or cftc_cot (weekly net positions); timeframe 1d; --bars counts observations').choices([
        ...CONTEXT_FILE_PROVIDERS,
      ]),
    )
    .action(async (symbol: string, timeframe: Timeframe, options: GenerateCliOptions) => {
      if (options.context !== undefined) {
        await generateContext(symbol, timeframe, { ...options, context: options.context });
        return;
      }
      const repository = new MarketDataRepository(dataDir());
      const path = repository.pathOf(symbol, timeframe);
      if (!options.force && existsSync(path)) {
        process.stderr.write(`error: ${path} already exists; use --force to overwrite it\n`);
        process.exitCode = ExitCode.Failure;
        return;
      }
      const series = generateBars({ symbol, timeframe, bars: options.bars, seed: options.seed, start: options.start });
      await mkdir(repository.dir, { recursive: true });
      // Written beside and renamed, so a reader never sees half a file.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, formatCsv(series));
      await rename(partial, path);
      process.stdout.write(`wrote ${path}: ${coverage(series)} (seed ${options.seed})\n`);
      process.exitCode = ExitCode.Ok;
    });
}

function listCommand(): Command {
  return new Command('list')
    .description('List the data files in KTRDR_DATA_DIR: symbol, timeframe, bars, first and last dates')
    .option('--json', 'print {items: [{symbol, timeframe, bars, start, end, file}], total} as JSON')
    .action(async (options: { json?: boolean }) => {
      const repository = new MarketDataRepository(dataDir());
      const { files, ignored } = await repository.scan();
      for (const file of ignored) process.stderr.write(`note: ignored ${file.file}: ${file.reason}\n`);
      process.exitCode = ExitCode.Ok;
      if (options.json) {
        printList(files);
        return;
      }
      if (files.length === 0) {
        process.stdout.write(`no market data in ${repository.dir} (create some with: ktrdr data generate EURUSD 1h)\n`);
        return;
      }
      const table = renderTable(
        [
          { header: 'symbol', value: (file) => file.symbol },
          { header: 'timeframe', value: (file) => file.timeframe },
          { header: 'bars', value: (file) => String(file.bars), align: 'right' },
          { header: 'start', value: (file) => file.start ?? '?' },
          { header: 'end', value: (file) => file.end ?? '?' },
          { header: 'file', value: (file) => file.file },
        ],
        files,
      );
      process.stdout.write(`${table}\n`);
    });
}

function validateCommand(): Command {
  return new Command('validate')
    .description('Check a data file: print every problem as FILE:LINE: reason (exit 1 when there is an error; warnings alone exit 0)')
    .argument('<file>', 'path of a <SYMBOL>_<TIMEFRAME>.csv file')
    .addOption(
      new Option('--gaps <policy>', 'gaps (a step longer than one bar): warn, since markets close at weekends; error for continuous data; or ignore')
        .choices(['warn', 'error', 'ignore'])
        .default('warn'),
    )
    .option('--json', 'print {file, valid, symbol, timeframe, bars, start, end, errors, warnings} as JSON')
    .action(async (file: string, options: { gaps: GapPolicy; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        process.stderr.write(`error: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = ExitCode.Failure;
        return;
      }
      const { series, errors, warnings } = validateCsv(text, file, { gaps: options.gaps });
      process.exitCode = errors.length > 0 ? ExitCode.Failure : ExitCode.Ok;
      if (options.json) {
        const bars = series ? barCount(series) : null;
        printJson({
          file,
          valid: errors.length === 0,
          symbol: series?.symbol ?? null,
          timeframe: series?.timeframe ?? null,
          bars,
          start: series && bars ? formatIsoUtc(series.time[0] as number) : null,
          end: series && bars ? formatIsoUtc(series.time[bars - 1] as number) : null,
          errors,
          warnings,
        });
        return;
      }
      const problems: { problem: DataProblem; kind: 'error' | 'warning' }[] = [
        ...errors.map((problem) => ({ problem, kind: 'error' as const })),
        ...warnings.map((problem) => ({ problem, kind: 'warning' as const })),
      ].sort((a, b) => a.problem.line - b.problem.line);
      for (const { problem, kind } of problems) process.stdout.write(`${formatProblem(problem, kind)}\n`);
      const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
      if (series) process.stdout.write(`${file}: valid: ${coverage(series)}${warnings.length > 0 ? ` (${counted(warnings.length, 'warning')})` : ''}\n`);
      else process.stderr.write(`${file}: invalid: ${counted(errors.length, 'error')}, ${counted(warnings.length, 'warning')}\n`);
    });
}

export function dataCommand(): Command {
  return new Command('data')
    .description('Market data in KTRDR_DATA_DIR: generate synthetic series, list and validate CSV files')
    .addCommand(generateCommand())
    .addCommand(listCommand())
    .addCommand(validateCommand());
}
