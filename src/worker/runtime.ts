/**
 * A worker process's lifecycle. `start()` listens, then registers with the
 * backend in the background and starts the heartbeat. The HTTP application
 * (Fastify and the routes) is built once the registration has its answer, or
 * at the first request if that comes sooner, which waits for it
 * (src/http/early-server.ts): registering does not need it.
 * `stop()` hands a running operation back (stop at the next step, shutdown
 * checkpoint, release), stops the heartbeat, delivers what outcomes it still
 * holds, deregisters (only when nothing was left undelivered) and closes the server.
 */
import type { FastifyInstance } from 'fastify';
import type { WorkerRecord } from '../api/contract.js';
import { HttpError } from '../client/http.js';
import { errorText } from '../common/errors.js';
import { PeriodicTask, type Timers } from '../common/periodic-task.js';
import type { EarlyHttpServer } from '../http/early-server.js';
import type { Logger } from '../logging/logger.js';
import type { BackendLink, WorkerState } from './backend-link.js';
import type { WorkerIdentity } from './identity.js';
import type { OperationRunner } from './operation-runner.js';

export interface WorkerRuntimeOptions {
  readonly identity: WorkerIdentity;
  /** Listens before the worker's HTTP application is built, and holds the requests that come meanwhile. */
  readonly server: EarlyHttpServer;
  readonly runner: OperationRunner;
  readonly link: BackendLink;
  readonly logger: Logger;
  /** Interface to listen on (0.0.0.0 so that a remote backend reaches the worker). */
  readonly host: string;
  /** KTRDR_WORKER_PORT; 0 picks a free port (tests). */
  readonly port: number;
  /** The URL the backend reaches the worker at, given the port it listens on. */
  readonly endpointUrlFor: (port: number) => string;
  /** KTRDR_WORKER_HEARTBEAT_INTERVAL, in ms. */
  readonly heartbeatIntervalMs: number;
  readonly timers?: Timers;
}

