/**
 * OpenTelemetry through real processes: a backend and a worker with KTRDR_OTEL_ENABLED export to an OTLP/HTTP
 * receiver started by the test. One trace holds the submission's server span, the dispatch, the worker's start
 * request (child of the dispatch, through the traceparent header) and the operation run (child of that request);
 * the metrics count the runs by how they ended and the registered workers. Stopping the processes with SIGTERM
 * flushes what is still buffered, so nothing here waits on an export interval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { budget, OPERATION_MS, STARTUP_MS, STOP_MS, waitFor } from '../support/processes.js';
import { OtlpReceiver, type ReceivedPoint, type ReceivedSpan } from '../telemetry/otlp-receiver.js';
import { Cluster } from './cluster.js';

let cluster: Cluster | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await cluster?.stop();
  await receiver?.close();
});

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
/** A stop that flushes to a collector on a busy machine: far below, its SIGKILL would fail the exit assertions. */
const FLUSHING_STOP_MS = 4 * STOP_MS;

function only(spans: readonly ReceivedSpan[], what: string, predicate: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(predicate);
  expect(found, `exactly one ${what} among ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0] as ReceivedSpan;
}

const total = (points: readonly ReceivedPoint[], metric: string, attributes: Record<string, unknown>, resource: Record<string, unknown> = {}) =>
  points
    .filter((p) => p.metric === metric && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .filter((p) => Object.entries(resource).every(([k, v]) => p.resource[k] === v))
    // Cumulative sums: the latest export holds the total, so the largest value is it.
    .reduce((max, p) => Math.max(max, p.value), 0);

describe('OpenTelemetry export', () => {
  it(
    'exports spans of the HTTP requests, the dispatch and each operation run, linked in one trace, and the metrics',
    async () => {
      receiver = new OtlpReceiver();
      const endpoint = await receiver.start();
      cluster = new Cluster({
        KTRDR_OTEL_ENABLED: 'true',
        KTRDR_OTEL_OTLP_ENDPOINT: endpoint,
        KTRDR_OTEL_SERVICE_NAME: 'ktrdr-e2e',
        // Frequent exports, so that the worker gauge is read while the worker is registered.
        KTRDR_OTEL_METRIC_EXPORT_INTERVAL: '0.5',
      });
      const backend = await cluster.startBackend();
      const worker = await cluster.startWorker('backtesting');

      const okId = await cluster.startDummy({ steps: 3, step_delay_ms: 10, worker_type: 'backtesting' });
      await cluster.waitForOperation(okId, (op) => op.status === 'completed', 'to complete');
      const failedId = await cluster.startDummy({ steps: 3, step_delay_ms: 10, fail_at_step: 2, worker_type: 'backtesting' });
      await cluster.waitForOperation(failedId, (op) => op.status === 'failed', 'to fail');
      const received = receiver;
      await waitForWorkerGauge(received);

      expect(await worker.process.stop('SIGTERM', FLUSHING_STOP_MS)).toEqual({ code: 0, signal: null });
      expect(await backend.stop('SIGTERM', FLUSHING_STOP_MS)).toEqual({ code: 0, signal: null });
      expect(received.rejected).toEqual([]);
      const spans = received.spans;

      // Every span names its process and the configured service.
      expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set(['ktrdr-e2e']));
      expect(spans.filter((s) => s.resource['ktrdr.process'] === 'worker').every((s) => s.resource['ktrdr.worker.type'] === 'backtesting')).toBe(true);

      for (const [id, status] of [
        [okId, 'completed'],
        [failedId, 'failed'],
      ] as const) {
        const dispatch = only(spans, `dispatch span of ${id}`, (s) => s.name === 'dispatch dummy' && s.attributes['ktrdr.operation.id'] === id);
        expect(dispatch).toMatchObject({
          kind: CLIENT,
          resource: { 'ktrdr.process': 'backend' },
          attributes: { 'ktrdr.operation.type': 'dummy', 'ktrdr.worker.id': worker.id, 'ktrdr.worker.type': 'backtesting', 'ktrdr.dispatch.result': 'started' },
        });
        // The worker's start request continues the dispatch's trace (traceparent on the backend → worker call) …
        const start = only(spans, `worker start request of ${id}`, (s) => s.name === 'POST /operations/start' && s.parentSpanId === dispatch.spanId);
        expect(start).toMatchObject({
          traceId: dispatch.traceId,
          kind: SERVER,
          resource: { 'ktrdr.process': 'worker' },
          attributes: { 'http.request.method': 'POST', 'http.route': '/operations/start', 'http.response.status_code': 202 },
        });
        // … and the run is a child of that request, ended with the operation's outcome.
        const run = only(spans, `operation span of ${id}`, (s) => s.name === 'operation dummy' && s.attributes['ktrdr.operation.id'] === id);
        expect(run).toMatchObject({
          traceId: dispatch.traceId,
          parentSpanId: start.spanId,
          resource: { 'ktrdr.process': 'worker' },
          attributes: { 'ktrdr.operation.type': 'dummy', 'ktrdr.worker.id': worker.id, 'ktrdr.operation.status': status },
        });
        expect(run.statusCode === ERROR).toBe(status === 'failed');
      }

      // The backend's server spans: the submissions, by route, with their answers.
      const submissions = spans.filter((s) => s.name === 'POST /api/v1/dummy/start');
      expect(submissions).toHaveLength(2);
      for (const span of submissions) {
        expect(span).toMatchObject({ kind: SERVER, resource: { 'ktrdr.process': 'backend' }, attributes: { 'http.route': '/api/v1/dummy/start', 'http.response.status_code': 200 } });
      }
      // The worker's calls to the backend are server spans there too (registration, outcomes).
      expect(spans.some((s) => s.name === 'POST /api/v1/operations/:id/outcome' && s.resource['ktrdr.process'] === 'backend')).toBe(true);

      const points = received.points;
      const onWorker = { 'ktrdr.process': 'worker' };
      expect(total(points, 'ktrdr.operations.started', { 'ktrdr.operation.type': 'dummy', 'ktrdr.worker.id': worker.id }, onWorker)).toBe(2);
      expect(total(points, 'ktrdr.operations.finished', { 'ktrdr.operation.type': 'dummy', 'ktrdr.operation.status': 'completed' }, onWorker)).toBe(1);
      expect(total(points, 'ktrdr.operations.finished', { 'ktrdr.operation.type': 'dummy', 'ktrdr.operation.status': 'failed' }, onWorker)).toBe(1);
      expect(total(points, 'ktrdr.operation.duration', { 'ktrdr.operation.status': 'completed' }, onWorker)).toBe(1);
      expect(total(points, 'http.server.request.duration', { 'http.route': '/api/v1/dummy/start' }, { 'ktrdr.process': 'backend' })).toBe(2);
      expect(total(points, 'ktrdr.operations', { 'ktrdr.operation.status': 'completed' }, { 'ktrdr.process': 'backend' })).toBe(1);
    },
    budget(STARTUP_MS, STARTUP_MS, OPERATION_MS, OPERATION_MS, OPERATION_MS, 2 * FLUSHING_STOP_MS),
  );
});

/**
 * The backend's gauges have reported the registered worker and both ended operations (exported every 0.5 s while it
 * runs). Waited for, not assumed: on a fast machine the operations end between two exports, and the export at shutdown
 * comes after the store is closed, so it carries no store gauge.
 */
async function waitForWorkerGauge(receiver: OtlpReceiver): Promise<void> {
  const onBackend = { 'ktrdr.process': 'backend' };
  await waitFor(
    'the backend to export ktrdr.workers with one available worker, and ktrdr.operations with one completed and one failed operation',
    () =>
      total(receiver.points, 'ktrdr.workers', { 'ktrdr.worker.status': 'available' }, onBackend) === 1 &&
      total(receiver.points, 'ktrdr.operations', { 'ktrdr.operation.status': 'completed' }, onBackend) === 1 &&
      total(receiver.points, 'ktrdr.operations', { 'ktrdr.operation.status': 'failed' }, onBackend) === 1,
    { timeoutMs: OPERATION_MS, whileAlive: [cluster?.backend] },
  );
}
