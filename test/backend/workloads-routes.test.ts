import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COLUMNS_MEDIA_TYPE, decodeColumns } from '../../src/api/columns.js';
import { ModelArtifact, ModelSummary } from '../../src/api/contract.js';
import { HttpClient, NO_RETRY } from '../../src/client/http.js';
import { formatContextCsv, generateContextSeries } from '../../src/market-data/context.js';
import { formatIsoUtc } from '../../src/market-data/dates.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import type { Store } from '../../src/store/types.js';
import { BackendData } from '../../src/worker/backend-data.js';
import { BackendLink } from '../../src/worker/backend-link.js';
import { BacktestingParams } from '../../src/workloads/backtesting/params.js';
import { backtestingWorkload } from '../../src/workloads/backtesting/backtesting.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import type { ProgressUpdate, WorkloadContext } from '../../src/workloads/types.js';
import { FakeWorker } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';
import { modelArtifact } from './support/models.js';

const STRATEGIES = new URL('../../strategies/', import.meta.url);
const STRATEGY_FILES = readdirSync(STRATEGIES).filter((file) => file.endsWith('.yaml')).sort();
const MACD_YAML = readFileSync(new URL('macd_roc_trend.yaml', STRATEGIES), 'utf8');
/** rsi_adx_example.yaml with its fuzzy set pointing at an indicator that does not exist. */
const BAD_YAML = readFileSync(new URL('rsi_adx_example.yaml', STRATEGIES), 'utf8').replace(
  /(rsi_momentum:[^\n]*\n\s+indicator:) rsi_14/,
  '$1 rsi_41',
);
const BARS = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3_000, seed: 7, start: '2023-01-02T00:00:00Z' });
const HOUR = 3_600_000;

let backend: TestBackend;
let store: Store;
let dataDir: string;
let modelsDir: string;
let strategiesDir: string;
const workers: FakeWorker[] = [];

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-wl-data-'));
  modelsDir = mkdtempSync(join(tmpdir(), 'ktrdr-wl-models-'));
  strategiesDir = mkdtempSync(join(tmpdir(), 'ktrdr-wl-strategies-'));
  writeFileSync(join(dataDir, 'EURUSD_1h.csv'), formatCsv(BARS));
  for (const file of STRATEGY_FILES) copyFileSync(new URL(file, STRATEGIES), join(strategiesDir, file));
  writeFileSync(join(strategiesDir, 'bad.yaml'), BAD_YAML);
  backend = await startTestBackend({ dataDir, modelsDir, strategiesDir });
  store = backend.store;
});

afterEach(async () => {
  await backend?.stop();
  await Promise.all(workers.splice(0).map((fake) => fake.stop()));
});

const operationCount = async () => {
  const response = await backend.call('GET', '/operations');
  expect(response.status).toBe(200);
  return response.body.total_count as number;
};
const paramsOf = async (operationId: string) => (await store.operations.get(operationId))?.params;

const TRAINER = 'train-1';
const TRAINING_OPERATION = 'op_training_0123456789abcdef';
/** Uploads come from the worker the training is assigned to, so the model names that operation. */
const artifact = (modelId: string, createdAt: string): ModelArtifact => modelArtifact(modelId, createdAt, TRAINING_OPERATION);
/** The workloads' services over HTTP, as the worker TRAINER builds them (models through the link's outbox). */
const backendData = () => {
  const http = new HttpClient({ baseUrl: backend.api, timeoutMs: 30_000, token: () => backend.backend.tokens.issue(TRAINER, 'worker') });
  const link = new BackendLink({
    http,
    identity: { workerId: TRAINER, workerType: 'training' },
    logger: pino({ level: 'silent' }),
    registrationTimeoutMs: 5_000,
    registrationRetry: NO_RETRY,
    requestRetry: NO_RETRY,
  });
  return new BackendData(http, NO_RETRY, link);
};


/** A training operation running on `workerId`: the only worker that may upload its model. */
async function runningTraining(workerId = TRAINER, operationId = TRAINING_OPERATION): Promise<string> {
  await store.operations.create({ operationId, operationType: 'training', workerType: 'training', params: {}, metadata: {}, createdAt: new Date(backend.clock.now()) });
  await store.operations.update(operationId, { status: 'running', workerId, startedAt: new Date(backend.clock.now()) }, ['pending']);
  return operationId;
}

