/**
 * What ktrdr's processes record about themselves for OpenTelemetry: spans and a few instruments, behind an
 * interface of its own so that the code that records (HTTP hooks, the dispatcher, the operation runner) never
 * imports the SDK. With KTRDR_OTEL_ENABLED and KTRDR_OTEL_CONSOLE_OUTPUT off, processes get NO_TELEMETRY and the
 * SDK is never loaded (`createTelemetry` imports it on demand). See docs/architecture.md §8.
 */

export type AttributeValue = string | number | boolean;
/** Null and undefined values are left out, so that optional facts can be passed as they are. */
export type Attributes = Readonly<Record<string, AttributeValue | null | undefined>>;

/** Incoming request headers as Node gives them (node:http's IncomingHttpHeaders fits). */
export type HeaderCarrier = Readonly<Record<string, string | readonly string[] | undefined>>;

export type SpanKind = 'server' | 'client' | 'internal';

export interface TelemetrySpan {
  setAttributes(attributes: Attributes): void;
  /** Marks the span as failed (status ERROR) with the error's message, and records the exception. */
  fail(error: unknown): void;
  /** Ends the span; later calls do nothing. */
  end(): void;
  /** W3C trace-context headers (`traceparent`, `tracestate`) that make this span the parent of work in another process. */
  traceHeaders(): Record<string, string>;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent in this process. Takes precedence over `parentHeaders`. */
  readonly parent?: TelemetrySpan | null;
  /** The trace context another process sent (a request's headers); ignored when they carry none. */
  readonly parentHeaders?: HeaderCarrier;
}

export interface Counter {
  add(value: number, attributes?: Attributes): void;
}

export interface Histogram {
  record(value: number, attributes?: Attributes): void;
}

export interface GaugeReading {
  readonly value: number;
  readonly attributes?: Attributes;
}

export interface Telemetry {
  /** False for NO_TELEMETRY: callers may skip work that only telemetry needs. */
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): TelemetrySpan;
  counter(name: string, description: string, unit?: string): Counter;
  histogram(name: string, description: string, unit: string): Histogram;
  /** A gauge read when metrics are collected (`read` may query the store). */
  gauge(name: string, description: string, read: () => Promise<readonly GaugeReading[]>): void;
  /** Exports what is still buffered and stops; called once, on shutdown. */
  shutdown(): Promise<void>;
}

const NO_SPAN: TelemetrySpan = {
  setAttributes: () => {},
  fail: () => {},
  end: () => {},
  traceHeaders: () => ({}),
};

/** Records nothing and costs nothing: the telemetry of a process with OpenTelemetry off. */
export const NO_TELEMETRY: Telemetry = {
  enabled: false,
  startSpan: () => NO_SPAN,
  counter: () => ({ add: () => {} }),
  histogram: () => ({ record: () => {} }),
  gauge: () => {},
  shutdown: async () => {},
};

/** Attribute names shared by the spans and instruments of every process (one spelling, for the queries people write). */
export const ATTR = {
  operationId: 'ktrdr.operation.id',
  operationType: 'ktrdr.operation.type',
  operationStatus: 'ktrdr.operation.status',
  resumedFromUnits: 'ktrdr.operation.resumed_from_units',
  workerId: 'ktrdr.worker.id',
  workerType: 'ktrdr.worker.type',
  workerStatus: 'ktrdr.worker.status',
  dispatchResult: 'ktrdr.dispatch.result',
} as const;
