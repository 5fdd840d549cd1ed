/**
 * Turns training and backtest requests into operations. Everything that can be
 * checked before any work starts is checked here (the strategy file, the data,
 * the model), so a bad request gets a 4xx naming the problem and no operation
 * is created.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BacktestStartBody, TrainingStartBody } from '../../api/contract.js';
import { KtrdrError } from '../../common/errors.js';
import type { MarketDataRepository } from '../../market-data/repository.js';
import { parseStrategy } from '../../strategy/load.js';
import type { OperationRow } from '../../store/types.js';
import type { ModelStore } from './model-store.js';
import type { OperationsService } from './operations-service.js';

export interface WorkSubmissionsDeps {
  readonly operations: OperationsService;
  readonly marketData: MarketDataRepository;
  readonly models: ModelStore;
  /** KTRDR_DATA_STRATEGIES_DIR: where strategies named by file are looked up. */
  readonly strategiesDir: string;
}

const STRATEGY_NAME = /^[A-Za-z0-9_.-]+$/;
/** File names beyond this are refused before the file system is asked (it refuses names over 255 bytes). */
const MAX_STRATEGY_NAME_LENGTH = 200;

export class WorkSubmissions {
  constructor(private readonly deps: WorkSubmissionsDeps) {}

  async startTraining(body: TrainingStartBody): Promise<OperationRow> {
    const { text, source } = await this.strategyText(body.strategy);
    const strategy = parseStrategy(text, source);
    const symbol = body.symbol ?? strategy.training_data.symbols.symbol;
    const timeframe = body.timeframe ?? strategy.training_data.timeframes.timeframe;
    // Fails with 404 naming the file looked for, or 400 for a range selecting nothing.
    await this.deps.marketData.load(symbol, timeframe, { start: body.start_date, end: body.end_date });
    return this.deps.operations.submit({
      operationType: 'training',
      workerType: 'training',
      params: {
        strategy_yaml: text,
        strategy_name: strategy.name,
        symbol,
        timeframe,
        start_date: body.start_date ?? null,
        end_date: body.end_date ?? null,
        seed: body.seed,
      },
      metadata: { strategy_name: strategy.name, symbol, timeframe, strategy_source: source },
    });
  }

  async startBacktest(body: BacktestStartBody): Promise<OperationRow> {
    const model = await this.deps.models.get(body.model); // 404 naming the model when it does not exist
    const symbol = body.symbol ?? model.symbol;
    const timeframe = body.timeframe ?? model.timeframe;
    // By default a model is judged on what it never saw: its held-out test period.
    const startDate = body.start_date ?? (symbol === model.symbol && timeframe === model.timeframe ? model.periods.test.start : undefined);
    await this.deps.marketData.load(symbol, timeframe, { start: startDate, end: body.end_date });
    return this.deps.operations.submit({
      operationType: 'backtesting',
      workerType: 'backtesting',
      params: {
        model_id: model.model_id,
        symbol,
        timeframe,
        start_date: startDate ?? null,
        end_date: body.end_date ?? null,
        initial_capital: body.initial_capital,
        commission: body.commission,
        slippage: body.slippage,
      },
      metadata: { model_id: model.model_id, strategy_name: model.strategy_name, symbol, timeframe },
    });
  }

  /** The YAML itself (anything with a line break) or a file under the strategies directory. */
  private async strategyText(strategy: string): Promise<{ text: string; source: string }> {
    if (strategy.includes('\n')) return { text: strategy, source: 'request body' };
    const name = strategy.trim();
    if (!STRATEGY_NAME.test(name) || name.startsWith('.') || name.length > MAX_STRATEGY_NAME_LENGTH) {
      const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name;
      throw new KtrdrError(
        'VALIDATION_ERROR',
        `body.strategy: '${shown}' is neither strategy YAML nor a file name (1 to ${MAX_STRATEGY_NAME_LENGTH} letters, digits, '_', '-', '.', not starting with '.')`,
      );
    }
    const candidates = /\.ya?ml$/i.test(name) ? [name] : [`${name}.yaml`, `${name}.yml`, name];
    for (const candidate of candidates) {
      try {
        return { text: await readFile(join(this.deps.strategiesDir, candidate), 'utf8'), source: candidate };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EISDIR') throw error;
      }
    }
    const available = (await readdir(this.deps.strategiesDir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/i.test(f));
    throw new KtrdrError(
      'NOT_FOUND',
      `strategy '${name}' not found in KTRDR_DATA_STRATEGIES_DIR${available.length ? `; available: ${available.join(', ')}` : ''}`,
    );
  }
}
