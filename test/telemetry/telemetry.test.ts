/**
 * The telemetry module in one process: off costs nothing (NO_TELEMETRY, the SDK not even built); on, spans carry
 * their trace context across a process boundary through W3C headers, failures mark the span, and shutdown flushes
 * to an OTLP/HTTP receiver. The cross-process picture is test/e2e/telemetry.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry } from '../../src/telemetry/create.js';
import { NO_TELEMETRY } from '../../src/telemetry/telemetry.js';
import { OtlpReceiver } from './otlp-receiver.js';

const IDENTITY = { role: 'backend', version: '1.2.3' };
const settings = (extra: Partial<Parameters<typeof createTelemetry>[0]> = {}) => ({
  enabled: false,
  otlpEndpoint: null,
  serviceName: 'ktrdr-test',
  consoleOutput: false,
  metricExportInterval: 3600,
  ...extra,
});

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  vi.restoreAllMocks();
});

describe('createTelemetry', () => {
  it('is NO_TELEMETRY with export and console output off', async () => {
    expect(await createTelemetry(settings(), IDENTITY, () => {})).toBe(NO_TELEMETRY);
    expect(NO_TELEMETRY.startSpan('x').traceHeaders()).toEqual({});
  });

  it('exports spans linked through traceparent headers, with status and resource, when it shuts down', async () => {
    receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    const warnings: string[] = [];
    const telemetry = await createTelemetry(settings({ enabled: true, otlpEndpoint: `${endpoint}/` }), IDENTITY, (m) => warnings.push(m));
    expect(telemetry.enabled).toBe(true);

    const sender = telemetry.startSpan('dispatch', { kind: 'client', attributes: { 'ktrdr.operation.id': 'op_1', absent: null } });
    const headers = sender.traceHeaders();
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // As another process receives it: header names in lower case, values possibly arrays.
    const receiverSpan = telemetry.startSpan('POST /operations/start', { kind: 'server', parentHeaders: { traceparent: [headers.traceparent as string] } });
    const child = telemetry.startSpan('operation dummy', { parent: receiverSpan });
    child.fail(new Error('step 2 failed'));
    child.end();
    child.end(); // a second end is ignored
    receiverSpan.end();
    sender.end();
    telemetry.counter('ktrdr.test.count', 'a test counter').add(2, { kind: 'x' });
    await telemetry.shutdown();

    expect(receiver.rejected).toEqual([]);
    const byName = new Map(receiver.spans.map((span) => [span.name, span]));
    expect(receiver.spans).toHaveLength(3);
    const [dispatch, start, run] = ['dispatch', 'POST /operations/start', 'operation dummy'].map((name) => byName.get(name));
    expect(dispatch).toMatchObject({ parentSpanId: '', attributes: { 'ktrdr.operation.id': 'op_1' }, resource: { 'service.name': 'ktrdr-test', 'ktrdr.process': 'backend', 'service.version': '1.2.3' } });
    expect(dispatch?.attributes).not.toHaveProperty('absent');
    expect(start).toMatchObject({ traceId: dispatch?.traceId, parentSpanId: dispatch?.spanId, kind: 2 });
    expect(run).toMatchObject({ traceId: dispatch?.traceId, parentSpanId: start?.spanId, statusCode: 2 });
    expect(receiver.points).toContainEqual(expect.objectContaining({ metric: 'ktrdr.test.count', value: 2, attributes: { kind: 'x' } }));
    expect(warnings).toEqual([]);
  });

  it('prints spans on the console with KTRDR_OTEL_CONSOLE_OUTPUT alone, exporting nowhere', async () => {
    const printed: unknown[] = [];
    vi.spyOn(console, 'dir').mockImplementation((value) => void printed.push(value));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const telemetry = await createTelemetry(settings({ consoleOutput: true }), IDENTITY, () => {});
    telemetry.startSpan('visible span').end();
    await telemetry.shutdown();
    expect(printed).toContainEqual(expect.objectContaining({ name: 'visible span' }));
  });
});