/** Uploads `model` as the worker its operation runs on. */
const upload = (model: ModelArtifact) => backend.as('worker', TRAINER).call('POST', '/models', model);

function context<P>(params: P, services: BackendData, operationId = TRAINING_OPERATION): WorkloadContext<P> & { updates: ProgressUpdate[] } {
  const updates: ProgressUpdate[] = [];
  return {
    operationId,
    params,
    resumeFrom: null,
    signal: new AbortController().signal,
    services,
    updates,
    progress: (update) => void updates.push(update),
    unitDone: () => Promise.resolve(),
  };
}

/** Trains macd_roc_trend on the backend's data through HTTP, as a training worker does; the model ends up in the backend. */
async function trainOverHttp(operationId?: string): Promise<string> {
  await runningTraining(TRAINER, operationId);
  const params = TrainingParams.parse({ strategy_yaml: MACD_YAML, strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h' });
  const result = await trainingWorkload.run(context(params, backendData(), operationId));
  return result.resultSummary.model_id as string;
}

describe('POST /trainings/start', () => {
  it('queues a training of a strategy named by file, with the YAML, the data and the seed in its params', async () => {
    const response = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true, status: 'pending' });
    const id = response.body.operation_id as string;

    const operation = (await backend.call('GET', `/operations/${id}`)).body.data;
    expect(operation).toMatchObject({
      operation_type: 'training',
      status: 'pending',
      metadata: { strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h', strategy_source: 'macd_roc_trend.yaml' },
    });
    const params = await paramsOf(id);
    expect(params).toEqual({
      strategy_yaml: MACD_YAML,
      strategy_name: 'macd_roc_trend',
      symbol: 'EURUSD',
      timeframe: '1h',
      start_date: null,
      end_date: null,
      seed: 42,
    });
    // What the training workload will be given parses with its schema unchanged.
    expect(TrainingParams.parse(params)).toEqual(params);

    // ".yaml" may be given too.
    const withSuffix = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend.yaml', seed: 3 });
    expect(withSuffix.status).toBe(200);
    expect(await paramsOf(withSuffix.body.operation_id)).toMatchObject({ strategy_yaml: MACD_YAML, seed: 3 });
    expect(await operationCount()).toBe(2);
  });

  it('takes the strategy YAML inline, with a date range and overrides', async () => {
    const yaml = MACD_YAML.replace('name: macd_roc_trend', 'name: inline_trend');
    const response = await backend.call('POST', '/trainings/start', {
      strategy: yaml,
      symbol: 'EURUSD',
      timeframe: '1h',
      start_date: '2023-01-15',
      end_date: '2023-04-01T00:00:00Z',
      seed: 7,
    });
    expect(response.status).toBe(200);
    const id = response.body.operation_id as string;
    expect((await backend.call('GET', `/operations/${id}`)).body.data.metadata).toEqual({
      strategy_name: 'inline_trend',
      symbol: 'EURUSD',
      timeframe: '1h',
      strategy_source: 'request body',
    });
    expect(await paramsOf(id)).toEqual({
      strategy_yaml: yaml,
      strategy_name: 'inline_trend',
      symbol: 'EURUSD',
      timeframe: '1h',
      start_date: '2023-01-15',
      end_date: '2023-04-01T00:00:00Z',
      seed: 7,
    });
  });

  it('hands the params to a training worker as the workload expects them', async () => {
    const worker = new FakeWorker('train-1', 'training');
    await worker.start();
    workers.push(worker);
    await backend.register(worker);
    const response = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', seed: 5 });
    await backend.backend.dispatcher.whenIdle();
    expect(worker.starts).toHaveLength(1);
    expect(worker.starts[0]).toMatchObject({ operation_id: response.body.operation_id, operation_type: 'training' });
    expect(TrainingParams.parse(worker.starts[0]?.params)).toMatchObject({ strategy_yaml: MACD_YAML, seed: 5, symbol: 'EURUSD' });
  });

  it('404 for an unknown strategy name, listing the strategies available; no operation is created', async () => {
    const response = await backend.call('POST', '/trainings/start', { strategy: 'no_such_strategy' });
    expect(response.status).toBe(404);
    expect(response.body.success).toBe(false);
    const message = response.body.error.message as string;
    expect(message).toContain("strategy 'no_such_strategy' not found");
    expect(message).toContain('KTRDR_DATA_STRATEGIES_DIR');
    expect(message).not.toContain(strategiesDir);
    for (const file of [...STRATEGY_FILES, 'bad.yaml']) expect(message).toContain(file);
    expect(await operationCount()).toBe(0);
  });

  it('400 for a name that could escape the strategies directory', async () => {
    const response = await backend.call('POST', '/trainings/start', { strategy: '../secrets' });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("body.strategy: '../secrets'");
    expect(await operationCount()).toBe(0);
  });

  it('400 naming the path in the strategy file for an invalid strategy, by name or inline; no operation is created', async () => {
    const byName = await backend.call('POST', '/trainings/start', { strategy: 'bad' });
    expect(byName.status).toBe(400);
    expect(byName.body.error.message).toContain("fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41'");
    expect(byName.body.error.message).toContain('bad.yaml');

    const inline = await backend.call('POST', '/trainings/start', { strategy: BAD_YAML });
    expect(inline.status).toBe(400);
    expect(inline.body.error.message).toContain("fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41'");

    const notYaml = await backend.call('POST', '/trainings/start', { strategy: 'name: [unclosed\nindicators: {' });
    expect(notYaml.status).toBe(400);
    expect(await operationCount()).toBe(0);
  });

  it('404 naming the data file when there is no data for the symbol or timeframe; no operation is created', async () => {
    const symbol = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', symbol: 'GBPUSD' });
    expect(symbol.status).toBe(404);
    expect(symbol.body.error.message).toContain('$KTRDR_DATA_DIR/GBPUSD_1h.csv');
    expect(symbol.body.error.message).not.toContain(dataDir);

    const timeframe = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', timeframe: '4h' });
    expect(timeframe.status).toBe(404);
    expect(timeframe.body.error.message).toContain('EURUSD_4h.csv');
    expect(timeframe.body.error.message).toContain('EURUSD is available in 1h');
    expect(await operationCount()).toBe(0);
  });

  it('400 for a date range that selects no bar or is reversed; no operation is created', async () => {
    const empty = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', start_date: '2030-01-01' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('no EURUSD 1h bars in [2030-01-01');
    expect(empty.body.error.message).toContain('covers 2023-01-02');

    const reversed = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', start_date: '2023-03-01', end_date: '2023-02-01' });
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.message).toContain('is not before end');

    const malformed = await backend.call('POST', '/trainings/start', { strategy: 'macd_roc_trend', start_date: 'yesterday' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain('start_date');
    expect(await operationCount()).toBe(0);
  });
});

describe('POST /backtests/start', () => {
  it('404 naming an unknown model; no operation is created', async () => {
    const response = await backend.call('POST', '/backtests/start', { model: 'model_missing' });
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe("model 'model_missing' not found");
    expect(await operationCount()).toBe(0);
  });

  it("backtests a saved model on its held-out test period by default, or from the start date given", async () => {
    const saved = artifact('model_a', '2024-01-01T00:00:00.000Z');
    await runningTraining();
    expect((await upload(saved)).status).toBe(200);
    const trainings = await operationCount();

    const response = await backend.call('POST', '/backtests/start', { model: 'model_a' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true, status: 'pending' });
    const id = response.body.operation_id as string;
    const params = await paramsOf(id);
    expect(params).toEqual({
      model_id: 'model_a',
      symbol: 'EURUSD',
      timeframe: '1h',
      start_date: saved.periods.test.start,
      end_date: null,
      initial_capital: 100_000,
      commission: 0.001,
      slippage: 0.0005,
      position_size: 0.25,
      whole_units: true,
    });
    expect(BacktestingParams.parse(params)).toEqual(params);
    expect((await backend.call('GET', `/operations/${id}`)).body.data).toMatchObject({
      operation_type: 'backtesting',
      metadata: { model_id: 'model_a', strategy_name: 'macd_roc_trend', symbol: 'EURUSD', timeframe: '1h' },
    });

    const explicit = await backend.call('POST', '/backtests/start', {
      model: 'model_a',
      start_date: '2023-02-01',
      end_date: '2023-03-01',
      initial_capital: 5_000,
      commission: 0,
      slippage: 0.001,
      position_size: 1,
      whole_units: false,
    });
    expect(explicit.status).toBe(200);
    expect(await paramsOf(explicit.body.operation_id)).toMatchObject({
      start_date: '2023-02-01',
      end_date: '2023-03-01',
      initial_capital: 5_000,
      commission: 0,
      slippage: 0.001,
      position_size: 1,
      whole_units: false,
    });
    const tooBig = await backend.call('POST', '/backtests/start', { model: 'model_a', position_size: 1.5 });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.message).toContain('position_size');

    // Checked before queueing: data for another symbol, and a range after the data.
    expect((await backend.call('POST', '/backtests/start', { model: 'model_a', symbol: 'GBPUSD' })).status).toBe(404);
    expect((await backend.call('POST', '/backtests/start', { model: 'model_a', start_date: '2031-01-01' })).status).toBe(400);
    expect(await operationCount()).toBe(trainings + 2);
  });

  it('400 for a model whose outputs are not trade signals (regime labels), naming the label source; no operation is created', async () => {
    const regime = { ...artifact('model_regime', '2024-01-01T00:00:00.000Z'), strategy_yaml: MACD_YAML.replace(/labels: \{[^}]*\}/, 'labels: {source: regime}') };
    await runningTraining();
    expect((await upload(regime)).status).toBe(200);
    const before = await operationCount();
    const response = await backend.call('POST', '/backtests/start', { model: 'model_regime' });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/training\.labels\.source 'regime' .* not trade signals/);
    expect(await operationCount()).toBe(before);
  });
});

