/**
 * A stand-in for the backend: a small Fastify app on an ephemeral port that
 * serves canned, contract-valid answers (each is parsed with its contract schema
 * before it is sent) and records every request with the token it carried.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  DummyStartBody,
  GetOperationResponse,
  ListOperationsResponse,
  StartOperationResponse,
  WorkerRecord,
  emptyProgress,
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

export class StubBackend {
  readonly requests: RecordedRequest[] = [];
  workers: WorkerRecord[] = [workerRecord(), workerRecord({ worker_id: 'backtesting-host-def456', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:5004', status: 'busy', current_operation_id: 'op_running' })];
  /** Successive answers of GET /operations/{id}; the last one repeats. */
  readonly operations = new Map<string, OperationRecord[]>();
  /** What POST /dummy/start creates next. */
  dummyFinal: 'completed' | 'failed' | 'cancelled' = 'completed';
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

    app.post('/api/v1/dummy/start', async (request, reply) => {
      const parsed = DummyStartBody.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ success: false, error: { code: 'VALIDATION_ERROR', message: parsed.error.issues[0]?.message ?? 'invalid' } });
      }
      const id = `op_dummy_${this.operations.size + 1}`;
      this.operations.set(id, progression(id, this.dummyFinal, parsed.data.steps));
      return send(reply, StartOperationResponse, { success: true, operation_id: id, status: 'pending' });
    });
  }
}
