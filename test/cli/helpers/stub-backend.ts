/**
 * A stand-in for the backend: a small Fastify app on an ephemeral port that
 * serves canned, contract-valid answers (each is parsed with its contract schema
 * before it is sent) and records every request with the token it carried.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  BacktestStartBody,
  CheckpointsDeleted,
  CheckpointsResponse,
  DataSetSummary,
  DummyStartBody,
  GetOperationResponse,
  ListOperationsResponse,
  ModelArtifact,
  ModelDeleted,
  ModelSummary,
  OperationResultsResponse,
  PruneOperationsBody,
  PruneOperationsResponse,
  StartOperationResponse,
  TrainingStartBody,
  WorkerRecord,
  emptyProgress,
  type ErrorBody,
  type OperationRecord,
} from '../../../src/api/contract.js';
import { TokenService, type TokenClaims } from '../../../src/auth/tokens.js';

export const STUB_SECRET = 'stub-backend-test-secret';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly claims: TokenClaims | null;
  readonly authError: string | null;
}

export function workerRecord(overrides: Partial<WorkerRecord> = {}): WorkerRecord {
  return WorkerRecord.parse({
    worker_id: 'training-host-abc123',
    worker_type: 'training',
    endpoint_url: 'http://127.0.0.1:5003',
    status: 'available',
    current_operation_id: null,
    capabilities: {},
    last_health_check: new Date().toISOString(),
    last_healthy_at: new Date().toISOString(),
    health_check_failures: 0,
    metadata: {},
    ...overrides,
  });
}

export function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    operation_id: 'op_dummy_1',
    operation_type: 'dummy',
    status: 'pending',
    created_at: '2030-01-01T00:00:00.000Z',
    started_at: null,
    completed_at: null,
    progress: emptyProgress(),
    metadata: {},
    error_message: null,
    result_summary: null,
    worker_id: null,
    ...overrides,
  };
}

/** A dummy operation seen at three polls: started, half-way, and in its final status. */
export function progression(id: string, final: 'completed' | 'failed' | 'cancelled', steps = 4): OperationRecord[] {
  const running = (done: number): OperationRecord =>
    operationRecord({
      operation_id: id,
      status: 'running',
      started_at: '2030-01-01T00:00:01.000Z',
      worker_id: 'training-host-abc123',
      progress: {
        ...emptyProgress(),
        percentage: (done / steps) * 100,
        current_step: `step ${done}/${steps}`,
        steps_completed: done,
        steps_total: steps,
        context: { loss: 1 / (done + 1) },
      },
    });
  const last = running(final === 'completed' ? steps : steps / 2);
  return [
    running(0),
    running(steps / 2),
    {
      ...last,
      status: final,
      completed_at: '2030-01-01T00:00:05.000Z',
      result_summary: final === 'completed' ? { steps, resumed_from_step: null } : null,
      error_message: final === 'failed' ? `dummy failure at step ${steps / 2}` : null,
    },
  ];
}

/** A training seen at four polls: pending, epoch 1, epoch `epochs / 2` (resumed), and its final status. */
export function trainingProgression(id: string, final: 'completed' | 'failed' | 'cancelled', epochs = 50): OperationRecord[] {
  const atEpoch = (epoch: number): OperationRecord =>
    operationRecord({
      operation_id: id,
      operation_type: 'training',
      status: 'running',
      started_at: '2030-01-01T00:00:01.000Z',
      worker_id: 'training-host-abc123',
      progress: {
        ...emptyProgress(),
        percentage: (epoch / epochs) * 100,
        current_step: `Epoch ${epoch}/${epochs}`,
        steps_completed: epoch,
        steps_total: epochs,
        context: { epoch, epochs, loss: 1 / (epoch + 1), val_loss: 1.5 / (epoch + 1), val_accuracy: 0.3 + epoch / 200, ...(epoch > 1 && { resumed_from_epoch: 3 }) },
      },
    });
  const half = atEpoch(epochs / 2);
  const last = final === 'completed' ? atEpoch(epochs) : half;
  return [
    operationRecord({ operation_id: id, operation_type: 'training' }),
    atEpoch(1),
    half,
    {
      ...last,
      status: final,
      completed_at: '2030-01-01T00:01:00.000Z',
      result_summary: final === 'completed' ? TRAINING_SUMMARY : null,
      error_message: final === 'failed' ? `training failed at epoch ${epochs / 2}: not enough rows` : null,
    },
  ];
}