describe('GET /data', () => {
  it('lists the data files with their bar counts and dates', async () => {
    writeFileSync(join(dataDir, 'not-a-series.csv'), 'date,open\n');
    const response = await backend.call('GET', '/data');
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      { symbol: 'EURUSD', timeframe: '1h', bars: 3_000, start: formatIsoUtc(BARS.time[0]!), end: formatIsoUtc(BARS.time[2_999]!) },
    ]);
  });

  it('serves the bars in [start_date, end_date) as columns, identical to the generated ones', async () => {
    const start = BARS.time[100]!;
    const end = BARS.time[250]!;
    const response = await backend.call('GET', `/data/EURUSD/1h?start_date=${new Date(start).toISOString()}&end_date=${new Date(end).toISOString()}`);
    expect(response.status).toBe(200);
    const expected = (column: Float64Array) => Array.from(column).filter((_, index) => BARS.time[index]! >= start && BARS.time[index]! < end);
    expect(response.body).toEqual({
      symbol: 'EURUSD',
      timeframe: '1h',
      time: expected(BARS.time),
      open: expected(BARS.open),
      high: expected(BARS.high),
      low: expected(BARS.low),
      close: expected(BARS.close),
      volume: expected(BARS.volume),
    });
    expect(response.body.time).toHaveLength(150);
    expect(response.body.time[0]).toBe(start);
    expect(response.body.time.at(-1)).toBe(end - HOUR);

    const all = await backend.call('GET', '/data/EURUSD/1h');
    expect(all.body.close).toEqual(Array.from(BARS.close));
    const byDate = await backend.call('GET', '/data/EURUSD/1h?start_date=2023-01-03&end_date=2023-01-04');
    expect(byDate.body.time).toEqual(Array.from({ length: 24 }, (_, hour) => Date.parse('2023-01-03T00:00:00Z') + hour * HOUR));
  });

  it('answers the same bars as float64 columns to Accept: application/vnd.ktrdr.columns+f64, JSON otherwise (Vary: Accept); errors stay JSON', async () => {
    const get = async (path: string, accept?: string) =>
      fetch(`${backend.api}${path}`, { headers: { authorization: `Bearer ${await backend.token()}`, ...(accept !== undefined && { accept }) } });
    const range = `?start_date=${new Date(BARS.time[100]!).toISOString()}&end_date=${new Date(BARS.time[250]!).toISOString()}`;
    for (const query of ['', range]) {
      const json = await get(`/data/EURUSD/1h${query}`);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json.headers.get('vary')).toMatch(/accept/i);
      const body = (await json.json()) as Record<string, unknown>;
      const binary = await get(`/data/EURUSD/1h${query}`, `${COLUMNS_MEDIA_TYPE}, application/json;q=0.5`);
      expect(binary.status).toBe(200);
      expect(binary.headers.get('content-type')).toBe(COLUMNS_MEDIA_TYPE);
      expect(binary.headers.get('vary')).toMatch(/accept/i);
      const frame = decodeColumns(await binary.arrayBuffer());
      expect(frame.meta).toEqual({ symbol: 'EURUSD', timeframe: '1h' });
      expect(frame.rows).toBe(query === '' ? 3_000 : 150);
      expect(Object.keys(frame.columns)).toEqual(['time', 'open', 'high', 'low', 'close', 'volume']);
      for (const [name, column] of Object.entries(frame.columns)) expect(Array.from(column)).toEqual(body[name]);
    }
    // Clients that accept anything (the earlier Python workers) get JSON, as before.
    expect((await get('/data/EURUSD/1h', '*/*')).headers.get('content-type')).toMatch(/^application\/json/);
    const missing = await get('/data/GBPUSD/1h', COLUMNS_MEDIA_TYPE);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('GBPUSD_1h.csv');
  });

  it('answers 404 for a missing series and 400 for a bad timeframe, date or range', async () => {
    const missing = await backend.call('GET', '/data/GBPUSD/1h');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('GBPUSD_1h.csv');
    expect((await backend.call('GET', '/data/EURUSD/2h')).status).toBe(400);
    expect((await backend.call('GET', '/data/EURUSD/1h?start_date=soon')).status).toBe(400);
    const empty = await backend.call('GET', '/data/EURUSD/1h?start_date=2030-01-01');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('no EURUSD 1h bars');
  });
});

