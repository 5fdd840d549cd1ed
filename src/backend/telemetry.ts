/**
 * The backend's OpenTelemetry instruments (docs/architecture.md §8): the same facts as its Prometheus metrics
 * (workers and operations by status, dispatch latency), for a collector. Nothing is registered with telemetry off.
 */
import { OperationStatus, WorkerStatus } from '../api/contract.js';
import { ATTR, type Telemetry } from '../telemetry/telemetry.js';
import type { MetricSources } from './metrics.js';

export interface BackendInstruments {
  observeDispatchLatency(seconds: number): void;
}

/**
 * The last export, at shutdown, runs after the store is closed: a gauge that cannot be read then is left out of it
 * (an empty reading) rather than reported as an export failure.
 */
const orNothing = <T>(read: () => Promise<T>): Promise<T | null> => read().catch(() => null);

export function registerBackendInstruments(telemetry: Telemetry, sources: MetricSources): BackendInstruments {
  if (!telemetry.enabled) return { observeDispatchLatency: () => {} };
  telemetry.gauge('ktrdr.workers', 'Registered workers by status', async () => {
    const counts = await orNothing(sources.workersByStatus);
    if (!counts) return [];
    return WorkerStatus.options.map((status) => ({ value: counts[status] ?? 0, attributes: { [ATTR.workerStatus]: status } }));
  });
  telemetry.gauge('ktrdr.operations', 'Stored operations by status', async () => {
    const counts = await orNothing(sources.operationsByStatus);
    if (!counts) return [];
    return OperationStatus.options.map((status) => ({ value: counts[status] ?? 0, attributes: { [ATTR.operationStatus]: status } }));
  });
  const latency = telemetry.histogram('ktrdr.dispatch.latency', 'Time an operation waited from pending to running', 's');
  return { observeDispatchLatency: (seconds) => latency.record(seconds) };
}
