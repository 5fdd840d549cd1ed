/**
 * Prometheus metrics of one backend, in a registry of its own (never the global
 * default, so two backends in one process, as in tests, do not collide).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OperationStatus, WorkerStatus } from '../api/contract.js';

export interface MetricSources {
  readonly workersByStatus: () => Promise<Record<WorkerStatus, number>>;
  readonly operationsByStatus: () => Promise<Record<OperationStatus, number>>;
}

export class BackendMetrics {
  readonly registry = new Registry();
  private readonly dispatchLatency: Histogram;

  constructor(sources: MetricSources) {
    new Gauge({
      name: 'ktrdr_workers',
      help: 'Registered workers by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.workersByStatus();
        for (const status of WorkerStatus.options) this.set({ status }, counts[status] ?? 0);
      },
    });
    new Gauge({
      name: 'ktrdr_operations',
      help: 'Stored operations by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.operationsByStatus();
        for (const status of OperationStatus.options) this.set({ status }, counts[status] ?? 0);
      },
    });
    this.dispatchLatency = new Histogram({
      name: 'ktrdr_dispatch_latency_seconds',
      help: 'Time an operation waited from pending to running',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [this.registry],
    });
  }

  /** ktrdr_duty_holder: 1 while this backend runs the periodic duties (docs/architecture.md §9), else 0. */
  trackDuties(held: () => number, tries: () => number): void {
    new Counter({
      name: 'ktrdr_duty_lease_tries_total',
      help: 'Times this backend asked for the periodic duties lock',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(tries());
      },
    });
    new Gauge({
      name: 'ktrdr_duty_holder',
      help: 'Whether this backend runs the periodic duties (health checks, orphan detection, retention): 1 or 0',
      registers: [this.registry],
      collect() {
        this.set(held());
      },
    });
  }

  observeDispatchLatency(seconds: number): void {
    this.dispatchLatency.observe(seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
