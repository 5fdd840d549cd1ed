/**
 * Builds a process's Telemetry from the observability settings: NO_TELEMETRY when both KTRDR_OTEL_ENABLED and
 * KTRDR_OTEL_CONSOLE_OUTPUT are off, without loading the OpenTelemetry SDK (a dynamic import, so that processes
 * with telemetry off do not pay for it at start-up); else the SDK-backed implementation.
 */
import { hostname } from 'node:os';
import { DEFAULT_OTLP_ENDPOINT } from '../config/derived.js';
import { NO_TELEMETRY, type Attributes, type Telemetry } from './telemetry.js';

/** How often metrics are exported (and the console written) while the process runs; shutdown exports the rest. */
export const METRIC_EXPORT_INTERVAL_MS = 15_000;
const EXPORT_TIMEOUT_MS = 5_000;

export interface TelemetrySettings {
  readonly enabled: boolean;
  readonly otlpEndpoint?: string | null | undefined;
  readonly serviceName: string;
  readonly consoleOutput: boolean;
}

export interface ProcessIdentity {
  /** `backend` or `worker`. */
  readonly role: string;
  readonly version: string;
  /** More resource attributes (a worker's type). */
  readonly attributes?: Attributes;
}

export async function createTelemetry(
  settings: TelemetrySettings,
  identity: ProcessIdentity,
  warn: (message: string) => void,
  options: { metricIntervalMs?: number } = {},
): Promise<Telemetry> {
  if (!settings.enabled && !settings.consoleOutput) return NO_TELEMETRY;
  const { OtelTelemetry } = await import('./otel.js');
  return new OtelTelemetry({
    otlpEndpoint: settings.enabled ? (settings.otlpEndpoint ?? DEFAULT_OTLP_ENDPOINT) : null,
    consoleOutput: settings.consoleOutput,
    resource: {
      'service.name': settings.serviceName,
      'service.version': identity.version,
      'host.name': hostname(),
      'process.pid': process.pid,
      'ktrdr.process': identity.role,
      ...identity.attributes,
    },
    metricIntervalMs: options.metricIntervalMs ?? METRIC_EXPORT_INTERVAL_MS,
    exportTimeoutMs: EXPORT_TIMEOUT_MS,
    warn,
  });
}
