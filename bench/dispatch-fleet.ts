/**
 * A fleet of light fake workers in one process, for `npm run bench -- dispatch` (forked by dispatch.bench.ts): one
 * HTTP server answers GET /health for every worker under its own path (`/w/<id>/health`, so each has its own
 * endpoint_url), and each worker talks to the backend through the real HTTP API with its own worker token:
 * POST /workers/register, and while heartbeating, GET /workers/{id} with a new registration on 404 (the worker
 * contract of docs/architecture.md §5.1–5.2). The workers are backtesting workers that never get work: the bench
 * submits dummy operations to training workers only.
 *
 * Each worker has a keep-alive connection of its own to the backend (an agent with one socket), as separate worker
 * processes would, but the requests go over node:http rather than fetch: the 2,000 workers share this process and
 * the bench's 2 cores with the backend, and fetch's CPU per request (several times node:http's) would be charged
 * to the backend's figures. The fleet reports its own CPU time beside them (`cpu`).
 *
 * Commands (IPC, from the parent): register (all, some at a time), heartbeat (start beating and record when each
 * worker registered again), health-times (when each GET /health arrived), cpu, mark and answered (when each worker's
 * heartbeat was first answered since the mark). Answers: see FleetMessage.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
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

export type FleetCommand =
  | { readonly cmd: 'register' }
  | { readonly cmd: 'heartbeat' }
  | { readonly cmd: 'health-times' }
  | { readonly cmd: 'reregistered' }
  | { readonly cmd: 'cpu' }
  /** From now on, record when each worker's heartbeat is first answered 200 (and count registrations afresh). */
  | { readonly cmd: 'mark' }
  | { readonly cmd: 'answered' };

export type FleetMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'registered'; readonly ms: number; readonly failures: number; readonly firstError: string | null }
  /** `registered`: how many the first registration took so far; `count`: how many registered again since `heartbeat`. */
  | { readonly type: 'reregistered'; readonly registered: number; readonly count: number; readonly last: number | null }
  | { readonly type: 'health-times'; readonly times: readonly number[] }
  /** The fleet process's user+system CPU so far, in ms, and how many requests it sent to the backend (after a 404: `notFound`). */
  | { readonly type: 'cpu'; readonly ms: number; readonly requests: number; readonly notFound: number }
  /** Since `mark`: workers whose heartbeat was answered 200 (the last when), and how many registered again. */
  | { readonly type: 'answered'; readonly count: number; readonly last: number | null; readonly reregistered: number }
  | { readonly type: 'error'; readonly message: string };

const now = (): number => performance.timeOrigin + performance.now();
const send = (message: FleetMessage): void => void process.send?.(message);

const options = JSON.parse(process.argv[2] ?? '{}') as FleetOptions;
const ids = Array.from({ length: options.count }, (_, i) => `fleet-${String(i).padStart(5, '0')}`);
const known = new Set(ids);
const healthTimes: number[] = [];
/** Worker id → when it registered again since `heartbeat` (or `mark`) was asked. */
const reregistered = new Map<string, number>();
/** Worker id → when its heartbeat was first answered 200 since `mark`; null: not recording. */
let answered: Map<string, number> | null = null;
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

/** Each worker's own keep-alive connection to the backend. */
const agentOf = new Map<string, Agent>();
let requests = 0;
let notFound = 0;

function call(id: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> {
  let agent = agentOf.get(id);
  if (!agent) agentOf.set(id, (agent = new Agent({ keepAlive: true, maxSockets: 1 })));
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${tokenOf.get(id)}`, accept: 'application/json' };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  requests++;
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${options.apiBase}${path}`, { method, headers, agent, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('error', reject);
      response.on('end', () => {
        if (response.statusCode === 404) notFound++;
        resolve(response.statusCode ?? 0);
      });
    });
    sent.on('timeout', () => sent.destroy(new Error('timed out')));
    sent.on('error', reject);
    sent.end(payload);
  });
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
        if (status === 200 && answered && !answered.has(id)) answered.set(id, now());
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
  else if (message.cmd === 'cpu') {
    const usage = process.cpuUsage();
    send({ type: 'cpu', ms: (usage.user + usage.system) / 1000, requests, notFound });
  } else if (message.cmd === 'mark') {
    answered = new Map();
    reregistered.clear();
  } else if (message.cmd === 'answered') {
    const times = answered ?? new Map<string, number>();
    send({ type: 'answered', count: times.size, last: times.size ? Math.max(...times.values()) : null, reregistered: reregistered.size });
  } else if (message.cmd === 'health-times') send({ type: 'health-times', times: healthTimes.splice(0) });
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
