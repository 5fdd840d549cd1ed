/**
 * The strategy side of POST /trainings/start and POST /backtests/start: the
 * earlier ktrdr's request shapes, the strategy's own training range, and the
 * refusal of what this ktrdr cannot train yet, all through the HTTP API.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import type { Store } from '../../src/store/types.js';
import { startTestBackend, type TestBackend } from './support/harness.js';
import { modelArtifact } from './support/models.js';

const STRATEGIES = new URL('../../strategies/', import.meta.url);
const MACD_YAML = readFileSync(new URL('macd_roc_trend.yaml', STRATEGIES), 'utf8');
const FIXTURES = new URL('../strategy/fixtures/', import.meta.url);
const BARS = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3_000, seed: 7, start: '2023-01-02T00:00:00Z' });

/** macd_roc_trend with lines added under training_data. */
const withTrainingData = (lines: string) => MACD_YAML.replace(/training_data:\n/, `training_data:\n${lines}`);

let backend: TestBackend;
let store: Store;
let strategiesDir: string;

// One backend for the file (starting one is the slow part); every test counts the operations it adds.
beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-sr-data-'));
  const modelsDir = mkdtempSync(join(tmpdir(), 'ktrdr-sr-models-'));
  strategiesDir = mkdtempSync(join(tmpdir(), 'ktrdr-sr-strategies-'));
  writeFileSync(join(dataDir, 'EURUSD_1h.csv'), formatCsv(BARS));
  writeFileSync(join(dataDir, 'GBPUSD_1h.csv'), formatCsv(generateBars({ symbol: 'GBPUSD', timeframe: '1h', bars: 3_000, seed: 8, start: '2023-01-02T00:00:00Z' })));
  copyFileSync(new URL('macd_roc_trend.yaml', STRATEGIES), join(strategiesDir, 'macd_roc_trend.yaml'));
  for (const file of readdirSync(FIXTURES)) copyFileSync(new URL(file, FIXTURES), join(strategiesDir, file));
  writeFileSync(join(strategiesDir, 'ranged.yaml'), withTrainingData('  start_date: "2023-02-01"\n  end_date: "2023-04-01"\n'));
  writeFileSync(join(strategiesDir, 'agent_range.yaml'), withTrainingData('  date_range: {start: "2023-01-15", end: "2023-03-15"}\n'));
  writeFileSync(join(strategiesDir, 'basket.yaml'), MACD_YAML.replace(/symbols:.*\n/, 'symbols: {mode: multi_symbol, list: [EURUSD, GBPUSD]}\n'));
  backend = await startTestBackend({ dataDir, modelsDir, strategiesDir });
  store = backend.store;
}, 120_000);

afterAll(async () => {
  await backend?.stop();
});

let operationsBefore = 0;
beforeEach(async () => {
  operationsBefore = (await backend.call('GET', '/operations')).body.total_count as number;
});
/** Operations created by the current test. */
const operationCount = async () => ((await backend.call('GET', '/operations')).body.total_count as number) - operationsBefore;
const paramsOf = async (operationId: string) => (await store.operations.get(operationId))?.params;