describe('models', () => {
  it('POST /models stores a model; GET /models lists newest first without weights; GET /models/{id} returns it all', async () => {
    const older = artifact('model_old', '2024-01-01T00:00:00.000Z');
    const newer = artifact('model_new', '2024-02-01T00:00:00.000Z');
    expect((await backend.call('GET', '/models')).body).toEqual([]);
    await runningTraining();
    for (const model of [older, newer]) {
      const created = await upload(model);
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ success: true, model_id: model.model_id });
    }
    const listed = await backend.call('GET', '/models');
    expect(listed.status).toBe(200);
    expect(listed.body.map((m: { model_id: string }) => m.model_id)).toEqual(['model_new', 'model_old']);
    for (const summary of listed.body as Record<string, unknown>[]) {
      expect(summary).not.toHaveProperty('network');
      expect(summary).not.toHaveProperty('feature_spec');
      expect(summary).not.toHaveProperty('strategy_yaml');
    }
    expect(listed.body[1]).toEqual(ModelSummary.parse(older));

    const one = await backend.call('GET', '/models/model_old');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(older);
    expect((await backend.call('GET', '/models/model_unknown')).status).toBe(404);

    // The same upload again (a retry after a lost answer) is accepted; another model under a taken id is refused.
    expect((await upload(older)).status).toBe(200);
    const overwrite = await upload({ ...older, confidence_threshold: 0.6 });
    expect(overwrite.status).toBe(409);
    expect(overwrite.body.error.message).toContain("model 'model_old' already exists");
    expect((await backend.call('GET', '/models/model_old')).body).toEqual(older);
    expect((await backend.call('GET', '/models')).body).toHaveLength(2);
  });

  it('GET /models skips a corrupt summary file instead of failing the whole list', async () => {
    await runningTraining();
    expect((await upload(artifact('model_ok', '2024-01-01T00:00:00.000Z'))).status).toBe(200);
    writeFileSync(join(modelsDir, 'model_truncated.summary.json'), '{"model_id": "model_trunc');
    writeFileSync(join(modelsDir, 'model_other.summary.json'), JSON.stringify({ model_id: 'model_other' }));
    const listed = await backend.call('GET', '/models');
    expect(listed.status).toBe(200);
    expect(listed.body.map((m: { model_id: string }) => m.model_id)).toEqual(['model_ok']);
  });

  it('400 naming the field for a malformed model upload, and nothing is stored', async () => {
    const { metrics: _metrics, ...withoutMetrics } = artifact('model_bad', '2024-01-01T00:00:00.000Z');
    const missing = await upload(withoutMetrics as ModelArtifact);
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('metrics');

    const wrongType = await upload({ ...artifact('model_bad', '2024-01-01T00:00:00.000Z'), timeframe: '2h' } as unknown as ModelArtifact);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain('timeframe');

    const notJson = await backend.as('worker', TRAINER).call('POST', '/models', '{"model_id":');
    expect(notJson.status).toBe(400);
    expect((await backend.call('GET', '/models')).body).toEqual([]);
    expect((await backend.call('GET', '/models/model_bad')).status).toBe(404);
  });
});

