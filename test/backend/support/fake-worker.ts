/**
 * A stand-in worker for backend tests: a small Fastify app on an ephemeral port
 * implementing the worker routes (health, start, cancel, status), whose answers
 * the test controls and whose received requests the test inspects.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import type { Progress, WorkerStartBody, WorkerType } from '../../../src/api/contract.js';
import { emptyProgress } from '../../../src/api/contract.js';

export type Behaviour = 'ok' | 'hang' | 'error';

export class FakeWorker {
  readonly starts: WorkerStartBody[] = [];
  readonly cancels: string[] = [];
  readonly authorizations: (string | undefined)[] = [];
  statusRequests = 0;
  healthRequests = 0;
  health: Behaviour = 'ok';
  /** 'accept-then-hang': runs the operation but answers only when released (a start request that times out). */
  startBehaviour: Behaviour | 'busy' | 'reject' | 'accept-then-hang' = 'ok';
  /** 'error': the cancel does not get through (500), as when the worker is unreachable at cancel time. */
  cancelBehaviour: 'ok' | 'error' = 'ok';
  current: string | null = null;
  progress: Progress = { ...emptyProgress(), steps_total: 10 };
  private app: FastifyInstance | null = null;
  private pending: (() => void)[] = [];
  url = '';

  constructor(
    readonly workerId: string,
    readonly workerType: WorkerType = 'training',
  ) {}

  async start(port = 0): Promise<string> {
    const app = Fastify({ forceCloseConnections: true });
    const hang = () => new Promise<void>((resolve) => this.pending.push(resolve));
    app.addHook('onRequest', async (request) => {
      this.authorizations.push(request.headers.authorization);
    });
    app.get('/health', async (_request, reply) => {
      this.healthRequests++;
      // The state when the request arrived: a held answer describes the worker as it was then.
      const answer = {
        healthy: true,
        worker_id: this.workerId,
        worker_type: this.workerType,
        worker_status: this.current ? 'busy' : 'idle',
        current_operation: this.current,
      };
      if (this.health === 'hang') await hang();
      if (this.health === 'error') return reply.status(500).send({ error: 'broken' });
      return answer;
    });
    app.post('/operations/start', async (request, reply) => {
      const body = request.body as WorkerStartBody;
      if (this.startBehaviour === 'accept-then-hang') {
        this.starts.push(body);
        this.current = body.operation_id;
        await hang();
        return reply.status(202).send({ success: true, operation_id: body.operation_id });
      }
      if (this.startBehaviour === 'hang') await hang();
      if (this.startBehaviour === 'error') return reply.status(500).send({ error: 'broken' });
      if (this.startBehaviour === 'reject') return reply.status(400).send({ success: false, error: { code: 'VALIDATION_ERROR', message: 'params.steps: bad' } });
      if (this.startBehaviour === 'busy' || this.current) return reply.status(409).send({ success: false, error: { code: 'CONFLICT', message: 'busy' } });
      this.starts.push(body);
      this.current = body.operation_id;
      return reply.status(202).send({ success: true, operation_id: body.operation_id });
    });
    app.post('/operations/:id/cancel', async (request, reply) => {
      const { id } = request.params as { id: string };
      this.cancels.push(id);
      if (this.cancelBehaviour === 'error') return reply.status(500).send({ error: 'broken' });
      if (this.current !== id) return reply.status(404).send({ success: false, error: { code: 'NOT_FOUND', message: 'not running' } });
      return { success: true };
    });
    app.get('/operations/:id/status', async (request, reply) => {
      const { id } = request.params as { id: string };
      this.statusRequests++;
      if (this.current !== id) return reply.status(404).send({ success: false, error: { code: 'NOT_FOUND', message: 'unknown' } });
      return { operation_id: id, status: 'running', progress: this.progress };
    });
    await app.listen({ host: '127.0.0.1', port });
    this.app = app;
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The body the earlier Python workers send (docs/architecture.md §4), for this worker. */
  registration(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      worker_id: this.workerId,
      worker_type: this.workerType,
      endpoint_url: this.url,
      capabilities: { cores: 4, memory_gb: 8 },
      current_operation_id: null,
      completed_operations: [],
      ...extra,
    };
  }

  /** How many requests are held ('hang') right now. */
  get held(): number {
    return this.pending.length;
  }

  /** Lets every held ('hang') request go on. */
  releaseHeld(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }

  /** The operation finished on the worker (it becomes idle). */
  finish(): void {
    this.current = null;
  }

  async stop(): Promise<void> {
    for (const resolve of this.pending.splice(0)) resolve();
    await this.app?.close();
    this.app = null;
  }
}

/**
 * Fake workers for one test file: `worker(id, type)` starts one, and every one
 * a test started is stopped after it. Call once at the top level of the file.
 */
export function fakeWorkers(): (id: string, type?: WorkerType) => Promise<FakeWorker> {
  const started: FakeWorker[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((fake) => fake.stop()));
  });
  return async (id, type = 'training') => {
    const fake = new FakeWorker(id, type);
    await fake.start();
    started.push(fake);
    return fake;
  };
}