describe('POST /trainings/start in the earlier ktrdr\'s shape', () => {
  it('{strategy_name, symbols, timeframes, start_date, end_date} queues the same training as {strategy, symbol, timeframe, …}', async () => {
    const earlier = await backend.call('POST', '/trainings/start', {
      strategy_name: 'macd_roc_trend',
      symbols: ['GBPUSD'],
      timeframes: ['1h'],
      start_date: '2023-01-10',
      end_date: '2023-03-10',
    });
    expect(earlier.status).toBe(200);
    const today = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', symbol: 'GBPUSD', timeframe: '1h', start_date: '2023-01-10', end_date: '2023-03-10' });
    expect(today.status).toBe(200);
    const [a, b] = [await paramsOf(earlier.body.operation_id), await paramsOf(today.body.operation_id)];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ strategy_name: 'macd_roc_trend', symbol: 'GBPUSD', timeframe: '1h', start_date: '2023-01-10', end_date: '2023-03-10' });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['both strategy and strategy_name', { strategy: 'macd_roc_trend', strategy_name: 'macd_roc_trend' }, 'body.strategy'],
    ['neither', { symbols: ['EURUSD'] }, 'body.strategy'],
    ['a strategy_name that could leave the directory', { strategy_name: '../secrets' }, 'body.strategy_name'],
    ['two symbols', { strategy_name: 'macd_roc_trend', symbols: ['EURUSD', 'GBPUSD'] }, 'body.symbols'],
    ['symbol and symbols that differ', { strategy_name: 'macd_roc_trend', symbol: 'EURUSD', symbols: ['GBPUSD'] }, 'body.symbols'],
    ['a thousand timeframes', { strategy_name: 'macd_roc_trend', timeframes: Array.from({ length: 1000 }, () => '1h') }, 'body.timeframes'],
    ['a NUL in strategy_name', { strategy_name: 'macd\u0000' }, 'body.strategy_name'],
  ])('400 for %s, naming the field; no operation is created', async (_name, body, field) => {
    const response = await backend.call('POST', '/trainings/start', body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error)).toContain(field);
    expect(await operationCount()).toBe(0);
  });
});

describe('the training range of the strategy file', () => {
  it('start_date / end_date of the file are the default range; the request wins', async () => {
    const byFile = await backend.call('POST', '/trainings/start', { strategy: 'ranged' });
    expect(byFile.status).toBe(200);
    expect(await paramsOf(byFile.body.operation_id)).toMatchObject({ start_date: '2023-02-01', end_date: '2023-04-01' });

    const overridden = await backend.call('POST', '/trainings/start', { strategy: 'ranged', start_date: '2023-01-05' });
    expect(await paramsOf(overridden.body.operation_id)).toMatchObject({ start_date: '2023-01-05', end_date: '2023-04-01' });
  });

  it('date_range is the default range too', async () => {
    const response = await backend.call('POST', '/trainings/start', { strategy_name: 'agent_range' });
    expect(response.status).toBe(200);
    expect(await paramsOf(response.body.operation_id)).toMatchObject({ start_date: '2023-01-15', end_date: '2023-03-15' });
  });

  it('a range of the file that selects no bar is refused like a requested one', async () => {
    writeFileSync(join(strategiesDir, 'future.yaml'), withTrainingData('  start_date: "2031-01-01"\n'));
    const response = await backend.call('POST', '/trainings/start', { strategy: 'future' });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('no EURUSD 1h bars in [2031-01-01');
  });
});