describe('workload services over HTTP (BackendData)', () => {
  it('reads bars as the backend serves them, within a date range', async () => {
    const data = backendData();
    const all = await data.bars({ symbol: 'EURUSD', timeframe: '1h' });
    // Binary: the columns are views on the one response body.
    expect(all.close.buffer).toBe(all.time.buffer);
    expect(all.time).toEqual(BARS.time);
    expect(all.close).toEqual(BARS.close);
    expect(all.volume).toEqual(BARS.volume);
    // Millisecond ISO date-times (what the backtest's warm-up start is) are accepted.
    const some = await data.bars({ symbol: 'EURUSD', timeframe: '1h', startDate: new Date(BARS.time[10]!).toISOString(), endDate: '2023-01-03' });
    expect(Array.from(some.time)).toEqual(Array.from(BARS.time.subarray(10, 24)));
    await expect(data.bars({ symbol: 'GBPUSD', timeframe: '1h' })).rejects.toMatchObject({ status: 404 });
  });

  it('a training run saves its model through the backend, and a backtest of it runs from the test period', async () => {
    const modelId = await trainOverHttp();
    const listed = (await backend.call('GET', '/models')).body as ModelSummary[];
    expect(listed.map((m) => m.model_id)).toEqual([modelId]);
    const stored = ModelArtifact.parse((await backend.call('GET', `/models/${modelId}`)).body);
    expect(stored.operation_id).toBe(TRAINING_OPERATION);
    expect(readdirSync(modelsDir).sort()).toEqual([`${modelId}.json`, `${modelId}.summary.json`]);

    const start = await backend.call('POST', '/backtests/start', { model: modelId });
    expect(start.status).toBe(200);
    const params = BacktestingParams.parse(await paramsOf(start.body.operation_id));
    expect(params.start_date).toBe(stored.periods.test.start);

    const result = await backtestingWorkload.run(context(params, backendData(), start.body.operation_id));
    expect(result.resultSummary.start).toBe(stored.periods.test.start);
    const startMs = Date.parse(stored.periods.test.start);
    expect(result.resultSummary.bars).toBe(Array.from(BARS.time).filter((time) => time >= startMs).length);
    expect(typeof result.resultSummary.total_trades).toBe('number');
    // The buy-and-hold baseline of the same bars is in every result.
    expect(result.resultSummary.buy_and_hold).toMatchObject({ total_return: expect.any(Number), total_return_pct: expect.any(Number), final_equity: expect.any(Number) });
  });
});

