/**
 * A stand-in for the backend, for worker tests: a small Fastify app on an
 * ephemeral port that records what a worker sends (registrations, heartbeats,
 * checkpoints, outcomes, releases, deregistrations) and can be told to answer
 * 404 (it forgot the worker) or 503 (it is in trouble), or be stopped and
 * started again on the same port with the same records.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { CheckpointUpload, ModelArtifact, OperationOutcome, OperationRelease, RegisterWorkerBody, type WorkerRecord } from '../../src/api/contract.js';
import type { TokenClaims, TokenService } from '../../src/auth/tokens.js';

export type Route = 'register' | 'heartbeat' | 'checkpoint' | 'outcome' | 'release' | 'deregister' | 'model';

export interface Recorded<T> {
  readonly operationId: string;
  readonly body: T;
}

export class FakeBackend {
  readonly registrations: RegisterWorkerBody[] = [];
  readonly heartbeats: string[] = [];
  readonly checkpoints: Recorded<CheckpointUpload>[] = [];
  readonly outcomes: Recorded<OperationOutcome>[] = [];
  readonly releases: Recorded<OperationRelease>[] = [];
  readonly models: ModelArtifact[] = [];
  /** `kind:operation` of every checkpoint, model and outcome taken, in the order they arrived. */
  readonly arrivals: string[] = [];
  /** Answer POST /models with 422 (a model the backend will never take). */
  refuseModels = false;
  readonly deregistrations: string[] = [];
  readonly unauthorized: string[] = [];
  /** The claims of every authenticated request, in order. */
  readonly claims: TokenClaims[] = [];
  /** Workers the backend knows; GET /workers/{id} answers 404 for the others. */
  readonly known = new Map<string, WorkerRecord>();
  /** Per route: how many of the next requests get a 503. */
  readonly failNext: Partial<Record<Route, number>> = {};
  private app: FastifyInstance | null = null;
  private checkpointSeq = 0;
  port = 0;

  constructor(private readonly tokens: TokenService) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Forgets every worker (as a backend restarted on a fresh store would). */
  forgetWorkers(): void {
    this.known.clear();
  }

  async start(port = this.port): Promise<void> {
    const app = Fastify();
    app.addHook('onRequest', async (request, reply) => {
      try {
        this.claims.push(await this.tokens.verifyHeader(request.headers.authorization));
      } catch (error) {
        this.unauthorized.push(`${request.method} ${request.url}: ${(error as Error).message}`);
        return reply.code(401).send({ success: false, error: { code: 'UNAUTHORIZED', message: (error as Error).message } });
      }
    });
    const failing = (route: Route): boolean => {
      const count = this.failNext[route] ?? 0;
      if (count <= 0) return false;
      this.failNext[route] = count - 1;
      return true;
    };
    const unavailable = { success: false, error: { code: 'SHUTTING_DOWN', message: 'backend unavailable (test)' } };

    app.post('/api/v1/workers/register', async (request, reply) => {
      if (failing('register')) return reply.code(503).header('retry-after', '1').send(unavailable);
      const body = RegisterWorkerBody.parse(request.body);
      this.registrations.push(body);
      const record: WorkerRecord = {
        worker_id: body.worker_id,
        worker_type: body.worker_type,
        endpoint_url: body.endpoint_url,
        status: body.current_operation_id ? 'busy' : 'available',
        current_operation_id: body.current_operation_id ?? null,
        capabilities: body.capabilities ?? {},
        last_health_check: null,
        last_healthy_at: null,
        health_check_failures: 0,
        metadata: {},
      };
      this.known.set(body.worker_id, record);
      return record;
    });
    app.get<{ Params: { id: string } }>('/api/v1/workers/:id', async (request, reply) => {
      this.heartbeats.push(request.params.id);
      if (failing('heartbeat')) return reply.code(503).send(unavailable);
      const record = this.known.get(request.params.id);
      if (!record) return reply.code(404).send({ success: false, error: { code: 'NOT_FOUND', message: `worker '${request.params.id}' not found` } });
      return record;
    });
    app.delete<{ Params: { id: string } }>('/api/v1/workers/:id', async (request, reply) => {
      if (failing('deregister')) return reply.code(503).send(unavailable);
      this.deregistrations.push(request.params.id);
      this.known.delete(request.params.id);
      return { success: true };
    });
    app.post<{ Params: { id: string } }>('/api/v1/operations/:id/checkpoints', async (request, reply) => {
      if (failing('checkpoint')) return reply.code(503).send(unavailable);
      this.checkpoints.push({ operationId: request.params.id, body: CheckpointUpload.parse(request.body) });
      this.arrivals.push(`checkpoint:${request.params.id}`);
      return { success: true, checkpoint_id: `cp-${++this.checkpointSeq}` };
    });
    app.post<{ Params: { id: string } }>('/api/v1/operations/:id/outcome', async (request, reply) => {
      if (failing('outcome')) return reply.code(503).send(unavailable);
      this.outcomes.push({ operationId: request.params.id, body: OperationOutcome.parse(request.body) });
      this.arrivals.push(`outcome:${request.params.id}`);
      return { success: true };
    });
    app.post('/api/v1/models', { bodyLimit: 64 * 1024 * 1024 }, async (request, reply) => {
      if (failing('model')) return reply.code(503).send(unavailable);
      if (this.refuseModels) return reply.code(422).send({ success: false, error: { code: 'VALIDATION_ERROR', message: 'model refused (test)' } });
      const artifact = ModelArtifact.parse(request.body);
      this.models.push(artifact);
      this.arrivals.push(`model:${artifact.operation_id}`);
      return { success: true, model_id: artifact.model_id };
    });
    app.post<{ Params: { id: string } }>('/api/v1/operations/:id/release', async (request, reply) => {
      if (failing('release')) return reply.code(503).send(unavailable);
      this.releases.push({ operationId: request.params.id, body: OperationRelease.parse(request.body) });
      return { success: true };
    });

    await app.listen({ host: '127.0.0.1', port });
    this.port = (app.server.address() as AddressInfo).port;
    this.app = app;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }
}
