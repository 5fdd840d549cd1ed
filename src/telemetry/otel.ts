/**
 * The OpenTelemetry implementation of Telemetry, loaded only when telemetry is on (see create.ts): the official
 * SDK's tracer and meter providers, exporting over OTLP/HTTP (JSON) to `<endpoint>/v1/traces` and
 * `<endpoint>/v1/metrics`, and to the console when asked.
 *
 * Nothing is registered globally (no global tracer provider, context manager or propagator): parents are passed
 * explicitly, so two processes' worth of telemetry can live in one test process and nothing depends on
 * AsyncLocalStorage following every await. The one global touched is OpenTelemetry's diagnostic logger, the only
 * way the SDK reports failed exports, routed to the process's log at warning level.
 */
import {
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Attributes as OtelAttributes,
  type Context,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Attributes, Counter, GaugeReading, Histogram, SpanKind, SpanOptions, Telemetry, TelemetrySpan } from './telemetry.js';

export interface OtelOptions {
  /** OTLP/HTTP base URL (http://collector:4318), or null to export nowhere but the console. */
  readonly otlpEndpoint: string | null;
  readonly consoleOutput: boolean;
  /** Resource attributes: service.name and what tells this process from the others. */
  readonly resource: Attributes;
  readonly metricIntervalMs: number;
  /** Bound on one export (and so on the flush at shutdown when the collector does not answer). */
  readonly exportTimeoutMs: number;
  readonly warn: (message: string) => void;
}

const KINDS: Record<SpanKind, OtelSpanKind> = { server: OtelSpanKind.SERVER, client: OtelSpanKind.CLIENT, internal: OtelSpanKind.INTERNAL };

const propagator = new W3CTraceContextPropagator();

function clean(attributes: Attributes | undefined): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

class OtelSpan implements TelemetrySpan {
  constructor(readonly span: Span) {}

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(clean(attributes));
  }

  fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.span.recordException(error instanceof Error ? error : message);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    if (this.span.isRecording()) this.span.end();
  }

  traceHeaders(): Record<string, string> {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), carrier, { set: (target, key, value) => void (target[key] = value) });
    return carrier;
  }
}

function parentContext(options: SpanOptions): Context {
  if (options.parent instanceof OtelSpan) return trace.setSpan(ROOT_CONTEXT, options.parent.span);
  if (!options.parentHeaders) return ROOT_CONTEXT;
  const headers = options.parentHeaders;
  return propagator.extract(ROOT_CONTEXT, headers, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => {
      const value = carrier[key.toLowerCase()];
      return typeof value === 'string' ? value : value?.[0];
    },
  });
}

export class OtelTelemetry implements Telemetry {
  readonly enabled = true;
  private readonly tracerProvider: TracerProvider;
  private readonly meterProvider: MeterProvider;
  private readonly tracer: Tracer;
  private readonly meter: Meter;
  private stopped: Promise<void> | null = null;

  constructor(options: OtelOptions) {
    diag.setLogger(
      {
        error: (message) => options.warn(`OpenTelemetry: ${message}`),
        warn: (message) => options.warn(`OpenTelemetry: ${message}`),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const resource = resourceFromAttributes(clean(options.resource));
    const endpoint = options.otlpEndpoint?.replace(/\/+$/, '') ?? null;

    const spanProcessors: SpanProcessor[] = [];
    if (endpoint) {
      spanProcessors.push(
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: options.exportTimeoutMs }),
          exportTimeoutMillis: options.exportTimeoutMs,
        }),
      );
    }
    // Span by span, as they end: console output is for watching a process live.
    if (options.consoleOutput) spanProcessors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    this.tracerProvider = new TracerProvider({ resource, spanProcessors });

    const readers: IMetricReader[] = [];
    if (endpoint) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics`, timeoutMillis: options.exportTimeoutMs }),
          exportIntervalMillis: options.metricIntervalMs,
          exportTimeoutMillis: Math.min(options.exportTimeoutMs, options.metricIntervalMs),
        }),
      );
    }
    if (options.consoleOutput) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new ConsoleMetricExporter(),
          exportIntervalMillis: options.metricIntervalMs,
          exportTimeoutMillis: Math.min(options.exportTimeoutMs, options.metricIntervalMs),
        }),
      );
    }
    this.meterProvider = new MeterProvider({ resource, readers });
    this.tracer = this.tracerProvider.getTracer('ktrdr');
    this.meter = this.meterProvider.getMeter('ktrdr');
  }

  startSpan(name: string, options: SpanOptions = {}): TelemetrySpan {
    const span = this.tracer.startSpan(
      name,
      { kind: KINDS[options.kind ?? 'internal'], attributes: clean(options.attributes) },
      parentContext(options),
    );
    return new OtelSpan(span);
  }

  counter(name: string, description: string, unit?: string): Counter {
    const counter = this.meter.createCounter(name, { description, ...(unit ? { unit } : {}) });
    return { add: (value, attributes) => counter.add(value, clean(attributes)) };
  }

  histogram(name: string, description: string, unit: string): Histogram {
    const histogram = this.meter.createHistogram(name, { description, unit });
    return { record: (value, attributes) => histogram.record(value, clean(attributes)) };
  }

  gauge(name: string, description: string, read: () => Promise<readonly GaugeReading[]>): void {
    const gauge = this.meter.createObservableGauge(name, { description });
    gauge.addCallback(async (result) => {
      for (const reading of await read()) result.observe(reading.value, clean(reading.attributes));
    });
  }

  /** Flushes spans first (they are what a shutdown most often interrupts), then metrics; failures are only warned. */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      await this.tracerProvider.shutdown().catch((error: unknown) => diag.warn(`trace export at shutdown failed: ${String(error)}`));
      await this.meterProvider.shutdown().catch((error: unknown) => diag.warn(`metric export at shutdown failed: ${String(error)}`));
    })();
    return this.stopped;
  }
}