describe('what this ktrdr cannot train yet', () => {
  it('400 naming every reason, and no operation, rather than training something else', async () => {
    writeFileSync(join(strategiesDir, 'adagrad.yaml'), MACD_YAML.replace(/optimizer: adam\n/, 'optimizer: adagrad\n'));
    const response = await backend.call('POST', '/trainings/start', { strategy: 'adagrad' });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      "strategy 'macd_roc_trend' cannot be trained by this ktrdr yet: training.optimizer adagrad (adam, adamw, sgd, rmsprop) (training.optimizer)",
    );
    expect(await operationCount()).toBe(0);
  });

  it('an LSTM with triple-barrier labels and raw inputs is trained as written', async () => {
    const response = await backend.call('POST', '/trainings/start', { strategy: 'v3_lstm_triple_barrier' });
    expect(response.status).toBe(200);
  });

  it('a multi-symbol strategy trains on every symbol of its list, or on the one the request names', async () => {
    const all = await backend.call('POST', '/trainings/start', { strategy: 'basket' });
    expect(all.status).toBe(200);
    expect(await paramsOf(all.body.operation_id)).toMatchObject({ symbol: 'EURUSD', symbols: ['EURUSD', 'GBPUSD'] });
    const one = await backend.call('POST', '/trainings/start', { strategy: 'basket', symbols: ['GBPUSD'] });
    expect(one.status).toBe(200);
    expect(await paramsOf(one.body.operation_id)).toMatchObject({ symbol: 'GBPUSD' });
  });

  it('a multi-timeframe strategy is queued on its base timeframe; a symbol without base data is 404 naming the file', async () => {
    const mtf = readFileSync(new URL('mtf_trend_raw.yaml', STRATEGIES), 'utf8');
    const response = await backend.call('POST', '/trainings/start', { strategy: mtf });
    expect(response.status).toBe(200);
    expect(await paramsOf(response.body.operation_id)).toMatchObject({ strategy_name: 'mtf_trend_raw', symbol: 'EURUSD', timeframe: '1h' });
    const missing = await backend.call('POST', '/trainings/start', { strategy: mtf, symbol: 'USDJPY' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('USDJPY_1h.csv');
    const otherBase = await backend.call('POST', '/trainings/start', { strategy: mtf, timeframe: '4h' });
    expect(otherBase.status).toBe(400);
    expect(otherBase.body.error.message).toContain("strategy 'mtf_trend_raw' reads 1h, 4h, 1d with 1h as its base, so it trains on 1h (got 4h)");
    expect(await operationCount()).toBe(1);
  });

  it('a file the original loads with only ignored keys and unknown keys trains', async () => {
    const text = MACD_YAML.replace('name: macd_roc_trend', 'name: macd_roc_trend\nscope: universal\nbacktest: {date_range: {start: "2024-01-01"}}\nfuture_key: 1');
    const response = await backend.call('POST', '/trainings/start', { strategy: text });
    expect(response.status).toBe(200);
  });
});

describe('POST /backtests/start in the earlier ktrdr\'s shape', () => {
  beforeAll(async () => {
    // Models come from the training worker their operation ran on.
    const operationId = 'op_training_model_a';
    await store.operations.create({ operationId, operationType: 'training', workerType: 'training', params: {}, metadata: {}, createdAt: new Date(backend.clock.now()) });
    await store.operations.update(operationId, { status: 'running', workerId: 'train-1', startedAt: new Date(backend.clock.now()) }, ['pending']);
    const model = { ...modelArtifact('model_a', '2024-01-01T00:00:00.000Z', operationId), strategy_yaml: MACD_YAML };
    expect((await backend.as('worker', 'train-1').call('POST', '/models', model)).status).toBe(200);
  });

  it.each(['model_a', 'models/macd_roc_trend/model_a', 'model_a.json', '/var/lib/ktrdr/models/model_a/model.pt', 'C:\\models\\model_a'])(
    'model_path %s names model model_a by its id',
    async (modelPath) => {
      const response = await backend.call('POST', '/backtests/start', {
        strategy_name: 'macd_roc_trend',
        symbol: 'EURUSD',
        timeframe: '1h',
        start_date: '2023-02-01',
        end_date: '2023-03-01',
        model_path: modelPath,
      });
      expect(response.status).toBe(200);
      expect(await paramsOf(response.body.operation_id)).toMatchObject({ model_id: 'model_a', symbol: 'EURUSD', start_date: '2023-02-01', end_date: '2023-03-01' });
    },
  );

  it('a path is never opened: one that names no model id is 404 naming only what was given', async () => {
    for (const modelPath of ['/etc/passwd', '../../../etc/hostname', '..', 'models/../model_b']) {
      const response = await backend.call('POST', '/backtests/start', { model_path: modelPath });
      expect(response.status).toBe(404);
      expect(response.body.error.message).toMatch(/^body\.model_path: '.*' names no model \(looked up by id: .*; see GET \/models\)$/);
      expect(response.body.error.message).not.toContain(tmpdir());
    }
    expect(await operationCount()).toBe(0);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['both model and model_path', { model: 'model_a', model_path: 'model_a' }, 'body.model'],
    ['neither', { symbol: 'EURUSD' }, 'body.model'],
    ['another strategy than the model\'s', { model_path: 'model_a', strategy_name: 'rsi_adx_example' }, "trained on strategy 'macd_roc_trend', not 'rsi_adx_example'"],
    ['a model_path of 5,000 characters', { model_path: 'a/'.repeat(2_500) }, 'body.model_path'],
    ['a NUL in model_path', { model_path: 'model_a\u0000' }, 'body.model_path'],
  ])('400 for %s; no operation is created', async (_name, body, expected) => {
    const response = await backend.call('POST', '/backtests/start', body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error)).toContain(expected);
    expect(await operationCount()).toBe(0);
  });
});
