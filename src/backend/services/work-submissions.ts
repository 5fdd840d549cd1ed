/**
 * Turns training and backtest requests into operations. Everything that can be
 * checked before any work starts is checked here (the strategy file, the data,
 * the model), so a bad request gets a 4xx naming the problem and no operation
 * is created.
 */
import { ModelId, type BacktestStartBody, type ModelArtifact, type TrainingStartBody } from '../../api/contract.js';
import { KtrdrError } from '../../common/errors.js';
import type { MarketDataRepository } from '../../market-data/repository.js';
import type { Timeframe } from '../../market-data/types.js';
import { assertTrainable } from '../../strategy/capabilities.js';
import { assertBacktestable } from '../../strategy/decisions.js';
import { readNamedStrategy, strategyNameProblem } from '../../strategy/files.js';
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

export class WorkSubmissions {
  constructor(private readonly deps: WorkSubmissionsDeps) {}

  async startTraining(body: TrainingStartBody): Promise<OperationRow> {
    const { text, source } = await this.strategyText(body.strategy);
    const strategy = parseStrategy(text, source);
    // A request naming a symbol trains on it alone; otherwise on every symbol of the strategy (multi_symbol).
    const symbols = body.symbol !== undefined ? [body.symbol] : strategy.training_data.symbols.list;
    const symbol = symbols[0] as string;
    // Refuses, naming each reason, what this ktrdr would train differently than the file means.
    assertTrainable(strategy, { symbols });
    const timeframe = body.timeframe ?? (strategy.training_data.timeframes.timeframe as Timeframe);
    const timeframes = strategy.training_data.timeframes;
    // A multi-timeframe strategy's rows are its base timeframe's bars: another one would train another model.
    if (timeframes.list.length > 1 && timeframe !== timeframes.base_timeframe) {
      throw new KtrdrError('VALIDATION_ERROR', `timeframe: strategy '${strategy.name}' reads ${timeframes.list.join(', ')} with ${timeframes.base_timeframe} as its base, so it trains on ${timeframes.base_timeframe} (got ${timeframe})`);
    }
    // The request's range wins; otherwise the strategy's own (start_date / end_date / date_range).
    const startDate = body.start_date ?? strategy.training_data.start_date ?? undefined;
    const endDate = body.end_date ?? strategy.training_data.end_date ?? undefined;
    // Fails with 404 naming the file looked for, or 400 for a range selecting nothing.
    for (const each of symbols) await this.deps.marketData.load(each, timeframe, { start: startDate, end: endDate });
    return this.deps.operations.submit({
      operationType: 'training',
      workerType: 'training',
      params: {
        strategy_yaml: text,
        strategy_name: strategy.name,
        symbol,
        ...(symbols.length > 1 && { symbols }),
        timeframe,
        start_date: startDate ?? null,
        end_date: endDate ?? null,
        seed: body.seed,
      },
      metadata: { strategy_name: strategy.name, symbol, ...(symbols.length > 1 && { symbols }), timeframe, strategy_source: source },
    });
  }

  async startBacktest(body: BacktestStartBody): Promise<OperationRow> {
    const model = body.model !== undefined ? await this.deps.models.get(body.model) : await this.modelAtPath(body.model_path as string);
    if (body.strategy_name !== undefined && body.strategy_name !== model.strategy_name) {
      throw new KtrdrError('VALIDATION_ERROR', `body.strategy_name: model '${model.model_id}' was trained on strategy '${model.strategy_name}', not '${body.strategy_name}'`);
    }
    // A model whose outputs are no trade signals (context, regime labels) is refused before any operation exists.
    assertBacktestable(parseStrategy(model.strategy_yaml, `model ${model.model_id}'s strategy`));
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
        position_size: body.position_size,
        whole_units: body.whole_units,
      },
      metadata: { model_id: model.model_id, strategy_name: model.strategy_name, symbol, timeframe },
    });
  }

  /**
   * The earlier ktrdr's `model_path`: only ids read from its last components
   * (`<id>`, `<id>.json`, `<id>/<file>`) are looked up, in the models directory;
   * the path itself is never opened.
   */
  private async modelAtPath(modelPath: string): Promise<ModelArtifact> {
    const parts = modelPath.split(/[\\/]+/).filter((part) => part !== '');
    const last = parts[parts.length - 1] ?? '';
    const candidates = [last, last.replace(/(\.summary)?\.json$/i, ''), parts[parts.length - 2] ?? ''];
    const ids = [...new Set(candidates)].filter((id) => ModelId.safeParse(id).success);
    for (const id of ids) {
      try {
        return await this.deps.models.get(id);
      } catch (error) {
        if (!(error instanceof KtrdrError) || error.code !== 'NOT_FOUND') throw error;
      }
    }
    throw new KtrdrError('NOT_FOUND', `body.model_path: '${modelPath}' names no model (looked up by id: ${ids.join(', ') || 'none'}; see GET /models)`);
  }

  /** The YAML itself (anything with a line break) or a file under the strategies directory. */
  private async strategyText(strategy: string): Promise<{ text: string; source: string }> {
    if (strategy.includes('\n')) return { text: strategy, source: 'request body' };
    const name = strategy.trim();
    const problem = strategyNameProblem(name);
    if (problem) throw new KtrdrError('VALIDATION_ERROR', `body.strategy: ${problem} and not strategy YAML`);
    const found = await readNamedStrategy(this.deps.strategiesDir, name);
    return { text: found.text, source: found.file };
  }
}