describe('context data through the backend', () => {
  const CONTEXT_YAML = readFileSync(new URL('context_macro_eurusd.yaml', STRATEGIES), 'utf8');
  const writeContext = (provider: 'fred' | 'cftc_cot', series: string, start: string, count: number, seed: number) => {
    mkdirSync(join(dataDir, 'context', provider), { recursive: true });
    writeFileSync(join(dataDir, 'context', provider, `${series}.csv`), formatContextCsv(generateContextSeries({ provider, series, count, seed, start: Date.parse(start) })));
  };

  it('GET /data/context/:provider/:series serves a series to workers and the CLI; a missing one is a 404 naming the file, the format and the command', async () => {
    writeContext('fred', 'DGS10', '2022-09-01', 5, 1);
    const series = await backendData().contextSeries('fred', 'DGS10');
    expect(series.value.buffer).toBe(series.time.buffer);
    expect(series).toMatchObject({ provider: 'fred', series: 'DGS10' });
    const json = await backend.call('GET', '/data/context/fred/DGS10');
    expect(Array.from(series.value)).toEqual(json.body.value);
    expect(series.time).toHaveLength(5);
    expect(series.time[0]).toBe(Date.parse('2022-09-01'));
    expect((await backend.as('cli', 'cli-user').call('GET', '/data/context/fred/DGS10')).status).toBe(200);
    const missing = await backend.as('worker', TRAINER).call('GET', '/data/context/cftc_cot/EUR');
    expect(missing.status).toBe(404);
    // The backend shows its data directory as $KTRDR_DATA_DIR.
    expect(missing.body.error.message).toContain('$KTRDR_DATA_DIR/context/cftc_cot/EUR.csv does not exist (a CSV with the header date,value');
    expect(missing.body.error.message).toContain('ktrdr data generate EUR 1d --context cftc_cot');
    expect((await backend.as('worker', TRAINER).call('GET', '/data/context/bloomberg/EUR')).status).toBe(400);
  });

  it('a context strategy trains and backtests with the worker fetching its series from the backend; without a series it fails naming the file', async () => {
    writeContext('fred', 'DGS10', '2022-09-01', 250, 1);
    writeContext('fred', 'DGS2', '2022-09-01', 250, 2);
    writeContext('cftc_cot', 'EUR', '2021-10-01', 100, 3);
    await runningTraining();
    const params = TrainingParams.parse({ strategy_yaml: CONTEXT_YAML, strategy_name: 'context_macro_eurusd', symbol: 'EURUSD', timeframe: '1h' });
    const training = await trainingWorkload.run(context(params, backendData()));
    const modelId = training.resultSummary.model_id as string;
    const stored = ModelArtifact.parse((await backend.call('GET', `/models/${modelId}`)).body);
    const spec = stored.feature_spec as { context: { id: string }[]; columns: string[] };
    expect(spec.context.map((source) => source.id)).toEqual(['fred_DGS10', 'yield_spread_DGS10_DGS2', 'cot_EUR_net_pct']);

    const start = await backend.call('POST', '/backtests/start', { model: modelId });
    expect(start.status).toBe(200);
    const backtestParams = BacktestingParams.parse(await paramsOf(start.body.operation_id));
    const result = await backtestingWorkload.run(context(backtestParams, backendData(), start.body.operation_id));
    expect(result.resultSummary.start).toBe(stored.periods.test.start);
    expect(typeof result.resultSummary.total_trades).toBe('number');

    // Without the COT file the backtest fails naming it.
    rmSync(join(dataDir, 'context', 'cftc_cot', 'EUR.csv'));
    await expect(backtestingWorkload.run(context(backtestParams, backendData(), start.body.operation_id))).rejects.toThrow(/cftc_cot.EUR\.csv does not exist/);
  });
});

describe('authentication', () => {
  it('401 without a valid token on the workload, data and model routes', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/trainings/start', { strategy: 'macd_roc_trend' }],
      ['POST', '/backtests/start', { model: 'model_a' }],
      ['GET', '/data'],
      ['GET', '/data/EURUSD/1h'],
      ['GET', '/models'],
      ['GET', '/models/model_a'],
      ['POST', '/models', artifact('model_a', '2024-01-01T00:00:00.000Z')],
    ];
    for (const [method, path, body] of routes) {
      for (const authorization of ['', 'Bearer not-a-token']) {
        const response = await backend.call(method, path, body, { authorization });
        expect(response.status, `${method} ${path} with '${authorization}'`).toBe(401);
      }
    }
    expect(await operationCount()).toBe(0);
    expect((await backend.call('GET', '/models')).body).toEqual([]);
  });
});
