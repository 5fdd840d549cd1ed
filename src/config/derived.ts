/**
 * Values the processes compute from settings, defined once so that every
 * entry point reads a setting the same way.
 */
import type { LoggingSettings } from './settings.js';

/**
 * Seconds to the integer milliseconds a timer needs. Durations are validated
 * as whole milliseconds; rounding only removes the binary noise of `1.001 * 1000`.
 */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** KTRDR_LOG_JSON_OUTPUT=true asks for JSON lines whatever KTRDR_LOG_FORMAT says. */
export function logFormatOf(logging: Pick<LoggingSettings, 'format' | 'jsonOutput'>): 'text' | 'json' {
  return logging.jsonOutput ? 'json' : logging.format;
}

/** Where OTLP/HTTP collectors listen by default (the OpenTelemetry specification's), used when KTRDR_OTEL_OTLP_ENDPOINT is unset. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
