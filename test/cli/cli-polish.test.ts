/**
 * The CLI's conventions through the real process against a stub backend: Ctrl-C while following, `ops watch`
 * rendered per operation type, fast failure when the backend is down or the URL lacks /api/v1, one JSON list shape,
 * `--backend`, `--quiet`, `--no-progress`, id prefixes, `ops prune`, `ops results`, `models rm`, `strategy list`,
 * `strategy validate NAME` and shell completion.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyProgress, OperationRecord, WorkerRecord } from '../../src/api/contract.js';
import { freePort } from '../support/processes.js';
import { REPO_ROOT, runCli, spawnCli } from './helpers/run-cli.js';
import { BACKTEST_TRADES, backtestProgression, operationRecord, progression, trainingProgression, type StubBackend } from './helpers/stub-backend.js';
import { lines, useStubBackend } from './helpers/stub-session.js';

const session = useStubBackend();
const { env, ktrdr } = session;
let stub: StubBackend;
beforeAll(() => {
  stub = session.stub;
});

const running = (id: string, percentage = 30) =>
  operationRecord({
    operation_id: id,
    status: 'running',
    started_at: '2030-01-01T00:00:01.000Z',
    worker_id: 'training-host-5003',
    progress: { ...emptyProgress(), percentage, current_step: `step ${percentage / 10}/10`, steps_completed: percentage / 10, steps_total: 10 },
  });

beforeEach(() => {
  stub.operations.clear();
});

describe('Ctrl-C while following an operation', () => {
  for (const command of [['ops', 'watch', 'op_dummy_forever'], ['dummy', 'start', '--watch']]) {
    it(`${command.join(' ')}: says the operation goes on, how to re-attach and cancel, and exits 130`, async () => {
      stub.operations.set('op_dummy_forever', [running('op_dummy_forever')]);
      // `dummy start` creates its own operation: make it one that never ends.
      stub.dummyFinal = 'completed';
      const child = spawnCli([...command, '--interval-ms', '50'], env());
      await child.waitForStdout('running');
      child.signal('SIGINT');
      const result = await child.exited;
      expect(result.code).toBe(130);
      const id = command[0] === 'ops' ? 'op_dummy_forever' : (/operation (op_dummy_\d+)/.exec(result.stdout)?.[1] ?? '?');
      expect(result.stderr).toContain(`the operation goes on in the backend`);
      expect(result.stderr).toContain(`re-attach: ktrdr ops watch ${id}`);
      expect(result.stderr).toContain(`cancel:    ktrdr ops cancel ${id}`);
      // The operation itself was not cancelled.
      expect(stub.requests.some((request) => request.method === 'DELETE')).toBe(false);
    });
  }
});

describe('ops watch renders every operation type', () => {
  it('a training by epoch, loss, val_loss and accuracy, then its test metrics; no raw JSON', async () => {
    stub.operations.set('op_training_77', trainingProgression('op_training_77', 'completed'));
    const result = await ktrdr(['ops', 'watch', 'op_training_77', '--interval-ms', '10']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Epoch 25\/50 \| loss=0\.\d{4} val_loss=0\.\d{4} val_accuracy=\d+\.\d%/);
    expect(result.stdout).toContain('training op_training_77 completed: model mdl_rsi_EURUSD_1h_001');
    expect(result.stdout).not.toMatch(/recall=\{|"BUY"/);
  });

  it('a backtest by bars, equity and trades, then its performance figures', async () => {
    stub.operations.set('op_backtesting_5', backtestProgression('op_backtesting_5', 'completed'));
    const result = await ktrdr(['ops', 'watch', 'op_backtesting_5', '--interval-ms', '10']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/equity=[\d,]+\.\d\d trades=\d+/);
    expect(result.stdout).toContain('backtest op_backtesting_5 completed');
    expect(result.stdout).toContain('sharpe ratio');
  });

  it('ops show of a training renders per-class figures as key=value lists', async () => {
    stub.operations.set('op_training_78', trainingProgression('op_training_78', 'completed').slice(-1));
    const result = await ktrdr(['ops', 'show', 'op_training_78']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('recall=[BUY=0.382 HOLD=0.7 SELL=0.3333]');
    expect(result.stdout).not.toMatch(/[{}"]/);
  });
});

describe('a backend that is down, or a URL without /api/v1', () => {
  it('fails at once on a refused connection, whatever the retries, naming the URL and how to change it', async () => {
    const url = `http://127.0.0.1:${await freePort()}/api/v1`;
    // 5 retries 10 s apart would take minutes: a refused connection is not retried.
    const result = await ktrdr(['workers'], { KTRDR_API_CLIENT_BASE_URL: url, KTRDR_API_CLIENT_MAX_RETRIES: '5', KTRDR_API_CLIENT_RETRY_DELAY: '10' });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain(`cannot reach the backend at ${url}`);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(result.stderr).toContain('KTRDR_API_CLIENT_BASE_URL or --backend URL');
  }, 60_000);

  it('says that a base URL lacks /api/v1 (instead of "no route"), without calling the backend', async () => {
    const root = stub.baseUrl.replace(/\/api\/v1$/, '');
    const result = await ktrdr(['workers'], { KTRDR_API_CLIENT_BASE_URL: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: the backend URL ${root} lacks the API path /api/v1: use ${root}/api/v1 (set by KTRDR_API_CLIENT_BASE_URL or --backend URL)\n`);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('global options', () => {
  it('--backend URL overrides KTRDR_API_CLIENT_BASE_URL, before or after the command', async () => {
    const wrong = `http://127.0.0.1:${await freePort()}/api/v1`;
    for (const args of [['--backend', stub.baseUrl, 'workers'], ['workers', '--backend', stub.baseUrl]]) {
      const result = await ktrdr(args, { KTRDR_API_CLIENT_BASE_URL: wrong });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    expect(stub.apiRequests()).toHaveLength(2);
    const bad = await ktrdr(['--backend', 'not a url', 'workers']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'not a url' is not an http(s) URL");
  });

  it('--no-progress prints only the outcome of a followed operation; --quiet only the id and the outcome', async () => {
    const noProgress = await ktrdr(['--no-progress', 'dummy', 'start', '--steps', '4', '--watch', '--interval-ms', '10']);
    expect(noProgress.code).toBe(0);
    expect(noProgress.stdout).not.toContain('[');
    expect(lines(noProgress.stdout)).toHaveLength(2);
    expect(noProgress.stdout).toMatch(/completed: steps=4/);

    const quiet = await ktrdr(['dummy', 'start', '--steps', '4', '--watch', '--interval-ms', '10', '--quiet']);
    expect(quiet.code).toBe(0);
    const out = lines(quiet.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^op_dummy_\d+$/);
    expect(out[1]).toMatch(/^operation op_dummy_\d+ completed/);
  });
});

describe('one --json list shape: {items, total}', () => {
  it('ops list (with active), workers, models list, ops checkpoints', async () => {
    stub.operations.set('op_done', progression('op_done', 'completed').slice(2));
    stub.operations.set('op_run', [running('op_run')]);
    const ops = JSON.parse((await ktrdr(['ops', 'list', '--json'])).stdout) as { items: unknown[]; total: number; active: number };
    expect(ops.items.map((op) => OperationRecord.parse(op).operation_id).sort()).toEqual(['op_done', 'op_run']);
    expect(ops).toMatchObject({ total: 7, active: 1 });

    const workers = JSON.parse((await ktrdr(['workers', '--json'])).stdout) as { items: unknown[]; total: number };
    expect(workers.total).toBe(2);
    expect(workers.items.map((worker) => WorkerRecord.parse(worker).worker_type)).toEqual(['training', 'backtesting']);

    const models = JSON.parse((await ktrdr(['models', 'list', '--json'])).stdout) as { items: unknown[]; total: number };
    expect(models.total).toBe(models.items.length);

    const checkpoints = JSON.parse((await ktrdr(['ops', 'checkpoints', 'op_done', '--json'])).stdout);
    expect(checkpoints).toEqual({ items: [], total: 0 });
  });

  it('data list and strategy list, without a backend', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-polish-data-'));
    await runCli(['data', 'generate', 'EURUSD', '1h', '--bars', '50'], env({ KTRDR_DATA_DIR: dataDir }));
    const data = JSON.parse((await ktrdr(['data', 'list', '--json'], { KTRDR_DATA_DIR: dataDir })).stdout);
    expect(data).toMatchObject({ total: 1, items: [{ symbol: 'EURUSD', timeframe: '1h', bars: 50, start: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/) }] });

    const strategies = JSON.parse((await ktrdr(['strategy', 'list', '--json'], { KTRDR_DATA_STRATEGIES_DIR: join(REPO_ROOT, 'strategies') })).stdout);
    expect(strategies.total).toBe(strategies.items.length);
    expect(strategies.items.map((row: { name: string }) => row.name)).toContain('macd_roc_trend');
  });
});

describe('id prefixes', () => {
  beforeEach(() => {
    stub.operations.set('op_training_3f2a0000', trainingProgression('op_training_3f2a0000', 'completed').slice(-1));
    stub.operations.set('op_training_3f9b0000', trainingProgression('op_training_3f9b0000', 'completed').slice(-1));
    stub.operations.set('op_dummy_aa110000', [running('op_dummy_aa110000')]);
  });

  it('a unique prefix of an operation id (or of its part after op_<type>_) is enough', async () => {
    for (const prefix of ['op_training_3f2', '3f2', 'op_dummy']) {
      const result = await ktrdr(['ops', 'show', prefix, '--json']);
      expect(result.code, prefix).toBe(0);
      expect(JSON.parse(result.stdout).operation_id).toBe(prefix === 'op_dummy' ? 'op_dummy_aa110000' : 'op_training_3f2a0000');
    }
    const cancelled = await ktrdr(['ops', 'cancel', 'aa1']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe('cancel requested for op_dummy_aa110000: now cancelled at 30%\n');
  });

  it('an ambiguous prefix is an error listing the matches; an unknown one is the backend 404', async () => {
    const ambiguous = await ktrdr(['ops', 'show', '3f']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(
      "error: operation id prefix '3f' is ambiguous: it matches 2 operations (op_training_3f2a0000, op_training_3f9b0000); type more of the id\n",
    );
    const unknown = await ktrdr(['ops', 'show', 'zz']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("operation 'zz' not found");
  });

  it('models take unique prefixes too (models show, models rm)', async () => {
    const shown = await ktrdr(['models', 'show', 'mdl_rsi', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).model_id).toBe('mdl_rsi_EURUSD_1h_001');
  });
});

describe('new commands', () => {
  it('models rm deletes a model, and reports the backend refusal while a backtest uses it (exit 1)', async () => {
    const saved = [...stub.models];
    try {
      stub.modelsInUse.add('mdl_rsi_EURUSD_1h_001');
      const refused = await ktrdr(['models', 'rm', 'mdl_rsi']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('409');
      expect(refused.stderr).toContain('active backtest');
      stub.modelsInUse.clear();
      const removed = await ktrdr(['models', 'rm', 'mdl_rsi']);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toBe('deleted model mdl_rsi_EURUSD_1h_001\n');
      expect(stub.models).toEqual([]);
    } finally {
      stub.models = saved;
    }
  });

  it('ops prune sends the age and status, and prints the deleted ids', async () => {
    stub.operations.set('op_done', progression('op_done', 'completed').slice(2));
    stub.operations.set('op_run', [running('op_run')]);
    const result = await ktrdr(['ops', 'prune', '--older-than', '30d', '--status', 'completed']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('deleted 1 operation(s): op_done\n');
    expect(stub.apiRequests().at(-1)).toMatchObject({ method: 'POST', path: '/operations/prune', body: { older_than_seconds: 30 * 86_400, status: 'completed' } });
    const bad = await ktrdr(['ops', 'prune', '--older-than', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'soon' is not a duration");
  });

  it('ops results prints the trades (table or CSV with ISO times), the equity curve with --equity, JSON with ISO times', async () => {
    stub.operations.set('op_backtesting_1', backtestProgression('op_backtesting_1', 'completed').slice(-1));
    stub.results.set('op_backtesting_1', {
      trades: BACKTEST_TRADES,
      equity_curve: [
        { time: BACKTEST_TRADES[0]?.entry_time, equity: 100_000 },
        { time: BACKTEST_TRADES[1]?.exit_time, equity: 100_778.25 },
      ],
    });
    const table = await ktrdr(['ops', 'results', 'op_backtesting_1']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('2024-03-04 10:00');
    const csv = await ktrdr(['ops', 'results', 'op_backtesting_1', '--csv']);
    expect(lines(csv.stdout)).toEqual([
      'direction,entry_time,entry_price,exit_time,exit_price,units,pnl,return,commission',
      'LONG,2024-03-04T10:00:00.000Z,1.08234,2024-03-05T14:00:00.000Z,1.0901,92000,1234.5,0.012346,199.6',
      'SHORT,2024-03-06T09:00:00.000Z,1.0912,2024-03-06T18:00:00.000Z,1.0951,91500,-456.25,-0.0045,200.1',
    ]);
    const equity = await ktrdr(['ops', 'results', 'op_backtesting_1', '--equity', '--csv']);
    expect(lines(equity.stdout)).toEqual(['time,equity', '2024-03-04T10:00:00.000Z,100000', '2024-03-06T18:00:00.000Z,100778.25']);
    const json = JSON.parse((await ktrdr(['ops', 'results', 'op_backtesting_1', '--json'])).stdout);
    expect(json.results.trades[0].entry_time).toBe('2024-03-04T10:00:00.000Z');
    expect(json.results.equity_curve[1].time).toBe('2024-03-06T18:00:00.000Z');

    stub.operations.set('op_dummy_2', progression('op_dummy_2', 'completed').slice(2));
    const none = await ktrdr(['ops', 'results', 'op_dummy_2']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no trades or equity curve');
  });

  it('strategy list shows each strategy of KTRDR_DATA_STRATEGIES_DIR with its validity; strategy validate takes a name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-polish-strategies-'));
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\n');
    writeFileSync(join(dir, 'macd_roc_trend.yaml'), execFileSync('cat', [join(REPO_ROOT, 'strategies', 'macd_roc_trend.yaml')]));
    const list = await ktrdr(['strategy', 'list'], { KTRDR_DATA_STRATEGIES_DIR: dir });
    expect(list.code).toBe(0);
    const out = lines(list.stdout);
    expect(out[0]).toMatch(/^NAME\s+VALID\s+DATA$/);
    expect(out.find((line) => line.startsWith('broken'))).toMatch(/^broken\s+no \(\d+ problems?\)/);
    expect(out.find((line) => line.startsWith('macd_roc_trend'))).toMatch(/^macd_roc_trend\s+yes\s+EURUSD 1h/);
    expect(out.at(-1)).toContain('1 invalid');

    const validated = await ktrdr(['strategy', 'validate', 'macd_roc_trend'], { KTRDR_DATA_STRATEGIES_DIR: dir });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain(`${join(dir, 'macd_roc_trend.yaml')}: valid`);
  });

  it('strategy docs prints to stdout and writes nothing unless --write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-polish-docs-'));
    const printed = await ktrdr(['strategy', 'docs', '--dir', dir]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('<!-- Generated by `ktrdr strategy docs --write`');
    const check = await ktrdr(['strategy', 'docs', '--check', '--dir', dir]);
    expect(check.code).toBe(1);
    const written = await ktrdr(['strategy', 'docs', '--write', '--dir', dir]);
    expect(written.stdout).toBe('wrote docs/strategies.md\n');
    expect((await ktrdr(['strategy', 'docs', '--check', '--dir', dir])).code).toBe(0);
  });
});

describe('shell completion', () => {
  it('bash: the generated script completes commands, subcommands and options from the command tree', async () => {
    const script = await ktrdr(['completion', 'bash']);
    expect(script.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-completion-'));
    writeFileSync(join(dir, 'ktrdr.bash'), script.stdout);
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source ${join(dir, 'ktrdr.bash')}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ktrdr_completion; echo "\${COMPREPLY[*]}"`], {
        encoding: 'utf8',
      }).trim().split(' ');
    expect(complete('ktrdr', 'o')).toEqual(['ops']);
    expect(complete('ktrdr', 'ops', 'pr')).toEqual(['prune']);
    expect(complete('ktrdr', 'ops', 'results', 'op_x', '--e')).toEqual(['--equity']);
    expect(complete('ktrdr', '--quiet', 'strategy', 'l')).toEqual(['list']);
    expect(complete('ktrdr', '--b')).toEqual(['--backend']);
  });

  it('zsh: the same function through bashcompinit; an unknown shell is a usage error', async () => {
    const zsh = await ktrdr(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef ktrdr');
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _ktrdr_completion ktrdr');
    const fish = await ktrdr(['completion', 'fish']);
    expect(fish.code).toBe(2);
  });
});
