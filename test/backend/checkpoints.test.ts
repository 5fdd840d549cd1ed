/**
 * Checkpoints the backend cannot trust or cannot write: resume takes the newest checkpoint that loads
 * (saying why it skipped the others), an unusable checkpoint directory is recorded on the operation and
 * answered 507 (never a bare 500), and checkpoints can be listed and deleted one by one or all at once.
 */
import { existsSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorkers } from './support/fake-worker.js';
import { startTestBackend, type TestBackend } from './support/harness.js';

let backend: TestBackend;
const worker = fakeWorkers();

afterEach(async () => {
  await backend?.stop();
});

/** A backend whose warnings and errors are kept, to check what it says about skipped checkpoints. */
async function backendWithLog(checkpointDir?: string): Promise<{ lines: () => string[] }> {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  backend = await startTestBackend({ logger, ...(checkpointDir ? { checkpointDir } : {}) });
  return { lines: () => lines.map((line) => (JSON.parse(line) as { msg: string }).msg) };
}

async function submit(): Promise<string> {
  const response = await backend.call('POST', '/dummy/start', { steps: 10 });
  return response.body.operation_id as string;
}

/**
 * Checkpoints of a pending operation, as a worker that ran it earlier and handed it back left them: only the worker
 * an operation runs on may upload its checkpoints, so it runs on `train-up` meanwhile (no worker process needed).
 */
async function checkpointsOf(id: string, units: readonly number[]): Promise<void> {
  const operations = backend.store.operations;
  await operations.update(id, { status: 'running', workerId: 'train-up', startedAt: new Date(backend.clock.now()) }, ['pending']);
  for (const unit of units) expect((await upload(id, unit, 'train-up')).status).toBe(200);
  await operations.update(id, { status: 'pending', workerId: null, startedAt: null }, ['running']);
}

const upload = (id: string, units: number, workerId = 'train-a') =>
  backend.as('worker', workerId).call('POST', `/operations/${id}/checkpoints`, { worker_id: workerId, units, state: { step: units }, reason: 'interval' });

const list = async (id: string) => (await backend.call('GET', `/operations/${id}/checkpoints`)).body.data as { checkpoint_id: string; units: number }[];
const show = async (id: string) => (await backend.call('GET', `/operations/${id}`)).body.data;
const idle = () => backend.backend.dispatcher.whenIdle();
const fileOf = (id: string, checkpointId: string) => join(backend.checkpointDir, id, `${checkpointId}.json`);

/** Runs `id` on a fresh fake worker and returns the checkpoint it was started from. */
async function startedFrom(id: string, workerId: string) {
  const fake = await worker(workerId);
  await backend.register(fake);
  await idle();
  const start = fake.starts.find((body) => body.operation_id === id);
  expect(start).toBeDefined();
  return start?.checkpoint ?? null;
}

/** Fails `id` from the worker it runs on, so that it can be resumed. */
async function fail(id: string, workerId: string) {
  const response = await backend.as('worker', workerId).call('POST', `/operations/${id}/outcome`, {
    worker_id: workerId,
    status: 'failed',
    error_message: 'boom',
    completed_at: new Date(backend.clock.now()).toISOString(),
  });
  expect(response.status).toBe(200);
}

describe('resume from the newest checkpoint that loads', () => {
  it('skips a truncated newest checkpoint and a corrupt one, logging why, and resumes from the newest good one', async () => {
    const log = await backendWithLog();
    const id = await submit();
    await checkpointsOf(id, [2, 4, 6, 8]);
    const [, four, six, eight] = await list(id);
    truncateSync(fileOf(id, eight!.checkpoint_id), 10); // a write cut short
    writeFileSync(fileOf(id, six!.checkpoint_id), '{"operation_id": "x", "units": 6, "state": {'); // not JSON

    expect(await startedFrom(id, 'train-a')).toMatchObject({ checkpoint_id: four!.checkpoint_id, units: 4, state: { step: 4 } });
    const messages = log.lines();
    expect(messages).toContainEqual(expect.stringMatching(new RegExp(`^checkpoint ${eight!.checkpoint_id} \\(8 units\\) skipped: its file is not valid JSON \\(truncated or corrupt, 10 of \\d+ bytes\\)`)));
    expect(messages).toContainEqual(expect.stringContaining(`checkpoint ${six!.checkpoint_id} (6 units) skipped: its file is not valid JSON`));
  });

  it('skips a checkpoint whose file is gone, and starts from zero only when none loads', async () => {
    const log = await backendWithLog();
    const id = await submit();
    await checkpointsOf(id, [3]);
    const [three] = await list(id);
    rmSync(fileOf(id, three!.checkpoint_id));
    expect(await startedFrom(id, 'train-a')).toBeNull();
    expect(log.lines()).toContainEqual(expect.stringContaining(`checkpoint ${three!.checkpoint_id} (3 units) skipped: its file is missing`));
  });
});

