/**
 * KTRDR_API_LOG_LEVEL: the HTTP server's own log. Unset, health checks and polling
 * write nothing; at INFO every request is a line; the process log is unchanged.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TokenService } from '../../src/auth/tokens.js';
import { PUBLIC } from '../../src/http/access-control.js';
import { createHttpServer } from '../../src/http/create-server.js';
import { createLogger, type LogLevelName } from '../../src/logging/logger.js';

let app: FastifyInstance | null = null;

afterEach(async () => {
  await app?.close();
  app = null;
});

/** A server with one open route, logging JSON lines into `lines`; returns its base URL. */
async function serve(logLevel: LogLevelName | null, lines: string[]): Promise<string> {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'INFO', format: 'json', name: 'backend', destination });
  app = createHttpServer({ logger, processName: 'backend', tokens: new TokenService('x'.repeat(32), 60), uploadLimitBytes: 1024, logLevel });
  app.get('/ping', { config: { roles: PUBLIC } }, async () => ({ ok: true }));
  return app.listen({ host: '127.0.0.1', port: 0 });
}

const requestLines = (lines: readonly string[]) => lines.filter((line) => line.includes('"url":"/ping"') || line.includes('request completed'));

describe('KTRDR_API_LOG_LEVEL', () => {
  it('unset: requests write no line', async () => {
    const lines: string[] = [];
    const url = await serve(null, lines);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    await app?.close();
    expect(requestLines(lines)).toEqual([]);
  });

  it('INFO: every request is logged by the HTTP component', async () => {
    const lines: string[] = [];
    const url = await serve('INFO', lines);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    await app?.close();
    const logged = requestLines(lines).map((line) => JSON.parse(line) as { component?: string });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((entry) => entry.component === 'http')).toBe(true);
  });

  it('ERROR: quieter than the process log, requests write no line', async () => {
    const lines: string[] = [];
    const url = await serve('ERROR', lines);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    await app?.close();
    expect(requestLines(lines)).toEqual([]);
  });
});
