/**
 * Builds a process's Telemetry from the observability settings: NO_TELEMETRY when both KTRDR_OTEL_ENABLED and
 * KTRDR_OTEL_CONSOLE_OUTPUT are off, without loading the OpenTelemetry SDK (a dynamic import, so that processes
 * with telemetry off do not pay for it at start-up); else the SDK-backed implementation.
 */
import { hostname } from 'node:os';
import { DEFAULT_OTLP_ENDPOINT, secondsToMs } from '../config/derived.js';
import { NO_TELEMETRY, type Attributes, type Telemetry } from './telemetry.js';

const EXPORT_TIMEOUT_MS = 5_000;

export interface TelemetrySettings {
  readonly enabled: boolean;
  readonly otlpEndpoint?: string | null | undefined;
  readonly serviceName: string;
  readonly consoleOutput: boolean;
  /** Seconds between metric exports (and console prints) while the process runs; shutdown exports the rest. */
  readonly metricExportInterval: number;
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
    metricIntervalMs: secondsToMs(settings.metricExportInterval),
    exportTimeoutMs: EXPORT_TIMEOUT_MS,
    warn,
  });
}