export const TRAINING_SUMMARY = {
  model_id: 'mdl_rsi_EURUSD_1h_001',
  test_accuracy: 0.5432,
  test_loss: 0.93127,
  precision: { BUY: 0.41, HOLD: 0.601, SELL: 0.4026 },
  recall: { BUY: 0.382, HOLD: 0.7, SELL: 0.3333 },
  epochs_trained: 23,
  best_epoch: 18,
  resumed_from_epoch: 3,
};

/** A backtest seen at three polls: pending, half-way, and its final status. */
export function backtestProgression(id: string, final: 'completed' | 'failed' | 'cancelled', bars = 50_000): OperationRecord[] {
  const atBar = (bar: number): OperationRecord =>
    operationRecord({
      operation_id: id,
      operation_type: 'backtesting',
      status: 'running',
      started_at: '2030-01-01T00:00:01.000Z',
      worker_id: 'backtesting-host-def456',
      progress: {
        ...emptyProgress(),
        percentage: (bar / bars) * 100,
        current_step: `Bar ${bar}/${bars}`,
        steps_completed: bar,
        steps_total: bars,
        context: { bars: bar, bars_total: bars, equity: 100_000 + bar / 10, trades: Math.floor(bar / 1000) },
      },
    });
  const half = atBar(bars / 2);
  return [
    operationRecord({ operation_id: id, operation_type: 'backtesting' }),
    half,
    {
      ...(final === 'completed' ? atBar(bars) : half),
      status: final,
      completed_at: '2030-01-01T00:02:00.000Z',
      result_summary: final === 'completed' ? BACKTEST_SUMMARY : null,
      error_message: final === 'failed' ? 'backtest failed: model mdl_x has 12 inputs, the strategy builds 10' : null,
    },
  ];
}

export const BACKTEST_SUMMARY = {
  total_return: 12_345,
  total_return_pct: 0.12345,
  annualized_return: 0.2512,
  volatility: 0.1234,
  sharpe_ratio: 1.2345,
  sortino_ratio: 1.8765,
  max_drawdown: 9_876,
  max_drawdown_pct: 0.0876,
  calmar_ratio: 2.87,
  recovery_factor: 1.25,
  win_rate: 0.5625,
  profit_factor: 1.7312,
  total_trades: 16,
  winning_trades: 9,
  losing_trades: 7,
  avg_win: 2_500,
  avg_loss: -1_450,
  avg_holding_period: 12.25,
  initial_capital: 100_000,
  final_equity: 112_345,
  buy_and_hold: {
    total_return: 5_010,
    total_return_pct: 0.0501,
    annualized_return: 0.1002,
    sharpe_ratio: 0.5,
    max_drawdown_pct: 0.1234,
    final_equity: 105_010,
  },
  start: '2024-03-01T00:00:00.000Z',
  end: '2024-06-01T00:00:00.000Z',
  model_id: 'mdl_rsi_EURUSD_1h_001',
};

/** A summary as an earlier backend wrote it: total_return and max_drawdown as fractions, no baseline. */
export const EARLIER_BACKTEST_SUMMARY = {
  total_return: 0.12346,
  annualized_return: 0.2512,
  sharpe_ratio: 1.2345,
  max_drawdown: 0.0876,
  win_rate: 0.5625,
  profit_factor: 1.7312,
  total_trades: 16,
  initial_capital: 100_000,
  final_equity: 112_345,
  start: '2024-03-01T00:00:00.000Z',
  end: '2024-06-01T00:00:00.000Z',
  model_id: 'mdl_rsi_EURUSD_1h_001',
};