describe('deleting checkpoints', () => {
  it('deletes one checkpoint (the next resume takes the newest other one) or all of them (it starts from zero)', async () => {
    backend = await startTestBackend();
    const id = await submit();
    await checkpointsOf(id, [2, 4, 6]);
    const [two, four, six] = await list(id);

    const one = await backend.call('DELETE', `/operations/${id}/checkpoints/${six!.checkpoint_id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ success: true, deleted: 1 });
    expect((await list(id)).map((c) => c.units)).toEqual([2, 4]);
    expect(existsSync(fileOf(id, six!.checkpoint_id))).toBe(false);
    expect(await startedFrom(id, 'train-a')).toMatchObject({ checkpoint_id: four!.checkpoint_id, units: 4 });

    const again = await backend.call('DELETE', `/operations/${id}/checkpoints/${six!.checkpoint_id}`);
    expect(again.status).toBe(404);
    expect(again.body.message ?? JSON.stringify(again.body)).toContain(six!.checkpoint_id);

    const all = await backend.call('DELETE', `/operations/${id}/checkpoints`);
    expect(all.body).toEqual({ success: true, deleted: 2 });
    expect(await list(id)).toEqual([]);
    expect(existsSync(fileOf(id, two!.checkpoint_id))).toBe(false);

    await fail(id, 'train-a');
    await backend.call('POST', `/operations/${id}/resume`);
    expect(await startedFrom(id, 'train-b')).toBeNull();
  });

  it("refuses another operation's checkpoint and unknown operations with 404, and hostile ids with a 4xx", async () => {
    backend = await startTestBackend();
    const first = await submit();
    const second = await submit();
    await checkpointsOf(first, [2]);
    const [checkpoint] = await list(first);
    expect((await backend.call('DELETE', `/operations/${second}/checkpoints/${checkpoint!.checkpoint_id}`)).status).toBe(404);
    expect(await list(first)).toHaveLength(1);
    expect((await backend.call('DELETE', '/operations/op_nobody/checkpoints')).status).toBe(404);

    for (const hostile of ['..%2F..%2Fetc', '%2e%2e', 'a%00b', 'x'.repeat(5_000), `${checkpoint!.checkpoint_id}%2F..`]) {
      const response = await backend.call('DELETE', `/operations/${first}/checkpoints/${hostile}`);
      expect(response.status, hostile.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(response.status, hostile.slice(0, 40)).toBeLessThan(500);
      expect(JSON.stringify(response.body)).not.toContain(backend.checkpointDir);
    }
    expect(await list(first)).toHaveLength(1);
    expect(readdirSync(join(backend.checkpointDir, first))).toHaveLength(1);
  });
});

describe('an unusable checkpoint directory', () => {
  it('answers 507 naming the setting, records the error on the operation, leaves no temporary file, and clears it once a checkpoint is stored again', async () => {
    const log = await backendWithLog();
    const a = await worker('train-a');
    await backend.register(a);
    const id = await submit();
    await idle();
    expect(a.starts[0]?.operation_id).toBe(id);

    // Tests run as root, where chmod does not stop writes: a file where the operation's directory goes does.
    writeFileSync(join(backend.checkpointDir, id), 'in the way');
    const refused = await upload(id, 3);
    expect(refused.status).toBe(507);
    const text = JSON.stringify(refused.body);
    expect(text).toContain('KTRDR_CHECKPOINT_DIR');
    expect(text).toContain('at 3 units was not stored');
    expect(text).not.toContain(backend.checkpointDir);

    const op = await show(id);
    expect(op.status).toBe('running'); // the training goes on
    expect(op.metadata.checkpoint_error).toMatchObject({ units: 3 });
    expect(op.metadata.checkpoint_error.message).toContain('a part of its path is a file, not a directory');
    expect(log.lines()).toContain('checkpoint could not be written');
    expect(readdirSync(backend.checkpointDir)).toEqual([id]);

    rmSync(join(backend.checkpointDir, id));
    expect((await upload(id, 4)).status).toBe(200);
    expect((await show(id)).metadata.checkpoint_error).toBeUndefined();
  });
});
