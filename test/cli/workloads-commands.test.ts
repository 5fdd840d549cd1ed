/**
 * `ktrdr train`, `ktrdr backtest` and `ktrdr models` through the real CLI process
 * against a stub backend: the request bodies sent, what is printed for people
 * (progress lines, metrics tables) and for scripts (--json), and the exit codes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelSummary, OperationRecord, StartOperationResponse } from '../../src/api/contract.js';
import { cleanEnv, runCli } from './helpers/run-cli.js';
import { BACKTEST_TRADES, modelArtifact, TRAINING_SUMMARY, type StubBackend } from './helpers/stub-backend.js';
import { lines, useStubBackend } from './helpers/stub-session.js';

const session = useStubBackend();
let stub: StubBackend;
let workDir: string;

const ktrdr = (args: string[]) => session.ktrdr(args, {}, { cwd: workDir });
const fast = ['--interval-ms', '10'];
const posts = (path: string) => stub.apiRequests().filter((request) => request.method === 'POST' && request.path === path);

const STRATEGY_YAML = ['name: rsi_test', 'indicators:', '  - type: rsi', '    name: rsi_14', '    period: 14', ''].join('\n');

beforeAll(() => {
  stub = session.stub;
  workDir = mkdtempSync(join(tmpdir(), 'ktrdr-workloads-cli-'));
  writeFileSync(join(workDir, 'my_strategy.yaml'), STRATEGY_YAML);
  writeFileSync(join(workDir, 'one_line.yaml'), 'name: one_line');
});
beforeEach(() => {
  stub.trainingFinal = 'completed';
  stub.backtestFinal = 'completed';
  stub.startRejection = null;
  stub.models = [modelArtifact()];
});

describe('ktrdr train', () => {
  it('sends the text of a local strategy file and prints the operation id (exit 0)', async () => {
    const result = await ktrdr(['train', 'my_strategy.yaml']);
    expect(result.code).toBe(0);
    const [request] = posts('/trainings/start');
    // Only what was chosen: the backend's defaults (seed) stay the backend's.
    expect(request?.body).toEqual({ strategy: STRATEGY_YAML });
    expect(request?.claims).toMatchObject({ role: 'cli' });
    expect(result.stdout).toMatch(/^started training operation (op_training_\d+) of my_strategy\.yaml \(pending\); follow it with: ktrdr ops watch \1\n$/);
  });

  it('sends a one-line local file as YAML (with the line break the backend tells YAML by)', async () => {
    const result = await ktrdr(['train', './one_line.yaml']);
    expect(result.code).toBe(0);
    expect(posts('/trainings/start')[0]?.body).toEqual({ strategy: 'name: one_line\n' });
  });

  it('sends a name that is not a local file as the name, with every option in the contract body', async () => {
    const result = await ktrdr(['train', 'rsi_adx_example', '--symbol', 'EURUSD', '--timeframe', '4h', '--start', '2023-01-01', '--end', '2024-01-01T00:00:00Z', '--seed', '7']);
    expect(result.code).toBe(0);
    expect(posts('/trainings/start')[0]?.body).toEqual({
      strategy: 'rsi_adx_example',
      symbol: 'EURUSD',
      timeframe: '4h',
      start_date: '2023-01-01',
      end_date: '2024-01-01T00:00:00Z',
      seed: 7,
    });
    expect(result.stdout).toContain("of 'rsi_adx_example'");
  });

  it('--json prints the submission answer', async () => {
    const result = await ktrdr(['train', 'rsi_adx_example', '--json']);
    expect(result.code).toBe(0);
    const answer = StartOperationResponse.parse(JSON.parse(result.stdout));
    expect(answer.operation_id).toMatch(/^op_training_\d+$/);
  });

  it('--watch shows epoch, loss, validation loss and accuracy per poll, then the test metrics, and exits 0', async () => {
    const result = await ktrdr(['train', 'my_strategy.yaml', '--watch', ...fast]);
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toMatch(/^started training operation op_training_\d+ of my_strategy\.yaml \(pending\)$/);
    // Epoch 1 of 50: loss 1/2, val_loss 1.5/2, val_accuracy 0.3 + 1/200.
    expect(out).toContainEqual(expect.stringMatching(/\s2% running \| Epoch 1\/50 \| loss=0\.5000 val_loss=0\.7500 val_accuracy=30\.5%$/));
    // Epoch 25 (resumed from a checkpoint at epoch 3): loss 1/26, val_loss 1.5/26, val_accuracy 0.3 + 25/200.
    expect(out).toContainEqual(
      expect.stringMatching(/\s50% running \| Epoch 25\/50 \| loss=0\.0385 val_loss=0\.0577 val_accuracy=42\.5% resumed from epoch 3$/),
    );
    const end = out.slice(out.findIndex((line) => line.startsWith('training op_training_')));
    expect(end[0]).toBe(`training ${end[0]?.split(' ')[1]} completed: model ${TRAINING_SUMMARY.model_id}`);
    expect(end).toContain(`model          ${TRAINING_SUMMARY.model_id}`);
    expect(end).toContain('test accuracy  54.3%');
    expect(end).toContain('test loss      0.9313');
    expect(end).toContain('epochs         23 trained, best epoch 18');
    expect(end).toContain('resumed from   epoch 3');
    const classes = end.slice(end.findIndex((line) => line.startsWith('CLASS')));
    expect(classes.slice(0, 4)).toEqual(['CLASS  PRECISION  RECALL', 'BUY        41.0%   38.2%', 'HOLD       60.1%   70.0%', 'SELL       40.3%   33.3%']);
    expect(end.at(-1)).toBe(`backtest it with: ktrdr backtest ${TRAINING_SUMMARY.model_id} --watch`);
  });

  it('--watch exits 1 when the training fails, naming the error', async () => {
    stub.trainingFinal = 'failed';
    const result = await ktrdr(['train', 'rsi_adx_example', '--watch', ...fast]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).at(-1)).toMatch(/^operation op_training_\d+ failed: training failed at epoch 25: not enough rows$/);
    expect(result.stdout).not.toContain('test accuracy');
  });

  it('--watch --json prints the submission, then one record per poll, the last the final one with the metrics', async () => {
    const result = await ktrdr(['train', 'rsi_adx_example', '--watch', '--json', ...fast]);
    expect(result.code).toBe(0);
    const [submission, ...polls] = lines(result.stdout).map((line) => JSON.parse(line) as unknown);
    const { operation_id } = StartOperationResponse.parse(submission);
    const records = polls.map((poll) => OperationRecord.parse(poll));
    expect(records.map((op) => op.status)).toEqual(['pending', 'running', 'running', 'completed']);
    expect(records.every((op) => op.operation_id === operation_id)).toBe(true);
    expect(records[1]?.progress.context).toMatchObject({ epoch: 1, epochs: 50, loss: 0.5 });
    expect(records.at(-1)?.result_summary).toEqual(TRAINING_SUMMARY);
  });

  it('--watch --json exits 1 when the training is cancelled', async () => {
    stub.trainingFinal = 'cancelled';
    const result = await ktrdr(['train', 'rsi_adx_example', '--watch', '--json', ...fast]);
    expect(result.code).toBe(1);
    expect(JSON.parse(lines(result.stdout).at(-1) ?? '{}')).toMatchObject({ status: 'cancelled' });
  });

  it('prints the backend message of a 400 (each problem by its path in the file) and exits 1', async () => {
    const message = "invalid strategy request body (2 problems):\nfuzzy_sets.rsi.indicator: unknown indicator 'rsi_41'\nmodel.training.epochs: expected an integer >= 1";
    stub.startRejection = { status: 400, body: { success: false, error: { code: 'VALIDATION_ERROR', message } } };
    const result = await ktrdr(['train', 'my_strategy.yaml', '--watch', ...fast]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: the backend refused to train my_strategy.yaml (400):\n${message}\n`);
    expect(result.stdout).toBe('');
    // Nothing was followed: the only request is the refused submission.
    expect(stub.apiRequests().map((request) => `${request.method} ${request.path}`)).toEqual(['POST /trainings/start']);
  });

  it('reports a strategy name the backend does not know (404) and exits 1', async () => {
    stub.startRejection = { status: 404, body: { success: false, error: { code: 'NOT_FOUND', message: "strategy 'nope' not found in ./strategies" } } };
    const result = await ktrdr(['train', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("404: strategy 'nope' not found in ./strategies");
  });

  it('refuses a path that is not a file here, without calling the backend (exit 1)', async () => {
    const result = await ktrdr(['train', 'strategies/missing.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("strategy file 'strategies/missing.yaml' does not exist");
    expect(stub.apiRequests()).toEqual([]);
  });

  it.each([
    [['--seed', '-1'], "option '--seed <n>' argument '-1' is invalid"],
    [['--seed', 'abc'], "'abc' is not an integer in 0..4294967295"],
    [['--timeframe', '2h'], "'2h' is invalid. Allowed choices are 1m, 5m, 15m, 30m, 1h, 4h, 1d"],
    [['--start', 'yesterday'], "'yesterday' is not an ISO date or date-time"],
    [['--start', '2024-02-30'], "'2024-02-30' is not an ISO date or date-time"],
    [['--symbol', '../etc'], "'../etc' is not a symbol"],
    [['--start', '2024-02-01', '--end', '2024-01-01'], '--start 2024-02-01 must be before --end 2024-01-01'],
    [['--interval-ms', '0'], "'0' is not an integer in 10..3600000"],
  ])('refuses %j as a usage error (exit 2) without calling the backend', async (options, message) => {
    const result = await ktrdr(['train', 'rsi_adx_example', ...options]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(stub.apiRequests()).toEqual([]);
  });
});

describe('ktrdr backtest', () => {
  it('sends the model and every option in the contract body and prints the operation id', async () => {
    const args = ['backtest', 'mdl_rsi_EURUSD_1h_001', '--symbol', 'GBPUSD', '--timeframe', '1h', '--start', '2024-01-01', '--end', '2024-03-01'];
    const result = await ktrdr([...args, '--capital', '50000', '--commission', '0.0005', '--slippage', '0', '--position-size', '0.5', '--fractional-units']);
    expect(result.code).toBe(0);
    expect(posts('/backtests/start')[0]?.body).toEqual({
      model: 'mdl_rsi_EURUSD_1h_001',
      symbol: 'GBPUSD',
      timeframe: '1h',
      start_date: '2024-01-01',
      end_date: '2024-03-01',
      initial_capital: 50_000,
      commission: 0.0005,
      slippage: 0,
      position_size: 0.5,
      whole_units: false,
    });
    expect(result.stdout).toMatch(/^started backtesting operation (op_backtesting_\d+) of model mdl_rsi_EURUSD_1h_001 \(pending\); follow it with: ktrdr ops watch \1\n$/);
  });

  it('sends only the model when no option is given; --json prints the submission', async () => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--json']);
    expect(result.code).toBe(0);
    expect(posts('/backtests/start')[0]?.body).toEqual({ model: 'mdl_rsi_EURUSD_1h_001' });
    expect(StartOperationResponse.parse(JSON.parse(result.stdout)).operation_id).toMatch(/^op_backtesting_\d+$/);
  });

  it('--watch shows bars, equity and trades per poll, then the performance figures, and exits 0', async () => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--watch', ...fast]);
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    // Half-way: bar 25000 of 50000, equity 100000 + 25000 / 10, 25 trades.
    expect(out).toContainEqual(expect.stringMatching(/\s50% running \| Bar 25000\/50000 \| equity=102,500\.00 trades=25$/));
    const end = out.slice(out.findIndex((line) => line.startsWith('backtest op_backtesting_')));
    expect(end[0]).toMatch(/^backtest op_backtesting_\d+ completed$/);
    // The buy-and-hold baseline of the same bars stands beside the figures it compares with.
    expect(end.slice(1)).toEqual([
      'model              mdl_rsi_EURUSD_1h_001',
      'period             2024-03-01 00:00 to 2024-06-01 00:00',
      'total return       12.35%      buy and hold 5.01%',
      'annualised return  25.12%      buy and hold 10.02%',
      'sharpe ratio       1.23        buy and hold 0.50',
      'sortino ratio      1.88',
      'max drawdown       8.76%       buy and hold 12.34%',
      'win rate           56.3%',
      'profit factor      1.73',
      'trades             16 (9 won, 7 lost)',
      'avg holding        12.3 h',
      'initial capital    100,000.00',
      'final equity       112,345.00  buy and hold 105,010.00',
    ]);
    expect(stub.apiRequests().some((request) => request.path.endsWith('/results'))).toBe(false);
  });

  it('--watch --trades prints the trades from the results route', async () => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--watch', '--trades', ...fast]);
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    const table = out.slice(out.findIndex((line) => line.startsWith('#')));
    expect(table[0]).toMatch(/^#\s+SIDE\s+ENTRY\s+ENTRY PRICE\s+EXIT\s+EXIT PRICE\s+UNITS\s+PNL\s+RETURN$/);
    expect(table[1]).toMatch(/^1\s+LONG\s+2024-03-04 10:00\s+1\.08234\s+2024-03-05 14:00\s+1\.0901\s+92000\s+1,234\.50\s+1\.23%$/);
    expect(table[2]).toMatch(/^2\s+SHORT\s+2024-03-06 09:00\s+1\.0912\s+2024-03-06 18:00\s+1\.0951\s+91500\s+-456\.25\s+-0\.45%$/);
    expect(table).toHaveLength(3);
    expect(stub.apiRequests().filter((request) => request.path.endsWith('/results'))).toHaveLength(1);
  });

  it('--watch --json --trades ends with the results document (trades and equity curve)', async () => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--watch', '--json', '--trades', ...fast]);
    expect(result.code).toBe(0);
    const parsed = lines(result.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(OperationRecord.parse(parsed.at(-2)).status).toBe('completed');
    // Trade times in ISO 8601, as every time in the CLI's JSON (the stub serves epoch ms, as older workers do).
    const isoTrades = BACKTEST_TRADES.map((trade) => ({ ...trade, entry_time: new Date(trade.entry_time).toISOString(), exit_time: new Date(trade.exit_time).toISOString() }));
    expect(parsed.at(-1)).toMatchObject({ status: 'completed', results: { trades: isoTrades } });
    expect((parsed.at(-1)?.results as { equity_curve: unknown[] }).equity_curve).toHaveLength(1);
  });

  it('--watch exits 1 when the backtest fails, without the figures', async () => {
    stub.backtestFinal = 'failed';
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--watch', '--trades', ...fast]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).at(-1)).toMatch(/^operation op_backtesting_\d+ failed: backtest failed: model mdl_x has 12 inputs/);
    expect(result.stdout).not.toContain('total return');
    expect(stub.apiRequests().some((request) => request.path.endsWith('/results'))).toBe(false);
  });

  it('--each-symbol submits one backtest per symbol of the model\'s strategy, each followed in turn, and reports each', async () => {
    const multi = readFileSync(new URL('../../strategies/multi_symbol_bbands.yaml', import.meta.url), 'utf8');
    stub.models = [modelArtifact({ model_id: 'mdl_multi', strategy_yaml: multi })];
    const result = await ktrdr(['backtest', 'mdl_multi', '--each-symbol', '--watch', ...fast]);
    expect(result.code, result.stderr).toBe(0);
    expect(posts('/backtests/start').map((request) => request.body)).toEqual([
      { model: 'mdl_multi', symbol: 'EURUSD' },
      { model: 'mdl_multi', symbol: 'GBPUSD' },
    ]);
    const out = lines(result.stdout);
    expect(out[0]).toBe('model mdl_multi: 2 symbols (EURUSD, GBPUSD), one backtest each');
    // Each in turn: the first is followed to its figures before the second is submitted.
    expect(out.indexOf('--- GBPUSD')).toBeGreaterThan(out.findIndex((line) => line.startsWith('total return')));
    expect(out.filter((line) => line.startsWith('total return'))).toHaveLength(2);
    expect(out.slice(-3)).toEqual([
      'backtests of model mdl_multi:',
      expect.stringMatching(/^ {2}EURUSD {5}op_backtesting_\d+ {2}completed$/),
      expect.stringMatching(/^ {2}GBPUSD {5}op_backtesting_\d+ {2}completed$/),
    ]);

    // A failed one makes the whole run exit 1, naming which.
    stub.requests.length = 0;
    stub.backtestFinal = 'failed';
    const failed = await ktrdr(['backtest', 'mdl_multi', '--each-symbol', '--watch', ...fast]);
    expect(failed.code).toBe(1);
    expect(lines(failed.stdout).slice(-2)).toEqual([
      expect.stringMatching(/^ {2}EURUSD {5}op_backtesting_\d+ {2}did not complete$/),
      expect.stringMatching(/^ {2}GBPUSD {5}op_backtesting_\d+ {2}did not complete$/),
    ]);

    // Without --watch: both submitted; with --symbol: a usage error.
    stub.requests.length = 0;
    const submitted = await ktrdr(['backtest', 'mdl_multi', '--each-symbol']);
    expect(submitted.code).toBe(0);
    expect(posts('/backtests/start')).toHaveLength(2);
    const both = await ktrdr(['backtest', 'mdl_multi', '--each-symbol', '--symbol', 'EURUSD']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--each-symbol and --symbol EURUSD exclude each other');
  });

  it('--each-symbol names a model whose stored strategy does not load (exit 1, nothing submitted)', async () => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', '--each-symbol']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--each-symbol: the strategy stored with model mdl_rsi_EURUSD_1h_001 does not load");
    expect(posts('/backtests/start')).toEqual([]);
  });

  it('reports an unknown model with the backend message and exits 1', async () => {
    const result = await ktrdr(['backtest', 'mdl_nope', '--watch', ...fast]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("404: model 'mdl_nope' not found");
  });

  it.each([
    [['--commission', '0.5'], "'0.5' is not a number in 0..0.1"],
    [['--slippage', '-0.01'], "'-0.01' is not a number in 0..0.1"],
    [['--capital', '0'], "'0' is not a number > 0"],
    [['--capital', 'lots'], "'lots' is not a number > 0"],
    [['--position-size', '0'], "'0' is not a fraction in (0, 1]"],
    [['--position-size', '1.5'], "'1.5' is not a fraction in (0, 1]"],
    [['--end', '2024-13-01'], "'2024-13-01' is not an ISO date or date-time"],
    [['--trades'], '--trades needs --watch'],
  ])('refuses %j as a usage error (exit 2) without calling the backend', async (options, message) => {
    const result = await ktrdr(['backtest', 'mdl_rsi_EURUSD_1h_001', ...options]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(stub.apiRequests()).toEqual([]);
  });
});

describe('ktrdr models', () => {
  it('list prints id, strategy, data, created, test accuracy and test period', async () => {
    stub.models = [modelArtifact(), modelArtifact({ model_id: 'mdl_macd_GBPUSD_4h_002', strategy_name: 'macd_roc_trend', symbol: 'GBPUSD', timeframe: '4h' })];
    const result = await ktrdr(['models', 'list']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'ID                      STRATEGY            DATA       CREATED           TEST ACCURACY  TEST PERIOD',
      'mdl_rsi_EURUSD_1h_001   rsi_mean_reversion  EURUSD 1h  2030-01-01 00:01          54.3%  2024-01-01 00:00 to 2024-04-01 00:00',
      'mdl_macd_GBPUSD_4h_002  macd_roc_trend      GBPUSD 4h  2030-01-01 00:01          54.3%  2024-01-01 00:00 to 2024-04-01 00:00',
    ]);
  });

  it('list says so when there is no model', async () => {
    stub.models = [];
    const result = await ktrdr(['models', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('no models yet (train one with: ktrdr train STRATEGY --watch)\n');
  });

  it('list --json prints contract-valid summaries', async () => {
    const result = await ktrdr(['models', 'list', '--json']);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { items: unknown[]; total: number };
    expect(document.total).toBe(1);
    const models = document.items.map((model) => ModelSummary.parse(model));
    expect(models.map((model) => model.model_id)).toEqual(['mdl_rsi_EURUSD_1h_001']);
  });

  it('show prints the summary, periods and per-class figures, never the weights', async () => {
    const result = await ktrdr(['models', 'show', 'mdl_rsi_EURUSD_1h_001']);
    expect(result.code).toBe(0);
    // The id is looked up among the summaries first (a unique prefix would do), then its artifact is read.
    expect(stub.apiRequests().map((request) => request.path)).toEqual(['/models', '/models/mdl_rsi_EURUSD_1h_001']);
    const out = lines(result.stdout);
    expect(out).toContain('model                 mdl_rsi_EURUSD_1h_001');
    expect(out).toContain('strategy              rsi_mean_reversion');
    expect(out).toContain('operation             op_training_1');
    expect(out).toContain('test period           2024-01-01 00:00 to 2024-04-01 00:00 (1500 rows)');
    expect(out).toContain('test accuracy         54.3%');
    expect(out).toContain('epochs                23 trained, best epoch 18');
    expect(out).toContain('SELL       40.3%   33.3%');
    expect(result.stdout).not.toContain('weights');
  });

  it('show --json prints the summary without strategy text, feature specification or weights', async () => {
    const result = await ktrdr(['models', 'show', 'mdl_rsi_EURUSD_1h_001', '--json']);
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(shown).toEqual(ModelSummary.parse(modelArtifact()));
    expect(Object.keys(shown)).not.toContain('network');
    expect(Object.keys(shown)).not.toContain('strategy_yaml');
  });

  it('show of an unknown id exits 1 with the backend message', async () => {
    const result = await ktrdr(['models', 'show', 'mdl_nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("404: model 'mdl_nope' not found");
  });
});

describe('--help', () => {
  it.each([
    ['train', ['<strategy>', '--symbol', '--timeframe', '--start', '--end', '--seed', '--watch', '--json']],
    ['backtest', ['<model>', '--capital', '--commission', '--slippage', '--position-size', '--fractional-units', '--watch', '--json', '--trades']],
    ['models list', ['--json']],
    ['models show', ['<id>', '--json']],
  ])('`%s --help` describes its arguments and options, whatever the environment', async (command, expected) => {
    const result = await runCli([...command.split(' '), '--help'], cleanEnv({ KTRDR_API_CLIENT_TIMEOUT: 'abc' }));
    expect(result.code).toBe(0);
    for (const text of expected) expect(result.stdout).toContain(text);
  });
});
