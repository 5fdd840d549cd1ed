/**
 * The backend commands (`workers`, `ops`, `dummy`, `auth`) through the real CLI
 * process against a stub backend: the token sent, the request made, what is
 * printed for people and for scripts, and the exit codes.
 */
import { decodeJwt } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OperationRecord, StartOperationResponse, WorkerRecord } from '../../src/api/contract.js';
import { TokenService } from '../../src/auth/tokens.js';
import { freePort } from '../support/processes.js';
import { cleanEnv, runCli } from './helpers/run-cli.js';
import { progression, STUB_SECRET, type StubBackend } from './helpers/stub-backend.js';
import { lines, useStubBackend } from './helpers/stub-session.js';

const session = useStubBackend();
const { ktrdr } = session;
let stub: StubBackend;
beforeAll(() => {
  stub = session.stub;
});

describe('authentication', () => {
  it('sends a valid cli token signed with KTRDR_AUTH_JWT_SECRET', async () => {
    const result = await ktrdr(['workers']);
    expect(result.code).toBe(0);
    const [request] = stub.apiRequests();
    expect(request?.authError).toBeNull();
    expect(request?.claims).toMatchObject({ role: 'cli', subject: 'ktrdr-cli' });
  });

  it('reports a token the backend refuses (another secret) and exits 1', async () => {
    const result = await ktrdr(['workers'], { KTRDR_AUTH_JWT_SECRET: 'some-other-secret' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('401');
    expect(result.stderr).toContain('KTRDR_AUTH_JWT_SECRET');
  });

  it('`auth token` prints only a token, valid for the secret, with the subject and lifetime asked for', async () => {
    const result = await ktrdr(['auth', 'token', '--expire-minutes', '5', '--subject', 'alice']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = await new TokenService(STUB_SECRET, 60).verify(result.stdout.trim());
    expect(claims).toMatchObject({ subject: 'alice', role: 'cli' });
    // The lifetime from the token's own issue time, so however slowly the CLI ran does not matter.
    const { iat, exp } = decodeJwt(result.stdout.trim());
    expect((exp ?? 0) - (iat ?? 0)).toBe(5 * 60);
  });

  it('`auth token` refuses a lifetime beyond KTRDR_AUTH_TOKEN_EXPIRE_MINUTES (the backend would refuse the token)', async () => {
    const result = await ktrdr(['auth', 'token', '--expire-minutes', '61'], { KTRDR_AUTH_TOKEN_EXPIRE_MINUTES: '60' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--expire-minutes: a token lifetime of 61 minutes exceeds KTRDR_AUTH_TOKEN_EXPIRE_MINUTES=60');
  });

  it('`auth token` refuses a non-numeric lifetime as a usage error', async () => {
    const result = await ktrdr(['auth', 'token', '--expire-minutes', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'soon' is not a number");
  });
});

describe('ktrdr workers', () => {
  it('prints a table of id, type, status, endpoint, current op and last healthy', async () => {
    const result = await ktrdr(['workers']);
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^ID\s+TYPE\s+STATUS\s+ENDPOINT\s+CURRENT OP\s+LAST HEALTHY$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^training-host-abc123\s+training\s+available\s+http:\/\/127\.0\.0\.1:5003\s+-\s+\d+s ago$/);
    expect(rows[1]).toMatch(/backtesting-host-def456\s+backtesting\s+busy\s+http:\/\/127\.0\.0\.1:5004\s+op_running/);
  });

  it('--json prints contract-valid worker records; --type and --status become query parameters', async () => {
    const result = await ktrdr(['workers', '--type', 'backtesting', '--status', 'busy', '--json']);
    expect(result.code).toBe(0);
    const workers = WorkerRecord.array().parse((JSON.parse(result.stdout) as { items: unknown }).items);
    expect(workers.map((worker) => worker.worker_id)).toEqual(['backtesting-host-def456']);
    expect(stub.apiRequests()[0]?.query).toEqual({ worker_type: 'backtesting', status: 'busy' });
  });

  it('says so when no worker is registered', async () => {
    const saved = stub.workers;
    stub.workers = [];
    try {
      const result = await ktrdr(['workers']);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('no workers registered');
    } finally {
      stub.workers = saved;
    }
  });

  it('rejects an unknown --type as a usage error (exit 2) without calling the backend', async () => {
    const result = await ktrdr(['workers', '--type', 'gpu']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'gpu' is invalid");
    expect(stub.apiRequests()).toHaveLength(0);
  });
});

describe('unreachable backend and configuration', () => {
  it('prints one clear line naming the URL and exits 1', async () => {
    const url = `http://127.0.0.1:${await freePort()}/api/v1`;
    const result = await ktrdr(['ops', 'list'], { KTRDR_API_CLIENT_BASE_URL: url });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: cannot reach the backend at ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED.* \\(is \`ktrdr up\` or \`ktrdr backend\` running\\? the URL is set by KTRDR_API_CLIENT_BASE_URL or --backend URL\\)\n$`),
    );
  });

  // 32.001 rather than the 1.001 first reported: as fractional in ms, and no race with a busy machine.
  it('a timeout of 32.001 s reaches the backend (32.001 * 1000 is not an integer a timer accepts)', async () => {
    const result = await ktrdr(['workers'], { KTRDR_API_CLIENT_TIMEOUT: '32.001' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(stub.apiRequests()).toHaveLength(1);
  });

  it('prints the configuration block and exits 1 when an API client setting is invalid', async () => {
    const result = await ktrdr(['workers'], { KTRDR_API_CLIENT_TIMEOUT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CONFIGURATION ERROR');
    expect(result.stderr).toContain('KTRDR_API_CLIENT_TIMEOUT');
    expect(stub.apiRequests()).toHaveLength(0);
  });

  it('ignores invalid server-only settings', async () => {
    const result = await ktrdr(['workers'], { KTRDR_WORKER_PORT: 'abc', KTRDR_OPS_MAX_OPERATIONS: '0' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe('ktrdr ops', () => {
  beforeEach(() => {
    stub.operations.clear();
    stub.operations.set('op_done', progression('op_done', 'completed').slice(2));
  });

  it('list prints a table and a footer with the counts', async () => {
    stub.operations.set('op_failed', progression('op_failed', 'failed').slice(2));
    const result = await ktrdr(['ops', 'list']);
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^ID\s+TYPE\s+STATUS\s+PROGRESS\s+STEP\s+WORKER\s+CREATED$/);
    expect(rows[0]).toMatch(/^op_done\s+dummy\s+completed\s+100%\s+step 4\/4\s+training-host-abc123/);
    expect(rows[1]).toMatch(/^op_failed\s+dummy\s+failed\s+50%/);
    expect(rows[2]).toBe('2 shown, 7 in total, 0 active');
  });

  it('list --json passes the filters and prints the backend answer', async () => {
    const result = await ktrdr(['ops', 'list', '--status', 'completed', '--type', 'dummy', '--limit', '5', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ items: [{ operation_id: 'op_done' }], total: 6, active: 0 });
    expect(stub.apiRequests()[0]?.query).toEqual({ status: 'completed', operation_type: 'dummy', limit: '5' });
  });

  it('list refuses --limit 0 as a usage error', async () => {
    const result = await ktrdr(['ops', 'list', '--limit', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'0' is not an integer in 1..10000");
  });

  it('show prints status, progress, timestamps, worker and result summary', async () => {
    const result = await ktrdr(['ops', 'show', 'op_done']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^operation:\s+op_done$/m);
    expect(result.stdout).toMatch(/^status:\s+completed$/m);
    expect(result.stdout).toMatch(/^progress:\s+100% \(4\/4 steps\)$/m);
    expect(result.stdout).toMatch(/^started:\s+2030-01-01T00:00:01\.000Z$/m);
    expect(result.stdout).toMatch(/^completed:\s+2030-01-01T00:00:05\.000Z$/m);
    expect(result.stdout).toMatch(/^worker:\s+training-host-abc123$/m);
    expect(result.stdout).toMatch(/^figures:\s+loss=0\.2$/m);
    expect(result.stdout).toMatch(/^result:\s+steps=4 resumed_from_step=-$/m);
  });

  it('show prints the error of a failed operation; --json prints the record', async () => {
    stub.operations.set('op_failed', progression('op_failed', 'failed').slice(2));
    const text = await ktrdr(['ops', 'show', 'op_failed']);
    expect(text.stdout).toMatch(/^error:\s+dummy failure at step 2$/m);
    const json = await ktrdr(['ops', 'show', 'op_failed', '--json']);
    expect(OperationRecord.parse(JSON.parse(json.stdout))).toMatchObject({ status: 'failed', error_message: 'dummy failure at step 2' });
  });

  it('show of an unknown id exits 1 with the backend message', async () => {
    const result = await ktrdr(['ops', 'show', 'op_nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: GET /operations/op_nope failed with 404: operation 'op_nope' not found\n");
  });

  it('watch shows a progress bar with percentage, step and figures until completed, then exits 0', async () => {
    stub.operations.set('op_w', progression('op_w', 'completed'));
    const result = await ktrdr(['ops', 'watch', 'op_w', '--interval-ms', '10']);
    expect(result.code).toBe(0);
    const output = lines(result.stdout);
    expect(output[0]).toMatch(/^\[-{30}\]\s+0% running \| step 0\/4 \| loss=1$/);
    expect(output[1]).toMatch(/^\[#{15}-{15}\]\s+50% running \| step 2\/4 \| loss=0\.3333$/);
    expect(output[2]).toMatch(/^\[#{30}\] 100% completed \| step 4\/4 \| loss=0\.2$/);
    expect(output[3]).toBe('operation op_w completed: steps=4 resumed_from_step=-');
    expect(stub.apiRequests().filter((request) => request.path === '/operations/op_w')).toHaveLength(3);
  });

  it('watch exits 1 when the operation fails, naming the error', async () => {
    stub.operations.set('op_f', progression('op_f', 'failed'));
    const result = await ktrdr(['ops', 'watch', 'op_f', '--interval-ms', '10']);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).at(-1)).toBe('operation op_f failed: dummy failure at step 2');
  });

  it('watch --json prints one operation record per poll and exits 1 when cancelled', async () => {
    stub.operations.set('op_c', progression('op_c', 'cancelled'));
    const result = await ktrdr(['ops', 'watch', 'op_c', '--json', '--interval-ms', '10']);
    expect(result.code).toBe(1);
    const records = lines(result.stdout).map((line) => OperationRecord.parse(JSON.parse(line)));
    expect(records.map((op) => op.status)).toEqual(['running', 'running', 'cancelled']);
  });

  it('cancel sends DELETE and prints the status afterwards', async () => {
    stub.operations.set('op_r', progression('op_r', 'completed').slice(1));
    const result = await ktrdr(['ops', 'cancel', 'op_r']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('cancel requested for op_r: now cancelled at 50%\n');
    expect(stub.apiRequests().map((request) => `${request.method} ${request.path}`)).toEqual(['DELETE /operations/op_r', 'GET /operations/op_r']);
  });

  it('resume sends POST …/resume and prints the status afterwards', async () => {
    stub.operations.set('op_x', progression('op_x', 'failed').slice(2));
    const result = await ktrdr(['ops', 'resume', 'op_x', '--json']);
    expect(result.code).toBe(0);
    expect(OperationRecord.parse(JSON.parse(result.stdout)).status).toBe('pending');
    expect(stub.apiRequests()[0]).toMatchObject({ method: 'POST', path: '/operations/op_x/resume' });
  });

  it('show prints a checkpoint warning when the backend could not store checkpoints', async () => {
    const [last] = progression('op_ckpt', 'completed').slice(1, 2);
    stub.operations.set('op_ckpt', [{ ...last!, metadata: { checkpoint_error: { message: 'checkpoint at 3 units was not stored: full', units: 3, at: '2030-01-01T00:00:03.000Z' } } }]);
    const result = await ktrdr(['ops', 'show', 'op_ckpt']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^checkpoint warning:\s+checkpoint at 3 units was not stored: full \(2030-01-01T00:00:03\.000Z\)$/m);
    expect((await ktrdr(['ops', 'show', 'op_done'])).stdout).not.toContain('checkpoint warning');
  });

  it('checkpoints lists them (table, or --json), deletes one by id or all, and exits 1 for an unknown checkpoint', async () => {
    const checkpoint = (id: string, units: number) => ({ checkpoint_id: id, units, reason: 'interval', size_bytes: 1200 + units, created_at: `2030-01-01T00:00:0${units}.000Z` });
    stub.checkpoints.set('op_done', [checkpoint('ckpt_a', 2), checkpoint('ckpt_b', 4), checkpoint('ckpt_c', 6)]);

    const table = await ktrdr(['ops', 'checkpoints', 'op_done']);
    expect(table.code).toBe(0);
    const [header, ...rows] = lines(table.stdout);
    expect(header).toMatch(/^CHECKPOINT\s+UNITS\s+REASON\s+BYTES\s+CREATED$/);
    expect(rows[0]).toMatch(/^ckpt_a\s+2\s+interval\s+1202\s+2030-01-01T00:00:02\.000Z$/);
    expect(rows[3]).toBe('3 checkpoint(s); a resume continues from the newest that loads');
    const json = await ktrdr(['ops', 'checkpoints', 'op_done', '--json']);
    expect((JSON.parse(json.stdout) as { items: { checkpoint_id: string }[] }).items.map((c) => c.checkpoint_id)).toEqual(['ckpt_a', 'ckpt_b', 'ckpt_c']);

    const one = await ktrdr(['ops', 'checkpoints', 'op_done', '--delete', 'ckpt_c']);
    expect(one).toMatchObject({ code: 0, stdout: 'deleted 1 checkpoint(s) of op_done\n' });
    expect(stub.apiRequests().at(-1)).toMatchObject({ method: 'DELETE', path: '/operations/op_done/checkpoints/ckpt_c' });
    const missing = await ktrdr(['ops', 'checkpoints', 'op_done', '--delete', 'ckpt_c']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("'ckpt_c' not found");

    const all = await ktrdr(['ops', 'checkpoints', 'op_done', '--delete', 'all', '--json']);
    expect(JSON.parse(all.stdout)).toEqual({ operation_id: 'op_done', deleted: 2 });
    expect(stub.apiRequests().at(-1)).toMatchObject({ method: 'DELETE', path: '/operations/op_done/checkpoints' });
    expect((await ktrdr(['ops', 'checkpoints', 'op_done'])).stdout).toBe('operation op_done holds no checkpoints\n');
  }, 90_000); // seven CLI processes in a row

  it('cancel of an unknown id exits 1', async () => {
    const result = await ktrdr(['ops', 'cancel', 'op_nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('404');
  });
});

describe('ktrdr dummy start', () => {
  beforeEach(() => {
    stub.dummyFinal = 'completed';
  });

  it('sends the options as the contract body and prints the operation id', async () => {
    const result = await ktrdr(['dummy', 'start', '--steps', '6', '--step-delay-ms', '10', '--fail-at-step', '3', '--worker-type', 'backtesting']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^started dummy operation op_dummy_\d+ \(pending\)\n$/);
    expect(stub.apiRequests()[0]).toMatchObject({
      method: 'POST',
      path: '/dummy/start',
      body: { steps: 6, step_delay_ms: 10, fail_at_step: 3, worker_type: 'backtesting' },
    });
  });

  it('--json prints the submission answer', async () => {
    const result = await ktrdr(['dummy', 'start', '--json']);
    expect(result.code).toBe(0);
    expect(StartOperationResponse.parse(JSON.parse(result.stdout)).status).toBe('pending');
  });

  it('--watch follows it to completion (exit 0)', async () => {
    const result = await ktrdr(['dummy', 'start', '--steps', '2', '--watch', '--interval-ms', '10']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).at(-1)).toMatch(/^operation op_dummy_\d+ completed: steps=2 resumed_from_step=-$/);
  });

  it('--watch --json prints the submission then one line per poll, and exits 1 when it fails', async () => {
    stub.dummyFinal = 'failed';
    const result = await ktrdr(['dummy', 'start', '--fail-at-step', '2', '--watch', '--json', '--interval-ms', '10']);
    expect(result.code).toBe(1);
    const [first, ...rest] = lines(result.stdout).map((line) => JSON.parse(line) as unknown);
    expect(StartOperationResponse.parse(first).operation_id).toMatch(/^op_dummy_/);
    expect(rest.map((record) => OperationRecord.parse(record).status)).toEqual(['running', 'running', 'failed']);
  });

  it('rejects --steps 0 as a usage error', async () => {
    const result = await ktrdr(['dummy', 'start', '--steps', '0']);
    expect(result.code).toBe(2);
    expect(stub.apiRequests()).toHaveLength(0);
  });
});

describe('--help', () => {
  it.each(['workers', 'ops list', 'ops show', 'ops watch', 'ops cancel', 'ops resume', 'ops checkpoints', 'dummy start', 'auth token', 'up', 'ps', 'down'])(
    '`ktrdr %s --help` exits 0 with usage, whatever the environment holds',
    async (command) => {
      const result = await runCli([...command.split(' '), '--help'], cleanEnv({ KTRDR_WORKER_PORT: 'abc', KTRDR_API_CLIENT_TIMEOUT: 'abc' }));
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: ktrdr ${command}`);
    },
  );
});
