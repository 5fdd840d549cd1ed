/**
 * A fleet of light fake workers in one process, for `npm run bench -- dispatch` (forked by dispatch.bench.ts): one
 * HTTP server answers GET /health for every worker under its own path (`/w/<id>/health`, so each has its own
 * endpoint_url), and each worker talks to the backend through the real HTTP API with its own worker token:
 * POST /workers/register, and while heartbeating, GET /workers/{id} with a new registration on 404 (the worker
 * contract of docs/architecture.md §5.1–5.2). The workers are backtesting workers that never get work: the bench
 * submits dummy operations to training workers only.
 *
 * Commands (IPC, from the parent): register (all, some at a time), heartbeat (start beating and record when each
 * worker registered again), health-times (when each GET /health arrived). Answers: see FleetMessage.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TokenService } from '../src/auth/tokens.js';

export interface FleetOptions {
  readonly count: number;
  /** The backend's API base URL (…/api/v1). */
  readonly apiBase: string;
  readonly secret: string;
  readonly heartbeatMs: number;
  /** Registrations in flight at once during the initial registration. */
  readonly registerConcurrency: number;
}

export type FleetCommand = { readonly cmd: 'register' } | { readonly cmd: 'heartbeat' } | { readonly cmd: 'health-times' } | { readonly cmd: 'reregistered' };

export type FleetMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'registered'; readonly ms: number; readonly failures: number; readonly firstError: string | null }
  /** `registered`: how many the first registration took so far; `count`: how many registered again since `heartbeat`. */
  | { readonly type: 'reregistered'; readonly registered: number; readonly count: number; readonly last: number | null }
  | { readonly type: 'health-times'; readonly times: readonly number[] }
  | { readonly type: 'error'; readonly message: string };

const now = (): number => performance.timeOrigin + performance.now();
const send = (message: FleetMessage): void => void process.send?.(message);

const options = JSON.parse(process.argv[2] ?? '{}') as FleetOptions;
const ids = Array.from({ length: options.count }, (_, i) => `fleet-${String(i).padStart(5, '0')}`);
const known = new Set(ids);
const healthTimes: number[] = [];
/** Worker id → when it registered again since `heartbeat` was asked. */
const reregistered = new Map<string, number>();
let beating = false;
let registeredCount = 0;
let port = 0;

function health(request: IncomingMessage, response: ServerResponse): void {
  const match = /^\/w\/([^/]+)\/health$/.exec(request.url ?? '');
  const id = match?.[1];
  if (request.method !== 'GET' || !id || !known.has(id)) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"success":false,"error":{"code":"NOT_FOUND","message":"no such worker"}}');
    return;
  }
  healthTimes.push(now());
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ healthy: true, worker_id: id, worker_type: 'backtesting', worker_status: 'idle', current_operation: null }));
}

const tokens = new TokenService(options.secret, 60);
const tokenOf = new Map<string, string>();

async function call(id: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${options.apiBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokenOf.get(id)}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

function register(id: string): Promise<number> {
  return call(id, 'POST', '/workers/register', {
    worker_id: id,
    worker_type: 'backtesting',
    endpoint_url: `http://127.0.0.1:${port}/w/${id}`,
    capabilities: {},
    current_operation_id: null,
    completed_operations: [],
  });
}

async function registerAll(): Promise<void> {
  const start = now();
  let failures = 0;
  let firstError: string | null = null;
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      try {
        const status = await register(id);
        if (status !== 200) throw new Error(`HTTP ${status}`);
        registeredCount++;
      } catch (error) {
        failures++;
        firstError ??= `${id}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.registerConcurrency }, lane));
  send({ type: 'registered', ms: now() - start, failures, firstError });
}

/** Each worker beats every heartbeatMs, the fleet spread evenly over the interval, as independent workers would be. */
function startHeartbeats(): void {
  if (beating) return;
  beating = true;
  reregistered.clear();
  ids.forEach((id, index) => {
    const beat = async () => {
      try {
        const status = await call(id, 'GET', `/workers/${id}`);
        if (status === 404 && (await register(id)) === 200) reregistered.set(id, now());
      } catch {
        // the backend is down: try again at the next beat, like a worker
      }
      setTimeout(() => void beat(), options.heartbeatMs).unref();
    };
    setTimeout(() => void beat(), (index * options.heartbeatMs) / ids.length).unref();
  });
}

process.on('message', (message: FleetCommand) => {
  if (message.cmd === 'register') void registerAll();
  else if (message.cmd === 'heartbeat') startHeartbeats();
  else if (message.cmd === 'health-times') send({ type: 'health-times', times: healthTimes.splice(0) });
  else if (message.cmd === 'reregistered') send({ type: 'reregistered', registered: registeredCount, count: reregistered.size, last: reregistered.size ? Math.max(...reregistered.values()) : null });
});
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  for (const id of ids) tokenOf.set(id, await tokens.issue(id, 'worker'));
  const server = createServer({ keepAlive: true }, health);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
