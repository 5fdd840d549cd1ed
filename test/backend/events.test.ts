/**
 * GET /api/v1/events against a real backend on an ephemeral port: authentication, the change events a client sees
 * (workers registered / updated / removed, operations created / progressing / changing status), heartbeats on a
 * quiet stream (moved by the ManualClock), and a clean end of every stream when the backend stops.
 * The dashboard's static routes are checked here too: public, and nothing more than `/` and `/assets/*`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardEvent } from '../../src/api/events.js';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';

const worker = fakeWorkers();
const backends: TestBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.stop()));
});

const HEARTBEAT_MS = 60_000;

async function backend(overrides: Parameters<typeof startTestBackend>[0] = {}): Promise<TestBackend> {
  // The feed compares every 20 ms of real time: tests wait for the event they expect, never for a fixed time.
  const b = await startTestBackend({ events: { intervalMs: 20, heartbeatMs: HEARTBEAT_MS }, ...overrides });
  backends.push(b);
  return b;
}

/** An SSE client over fetch, as the dashboard reads the stream. */
class Stream {
  readonly events: DashboardEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly controller: AbortController) {}

  static async open(url: string, token: string): Promise<Stream> {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = new Stream(controller);
    void stream.read(response.body as ReadableStream<Uint8Array>);
    await stream.until('the ready comment', () => stream.comments.includes('ready'));
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut).split('\n');
          buffer = buffer.slice(cut + 2);
          for (const line of block) if (line.startsWith(': ')) this.comments.push(line.slice(2));
          const name = block.find((line) => line.startsWith('event: '))?.slice(7);
          const data = block.find((line) => line.startsWith('data: '))?.slice(6);
          if (data === undefined) continue;
          const event = DashboardEvent.parse(JSON.parse(data));
          expect(event.type).toBe(name);
          this.events.push(event);
        }
        this.wake();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits until `condition` holds, re-checked on every chunk received; bounded. */
  async until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.ended) throw new Error(`the stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  find<T extends DashboardEvent['type']>(type: T, match: (event: Extract<DashboardEvent, { type: T }>) => boolean = () => true) {
    return this.events.find((event): event is Extract<DashboardEvent, { type: T }> => event.type === type && match(event as Extract<DashboardEvent, { type: T }>));
  }

  async next<T extends DashboardEvent['type']>(type: T, match?: (event: Extract<DashboardEvent, { type: T }>) => boolean): Promise<Extract<DashboardEvent, { type: T }>> {
    await this.until(type, () => this.find(type, match) !== undefined);
    return this.find(type, match) as Extract<DashboardEvent, { type: T }>;
  }

  /** The operation as the last event about it showed it. */
  latest(id: string) {
    for (const event of [...this.events].reverse()) {
      if ((event.type === 'operation.created' || event.type === 'operation.status' || event.type === 'operation.progress') && event.operation.operation_id === id) return event.operation;
    }
    return undefined;
  }

  close(): void {
    this.controller.abort();
  }
}

describe('GET /api/v1/events', () => {
  it('needs a cli bearer token in the header: none, a token in the query string, or a worker token are refused', async () => {
    const b = await backend();
    expect((await b.call('GET', '/events', undefined, { authorization: '' })).status).toBe(401);
    const token = await b.token();
    const inQuery = await fetch(`${b.api}/events?access_token=${token}`);
    expect(inQuery.status).toBe(401);
    await inQuery.text();
    expect((await b.as('worker', 'w1').call('GET', '/events')).status).toBe(403);
  });

  it('streams worker and operation changes as they happen', async () => {
    const b = await backend();
    const stream = await Stream.open(b.url, await b.token());
    try {
      const fake = await worker('events-w1');
      expect((await b.register(fake)).status).toBe(200);
      const registered = await stream.next('worker.registered', (e) => e.worker.worker_id === 'events-w1');
      expect(registered.worker).toMatchObject({ worker_type: 'training', status: 'available', endpoint_url: fake.url });

      const started = await b.call('POST', '/dummy/start', { steps: 10, step_delay_ms: 0 });
      expect(started.status).toBe(200);
      const id = started.body.operation_id as string;
      await stream.next('operation.created', (e) => e.operation.operation_id === id);
      // The submission wakes the dispatcher: the operation may be created already running, or turn running after.
      await b.backend.dispatcher.task.runOnce();
      await stream.until('the operation running', () => stream.latest(id)?.status === 'running');
      await stream.next('worker.updated', (e) => e.worker.worker_id === 'events-w1' && e.worker.status === 'busy');

      // Progress lives on the worker; the feed refreshes it like a GET would (once the cache TTL has passed).
      fake.progress = { ...fake.progress, percentage: 40, steps_completed: 4, current_step: 'step 4' };
      b.clock.advance(2_000);
      const progress = await stream.next('operation.progress', (e) => e.operation.operation_id === id && e.operation.progress.percentage === 40);
      expect(progress.operation.progress.current_step).toBe('step 4');

      expect((await b.call('DELETE', `/operations/${id}`)).status).toBe(200);
      const cancelled = await stream.next('operation.status', (e) => e.operation.operation_id === id && e.operation.status === 'cancelled');
      expect(cancelled.previous_status).toBe('running');

      expect((await b.as('worker', 'events-w1').call('DELETE', '/workers/events-w1')).status).toBe(200);
      await stream.next('worker.removed', (e) => e.worker_id === 'events-w1');
      // Each change is told once.
      expect(stream.events.filter((e) => e.type === 'operation.created')).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  it('sends a heartbeat when the stream was quiet for the heartbeat interval', async () => {
    const b = await backend();
    const stream = await Stream.open(b.url, await b.token());
    try {
      expect(stream.find('heartbeat')).toBeUndefined();
      b.clock.advance(HEARTBEAT_MS);
      const beat = await stream.next('heartbeat');
      expect(beat.at).toBe(new Date(b.clock.now()).toISOString());
    } finally {
      stream.close();
    }
  });

  it('ends every stream with a shutdown event when the backend stops, and the stop does not wait for the clients', async () => {
    const b = await backend();
    const token = await b.token();
    const streams = [await Stream.open(b.url, token), await Stream.open(b.url, token)];
    await b.stop();
    for (const stream of streams) {
      await stream.until('the end of the stream', () => stream.ended);
      expect(stream.find('shutdown')).toBeDefined();
    }
  });
});

describe('the dashboard at /', () => {
  it('serves index.html and hashed assets without a token, and nothing else public', async () => {
    const webDir = mkdtempSync(join(tmpdir(), 'ktrdr-web-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>ktrdr dashboard</title>');
    writeFileSync(join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(webDir, 'secret.txt'), 'not served');
    const b = await backend({ webDir });

    const index = await fetch(`${b.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('ktrdr dashboard');

    const asset = await fetch(`${b.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    await asset.text();

    for (const path of ['/secret.txt', '/assets/..%2Fsecret.txt', '/assets/.hidden', '/assets/missing.js']) {
      const response = await fetch(`${b.url}${path}`);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(await response.text(), path).not.toContain('not served');
    }
    // An unknown API path still asks for a token first.
    expect((await fetch(`${b.api}/nothing-here`)).status).toBe(401);
  });

  it('says how to build the dashboard when it is not built', async () => {
    const b = await backend({ webDir: mkdtempSync(join(tmpdir(), 'ktrdr-web-empty-')) });
    const response = await fetch(`${b.url}/`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('npm run build');
  });
});