export interface Listening {
  readonly port: number;
  readonly endpointUrl: string;
}

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class WorkerRuntime {
  readonly heartbeat: PeriodicTask;
  private phase: Phase = 'new';
  private listening: Listening | null = null;
  private readonly stopSignal = new AbortController();
  private registration: Promise<WorkerRecord | null> = Promise.resolve(null);
  private registering = false;
  private declarePermanentFailure: (message: string) => void = () => {};
  /** Settles (never rejects) with why the worker cannot go on: the backend refused its credentials. */
  private readonly permanentFailure = new Promise<string>((resolve) => (this.declarePermanentFailure = resolve));

  constructor(private readonly options: WorkerRuntimeOptions) {
    this.heartbeat = new PeriodicTask({
      name: 'worker-heartbeat',
      intervalMs: options.heartbeatIntervalMs,
      run: () => this.beat(),
      onError: (error) => options.logger.warn(`heartbeat failed: ${errorText(error)}`),
      ...(options.timers ? { timers: options.timers } : {}),
    });
  }

  get workerId(): string {
    return this.options.identity.workerId;
  }

  get isStopping(): boolean {
    return this.phase === 'stopping' || this.phase === 'stopped';
  }

  /**
   * The worker's HTTP application, ready (built now if it was not yet): for tests that go through every route.
   * Rejects when it cannot be built (the worker cannot serve: the entry point exits, see whenServing()).
   */
  app(): Promise<FastifyInstance> {
    return this.options.server.app();
  }

  /** Settles when the HTTP application answers requests, or could not be built (rejects); builds nothing itself. */
  whenServing(): Promise<FastifyInstance> {
    return this.options.server.whenBuilt();
  }

  /** Where the worker listens; null before `start()`. */
  get address(): Listening | null {
    return this.listening;
  }

  /** Settles when the first registration succeeded (the record) or gave up (null). */
  whenRegistered(): Promise<WorkerRecord | null> {
    return this.registration;
  }

  /**
   * Settles with a message when the backend refused the registration for good (401/403: a wrong
   * KTRDR_AUTH_JWT_SECRET or a token it does not accept). Retrying cannot fix that; the entry point stops the
   * worker and exits 1 instead of serving a backend that will never dispatch to it.
   */
  whenPermanentlyRefused(): Promise<string> {
    return this.permanentFailure;
  }

  /** Listens (logging one line), then registers in the background and starts the heartbeat. */
  async start(): Promise<Listening> {
    if (this.phase !== 'new') throw new Error(`worker runtime cannot start: it is ${this.phase}`);
    this.phase = 'starting';
    const { server, identity, logger } = this.options;
    const { port } = await server.listen(this.options.host, this.options.port);
    this.listening = { port, endpointUrl: this.options.endpointUrlFor(port) };
    logger.info(
      `worker ${identity.workerId} (${identity.workerType}) listening on port ${port}, endpoint ${this.listening.endpointUrl}`,
    );
    this.phase = 'running';
    this.registration = this.registerInBackground();
    // Built once the registration has its answer, so that the backend lists the worker without waiting for Fastify
    // to load; a request that comes sooner builds it itself. A failure is the entry point's (whenServing()). A worker
    // stopped before its registration had an answer has no use for it.
    void this.registration.then(() => (this.isStopping ? null : server.app())).catch(() => {});
    server.whenBuilt().then(
      () => logger.debug(`worker ${identity.workerId} serves its API`),
      () => {},
    );
    this.heartbeat.start();
    return this.listening;
  }

  /** Hands back a running operation, stops the heartbeat, deregisters and closes the server. Idempotent. */
  async stop(): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    const { runner, link, server, logger } = this.options;
    const wasListening = this.phase !== 'new';
    this.phase = 'stopping';
    this.stopSignal.abort('shutdown');
    await this.heartbeat.stop();
    await this.registration;

    const stopped = await runner.shutdown();
    let handedBack = true;
    if (stopped) {
      handedBack = await link.release(stopped.operationId, { reason: 'shutdown', progress: stopped.progress });
      if (handedBack) logger.info(`operation ${stopped.operationId} handed back to the backend`);
    }
    await runner.settled();
    if (wasListening) {
      // A worker the backend never took (or already forgot) has nothing to deregister.
      if (link.isRegistered) await this.deregisterIfClean(stopped?.operationId ?? null, handedBack);
      await server.close(); // the application too, if it was built
    }
    this.phase = 'stopped';
  }

  /**
   * Deregisters only when the backend has everything: every model, final checkpoint and outcome delivered (one last try) and the running
   * operation handed back. Otherwise the worker stays registered, so that the backend treats its silence as a
   * lost worker (the orphan detector fails what it ran) instead of a clean departure.
   */
  private async deregisterIfClean(stoppedOperationId: string | null, handedBack: boolean): Promise<void> {
    const { link, logger } = this.options;
    const undelivered = await link.flushOutbox();
    if (undelivered > 0 || !handedBack) {
      const lost = [
        ...(undelivered > 0 ? [`the results (model, final checkpoint, outcome) of ${undelivered} operation(s) not delivered (${link.pendingOperations.join(', ')})`] : []),
        ...(handedBack ? [] : [`operation ${stoppedOperationId} not handed back`]),
      ];
      logger.error(`worker ${this.workerId} stops without deregistering: ${lost.join('; ')}`);
      return;
    }
    if (await link.deregister()) logger.info(`worker ${this.workerId} deregistered`);
  }

  private state(): WorkerState {
    if (!this.listening) throw new Error('worker state requested before the server listens');
    return { endpointUrl: this.listening.endpointUrl, currentOperationId: this.options.runner.currentOperationId };
  }

  private async registerInBackground(): Promise<WorkerRecord | null> {
    const { link, logger, identity } = this.options;
    this.registering = true;
    try {
      const record = await link.registerWithRetry(() => this.state(), this.stopSignal.signal);
      logger.info(`worker ${identity.workerId} (${identity.workerType}) registered with the backend at ${link.backendUrl} as ${record.endpoint_url}`);
      return record;
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
        const message =
          `the backend at ${link.backendUrl} refused to register worker ${identity.workerId} (${error.status}): ${error.message}; ` +
          'check that KTRDR_AUTH_JWT_SECRET is the same for the worker and the backend';
        logger.error(message);
        this.declarePermanentFailure(message);
        return null;
      }
      if (!this.stopSignal.signal.aborted) {
        logger.error(
          `registration failed: ${errorText(error)}; the heartbeat will register when the backend answers`,
        );
      }
      return null;
    } finally {
      this.registering = false;
    }
  }

  private async beat(): Promise<void> {
    // The first registration retries on its own; a heartbeat then would only race it.
    if (this.registering || this.isStopping) return;
    await this.options.link.heartbeat(this.state());
  }
}
