/**
 * An OTLP/HTTP receiver for tests: a plain node:http server that accepts `POST /v1/traces` and `POST /v1/metrics`
 * with JSON bodies (what @opentelemetry/exporter-*-otlp-http sends) and keeps them, flattened to spans and data points.
 */
import { createServer, type Server } from 'node:http';

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
type Attrs = Record<string, string | number | boolean | null>;

export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  /** OTLP's numbering: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly attributes: Attrs;
  readonly resource: Attrs;
}

export interface ReceivedPoint {
  readonly metric: string;
  readonly value: number;
  readonly attributes: Attrs;
  readonly resource: Attrs;
}

function valueOf(value: AnyValue | undefined): string | number | boolean | null {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return null;
}

const attrs = (list: KeyValue[] | undefined): Attrs => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

/* eslint-disable @typescript-eslint/no-explicit-any -- OTLP JSON bodies, read defensively */
function spansOf(body: any): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs: any) =>
    (rs.scopeSpans ?? []).flatMap((ss: any) =>
      (ss.spans ?? []).map((span: any) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        kind: span.kind,
        statusCode: span.status?.code ?? 0,
        attributes: attrs(span.attributes),
        resource: attrs(rs.resource?.attributes),
      })),
    ),
  );
}

function pointsOf(body: any): ReceivedPoint[] {
  return (body.resourceMetrics ?? []).flatMap((rm: any) =>
    (rm.scopeMetrics ?? []).flatMap((sm: any) =>
      (sm.metrics ?? []).flatMap((metric: any) => {
        const data = metric.sum ?? metric.gauge ?? metric.histogram;
        return (data?.dataPoints ?? []).map((point: any) => ({
          metric: metric.name,
          // Sums and gauges carry a value; histograms a count.
          value: Number(point.asInt ?? point.asDouble ?? point.count ?? 0),
          attributes: attrs(point.attributes),
          resource: attrs(rm.resource?.attributes),
        }));
      }),
    ),
  );
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly points: ReceivedPoint[] = [];
  /** Requests that were not OTLP JSON on a known path (the test expects none). */
  readonly rejected: string[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          if (request.method !== 'POST' || !String(request.headers['content-type']).startsWith('application/json')) throw new Error('not a JSON POST');
          if (request.url === '/v1/traces') this.spans.push(...spansOf(JSON.parse(text)));
          else if (request.url === '/v1/metrics') this.points.push(...pointsOf(JSON.parse(text)));
          else throw new Error('unknown path');
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          this.rejected.push(`${request.method} ${request.url} ${request.headers['content-type']}: ${String(error)}`);
          response.writeHead(400).end();
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('receiver is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