export const BACKTEST_TRADES = [
  { direction: 'LONG', entry_time: '2024-03-04T10:00:00.000Z', entry_price: 1.08234, exit_time: '2024-03-05T14:00:00.000Z', exit_price: 1.0901, units: 92_000, pnl: 1234.5, return: 0.012346, commission: 199.6 },
  { direction: 'SHORT', entry_time: '2024-03-06T09:00:00.000Z', entry_price: 1.0912, exit_time: '2024-03-06T18:00:00.000Z', exit_price: 1.0951, units: 91_500, pnl: -456.25, return: -0.0045, commission: 200.1 },
];

export function modelArtifact(overrides: Partial<ModelArtifact> = {}): ModelArtifact {
  const period = (start: string, end: string, rows: number) => ({ start, end, rows });
  return ModelArtifact.parse({
    model_id: 'mdl_rsi_EURUSD_1h_001',
    created_at: '2030-01-01T00:01:00.000Z',
    operation_id: 'op_training_1',
    strategy_name: 'rsi_mean_reversion',
    symbol: 'EURUSD',
    timeframe: '1h',
    labels: ['BUY', 'HOLD', 'SELL'],
    confidence_threshold: 0.6,
    periods: {
      train: period('2023-01-01T00:00:00.000Z', '2023-10-01T00:00:00.000Z', 6000),
      validation: period('2023-10-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1500),
      test: period('2024-01-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z', 1500),
    },
    metrics: {
      test_accuracy: 0.5432,
      test_loss: 0.93127,
      precision: TRAINING_SUMMARY.precision,
      recall: TRAINING_SUMMARY.recall,
      test_rows: 1500,
      epochs_trained: 23,
      best_epoch: 18,
    },
    strategy_yaml: 'name: rsi_mean_reversion\n',
    feature_spec: { names: ['rsi_low', 'rsi_high'] },
    network: { weights: [0.1, -0.2, 0.3] },
    ...overrides,
  });
}

export class StubBackend {
  readonly requests: RecordedRequest[] = [];
  workers: WorkerRecord[] = [workerRecord(), workerRecord({ worker_id: 'backtesting-host-def456', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:5004', status: 'busy', current_operation_id: 'op_running' })];
  /** Successive answers of GET /operations/{id}; the last one repeats. */
  readonly operations = new Map<string, OperationRecord[]>();
  /** What POST /dummy/start creates next. */
  dummyFinal: 'completed' | 'failed' | 'cancelled' = 'completed';
  /** What POST /trainings/start and /backtests/start create next. */
  trainingFinal: 'completed' | 'failed' | 'cancelled' = 'completed';
  backtestFinal: 'completed' | 'failed' | 'cancelled' = 'completed';
  /** When set, the next POST /trainings/start or /backtests/start is refused with it (then it is cleared). */
  startRejection: { status: number; body: ErrorBody } | null = null;
  /** Served by GET /models (summaries) and GET /models/{id} (artifacts). */
  models: ModelArtifact[] = [modelArtifact()];
  /** Models DELETE /models/{id} refuses (409), as the backend does while an active backtest uses them. */
  readonly modelsInUse = new Set<string>();
  dataSets: DataSetSummary[] = [{ symbol: 'EURUSD', timeframe: '1h', bars: 9000, start: '2023-01-01T00:00:00.000Z', end: '2024-04-01T00:00:00.000Z' }];
  /** What GET /operations/{id}/checkpoints lists (the operation must exist); DELETE removes from it. */
  readonly checkpoints = new Map<string, z.input<typeof CheckpointsResponse>['data']>();
  /** What GET /operations/{id}/results answers as `results` (the operation must exist). */
  readonly results = new Map<string, unknown>();
  private readonly tokens = new TokenService(STUB_SECRET, 60);
  private readonly app: FastifyInstance = Fastify();
  private port = 0;

  constructor() {
    this.operations.set('op_done', progression('op_done', 'completed').slice(2));
    this.routes();
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  async start(): Promise<this> {
    await this.app.listen({ port: 0, host: '127.0.0.1' });
    const address = this.app.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  /** The requests that reached a route other than /health. */
  apiRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path !== '/health');
  }

  private current(id: string): OperationRecord | undefined {
    return this.operations.get(id)?.[0];
  }

  private routes(): void {
    const app = this.app;
    const send = <S extends z.ZodType>(reply: FastifyReply, schema: S, value: z.input<S>) => reply.send(schema.parse(value));
    const notFound = (reply: FastifyReply, id: string) =>
      reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `operation '${id}' not found` } });

    app.addHook('onRequest', async (request, reply) => {
      const url = new URL(request.url, 'http://stub');
      let claims: TokenClaims | null = null;
      let authError: string | null = null;
      try {
        claims = await this.tokens.verifyHeader(request.headers.authorization);
      } catch (error) {
        authError = (error as Error).message;
      }
      this.requests.push({
        method: request.method,
        path: url.pathname.replace(/^\/api\/v1/, ''),
        query: Object.fromEntries(url.searchParams),
        body: null,
        claims,
        authError,
      });
      if (url.pathname !== '/health' && authError) {
        return reply.code(401).send({ success: false, error: { code: 'UNAUTHORIZED', message: authError } });
      }
    });
    app.addHook('preHandler', async (request) => {
      const last = this.requests.at(-1);
      if (last) this.requests[this.requests.length - 1] = { ...last, body: request.body ?? null };
    });

    app.get('/health', async () => ({ status: 'ok' }));

    app.get('/api/v1/workers', async (request, reply) => {
      const query = request.query as { worker_type?: string; status?: string };
      const workers = this.workers.filter(
        (worker) => (!query.worker_type || worker.worker_type === query.worker_type) && (!query.status || worker.status === query.status),
      );
      return reply.send(workers.map((worker) => WorkerRecord.parse(worker)));
    });

    app.get('/api/v1/operations', async (_request, reply) => {
      const data = [...this.operations.values()].map((answers) => answers.at(-1) as OperationRecord);
      return send(reply, ListOperationsResponse, {
        success: true,
        data,
        total_count: data.length + 5,
        active_count: data.filter((op) => op.status === 'running' || op.status === 'pending').length,
      });
    });

    app.get('/api/v1/operations/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const answers = this.operations.get(id);
      if (!answers) return notFound(reply, id);
      const op = answers.length > 1 ? (answers.shift() as OperationRecord) : (answers[0] as OperationRecord);
      return send(reply, GetOperationResponse, { success: true, data: op });
    });

    app.delete('/api/v1/operations/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const op = this.current(id);
      if (!op) return notFound(reply, id);
      this.operations.set(id, [{ ...op, status: 'cancelled', completed_at: '2030-01-01T00:00:09.000Z' }]);
      return reply.send({ success: true });
    });

    app.post('/api/v1/operations/:id/resume', async (request, reply) => {
      const { id } = request.params as { id: string };
      const op = this.current(id);
      if (!op) return notFound(reply, id);
      this.operations.set(id, [{ ...op, status: 'pending', completed_at: null, error_message: null }]);
      return reply.send({ success: true, operation_id: id, status: 'pending' });
    });

    app.get('/api/v1/operations/:id/checkpoints', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!this.current(id)) return notFound(reply, id);
      return send(reply, CheckpointsResponse, { success: true, data: this.checkpoints.get(id) ?? [] });
    });

    app.delete('/api/v1/operations/:id/checkpoints', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!this.current(id)) return notFound(reply, id);
      const deleted = this.checkpoints.get(id)?.length ?? 0;
      this.checkpoints.delete(id);
      return send(reply, CheckpointsDeleted, { success: true, deleted });
    });

    app.delete('/api/v1/operations/:id/checkpoints/:checkpoint', async (request, reply) => {
      const { id, checkpoint } = request.params as { id: string; checkpoint: string };
      const held = this.checkpoints.get(id) ?? [];
      if (!this.current(id) || !held.some((c) => c.checkpoint_id === checkpoint)) {
        return reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `checkpoint of operation '${id}' '${checkpoint}' not found` } });
      }
      this.checkpoints.set(id, held.filter((c) => c.checkpoint_id !== checkpoint));
      return send(reply, CheckpointsDeleted, { success: true, deleted: 1 });
    });

    app.post('/api/v1/dummy/start', async (request, reply) => {
      const parsed = DummyStartBody.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ success: false, error: { code: 'VALIDATION_ERROR', message: parsed.error.issues[0]?.message ?? 'invalid' } });
      }
      const id = `op_dummy_${this.operations.size + 1}`;
      this.operations.set(id, progression(id, this.dummyFinal, parsed.data.steps));
      return send(reply, StartOperationResponse, { success: true, operation_id: id, status: 'pending' });
    });

    const started = (reply: FastifyReply, prefix: string, answers: (id: string) => OperationRecord[]) => {
      const rejection = this.startRejection;
      if (rejection) {
        this.startRejection = null;
        return reply.code(rejection.status).send(rejection.body);
      }
      const id = `${prefix}_${this.operations.size + 1}`;
      this.operations.set(id, answers(id));
      return send(reply, StartOperationResponse, { success: true, operation_id: id, status: 'pending' });
    };
    const invalid = (reply: FastifyReply, issue: z.core.$ZodIssue | undefined) =>
      reply.code(400).send({ success: false, error: { code: 'VALIDATION_ERROR', message: `body.${issue?.path.join('.')}: ${issue?.message}` } });

    app.post('/api/v1/trainings/start', async (request, reply) => {
      const parsed = TrainingStartBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues[0]);
      return started(reply, 'op_training', (id) => trainingProgression(id, this.trainingFinal));
    });

    app.post('/api/v1/backtests/start', async (request, reply) => {
      const parsed = BacktestStartBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues[0]);
      if (!this.models.some((model) => model.model_id === parsed.data.model)) {
        return reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `model '${parsed.data.model}' not found` } });
      }
      return started(reply, 'op_backtesting', (id) => {
        this.results.set(id, { trades: BACKTEST_TRADES, equity_curve: [{ time: BACKTEST_TRADES[0]?.entry_time, equity: 100_000 }] });
        return backtestProgression(id, this.backtestFinal);
      });
    });

    app.get('/api/v1/operations/:id/results', async (request, reply) => {
      const { id } = request.params as { id: string };
      const op = this.operations.get(id)?.at(-1);
      if (!op) return notFound(reply, id);
      return send(reply, OperationResultsResponse, {
        success: true,
        data: { operation_id: id, status: op.status, result_summary: op.result_summary, results: this.results.get(id) ?? null },
      });
    });

    app.get('/api/v1/models', async (_request, reply) => reply.send(this.models.map((model) => ModelSummary.parse(model))));

    app.get('/api/v1/models/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const model = this.models.find((candidate) => candidate.model_id === id);
      if (!model) return reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `model '${id}' not found` } });
      return send(reply, ModelArtifact, model);
    });

    app.delete('/api/v1/models/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!this.models.some((model) => model.model_id === id)) {
        return reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `model '${id}' not found` } });
      }
      if (this.modelsInUse.has(id)) {
        return reply.code(409).send({ success: false, error: { code: 'CONFLICT', message: `model '${id}' is used by 1 active backtest(s) (op_backtesting_9)` } });
      }
      this.models = this.models.filter((model) => model.model_id !== id);
      return send(reply, ModelDeleted, { success: true, model_id: id });
    });

    app.post('/api/v1/operations/prune', async (request, reply) => {
      const parsed = PruneOperationsBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues[0]);
      const deleted = [...this.operations.entries()]
        .filter(([, answers]) => {
          const op = answers.at(-1) as OperationRecord;
          return (parsed.data.status === undefined ? ['completed', 'failed', 'cancelled'].includes(op.status) : op.status === parsed.data.status);
        })
        .map(([id]) => id);
      for (const id of deleted) this.operations.delete(id);
      return send(reply, PruneOperationsResponse, { success: true, deleted });
    });

    app.get('/api/v1/data', async (_request, reply) => reply.send(this.dataSets.map((set) => DataSetSummary.parse(set))));
  }
}
