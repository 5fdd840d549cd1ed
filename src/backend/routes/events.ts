/**
 * GET /api/v1/events: server-sent events of operation and worker changes (docs/architecture.md §4.1), for the
 * dashboard and any CLI that wants to follow along instead of polling.
 *
 * Authentication is the usual bearer header, and only that: no token in the query string, because URLs end up in
 * logs, proxies and browser history. The dashboard reads the stream with fetch() (which can send the header)
 * instead of EventSource (which cannot).
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardEvent } from '../../api/events.js';
import type { ChangeFeed } from '../events/change-feed.js';

/** How long a browser waits before reconnecting after the stream drops (the SSE `retry` field). */
const RETRY_MS = 2_000;

export function eventRoutes(app: FastifyInstance, feed: ChangeFeed): void {
  let sequence = 0;
  const streams = new Set<() => void>();

  // Before the server closes: end every stream, or close() would wait for them forever.
  app.addHook('preClose', async () => {
    await feed.close();
    for (const end of [...streams]) end();
  });

  app.get(
    '/events',
    {
      config: { roles: ['cli'] },
      // A stream has no headers-only form: a HEAD would hold a subscription open with nothing to send it to.
      exposeHeadRoute: false,
      schema: {
        tags: ['events'],
        summary:
          'Server-sent events: operation.created / .status / .progress, worker.registered / .updated / .removed, heartbeat, shutdown (data: JSON of the DashboardEvent schema)',
      },
    },
    async (request, reply) => {
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Proxies such as nginx buffer responses unless told not to; events would arrive in bursts.
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: ${RETRY_MS}\n: connected\n\n`);
      let ended = false;
      let unsubscribe: (() => void) | null = null;
      const end = () => {
        if (ended) return;
        ended = true;
        streams.delete(end);
        unsubscribe?.();
        raw.end();
      };
      streams.add(end);
      const write = (event: DashboardEvent) => {
        if (ended) return;
        sequence += 1;
        raw.write(`id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        if (event.type === 'shutdown') end();
      };
      request.raw.on('close', end);
      try {
        unsubscribe = await feed.subscribe(write);
        if (ended) unsubscribe();
        // The baseline exists now: tell the client it may read the lists, every later change will be streamed.
        else raw.write(': ready\n\n');
      } catch (error) {
        request.log.warn({ err: error }, 'events: could not subscribe');
        end();
      }
    },
  );
}
