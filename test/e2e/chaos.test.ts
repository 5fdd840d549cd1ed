/**
 * Durability through real processes: a backend killed with kill -9 while a training finishes (the model
 * arrives after the restart and the operation completes with it), corrupt and truncated checkpoints (resume
 * takes the newest that loads), a checkpoint directory that cannot be written (recorded on the operation,
 * the work goes on), and two backends on one PGlite directory (the second is refused, naming the first).
 */
import { mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelArtifact } from '../../src/api/contract.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { runCli } from '../cli/helpers/run-cli.js';
import { freePort, KtrdrProcess, tempDir } from '../support/processes.js';
import { Cluster } from './cluster.js';
import { slowStrategy } from './strategies.js';

let cluster: Cluster;

afterEach(async () => {
  await cluster?.stop();
});

interface Checkpoint {
  checkpoint_id: string;
  units: number;
}

const checkpoints = async (id: string) => ((await cluster.send('GET', `/operations/${id}/checkpoints`)) as { data: Checkpoint[] }).data;
/** Starting a backend on a fresh PGlite directory takes tens of seconds on a loaded 2-core machine. */
const SLOW_START = { startTimeoutMs: 90_000 };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('backend kill -9 while a training finishes', () => {
  it('the worker keeps the model; after the restart the model is stored and the operation completes with it', async () => {
    cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '3', KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS: '3600' }, SLOW_START);
    writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3000, seed: 11 })));
    mkdirSync(join(cluster.dataDir, 'strategies'));
    writeFileSync(join(cluster.dataDir, 'strategies', 'e2e_slow.yaml'), slowStrategy(10));
    const firstBackend = await cluster.startBackend();
    const worker = await cluster.startWorker('training');
    const { operation_id: id } = (await cluster.send('POST', '/trainings/start', { strategy: 'e2e_slow', seed: 5 })) as { operation_id: string };
    await cluster.waitForOperation(id, (op) => op.status === 'running' && Number(op.progress.context.epoch) >= 1, 'to train its first epoch', 60_000);

    firstBackend.child.kill('SIGKILL');
    await firstBackend.exited;
    // The run ends while nobody listens: the model and the outcome wait in the worker's outbox.
    await worker.process.waitForOutput(new RegExp(`model \\S+ of operation ${id} kept for a later retry`), 120_000);
    await worker.process.waitForOutput(new RegExp(`operation ${id} completed`), 60_000);

    const restarted = await cluster.startBackend();
    // The killed backend's lock is stale: the new one takes it over and says so.
    await restarted.waitForOutput(new RegExp(`process ${firstBackend.child.pid} that held it no longer exists`));
    const done = await cluster.waitForOperation(id, (op) => op.status === 'completed', 'to complete after the restart', 60_000);
    expect(done.worker_id).toBe(worker.id);
    const modelId = done.result_summary?.model_id as string;
    expect(modelId).toMatch(/^model_e2e_slow_EURUSD_1h_/);
    const model = ModelArtifact.parse(await cluster.send('GET', `/models/${modelId}`));
    expect(model.operation_id).toBe(id);
    expect(model.metrics.epochs_trained).toBe(10);
    expect(worker.process.output).toMatch(new RegExp(`model ${escape(modelId)} of operation ${id} delivered`));
  }, 600_000); // above the sum of its waits: two backend starts and a worker start (90 s each), the training
});

describe('corrupt and truncated checkpoints', () => {
  it('resume skips a truncated newest checkpoint and a corrupt one and continues from the newest that loads; the CLI lists and deletes them', async () => {
    cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '2', KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS: '3600' }, SLOW_START);
    await cluster.startBackend();
    const first = await cluster.startWorker('training');
    const id = await cluster.startDummy({ steps: 60, step_delay_ms: 100 });
    await cluster.waitForOperation(id, (op) => op.status === 'running' && op.progress.steps_completed >= 9, 'to pass step 9', 60_000);
    first.process.child.kill('SIGKILL');
    await cluster.waitForOperation(id, (op) => op.status === 'failed', 'to fail as an orphan', 60_000);

    const taken = await checkpoints(id);
    expect(taken.length).toBeGreaterThanOrEqual(4); // steps 2, 4, 6, 8 at least
    const [newest, second, third] = [...taken].reverse();
    const file = (checkpoint: Checkpoint) => join(cluster.dataDir, 'checkpoints', id, `${checkpoint.checkpoint_id}.json`);
    truncateSync(file(newest!), 7);
    writeFileSync(file(second!), '{"state": {"step": ');

    // The CLI shows them all, and deletes the oldest one by id.
    const listed = await runCli(['ops', 'checkpoints', id, '--json'], cluster.env());
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: Checkpoint[] }).items.map((c) => c.units)).toEqual(taken.map((c) => c.units));
    const oldest = taken[0]!;
    const deleted = await runCli(['ops', 'checkpoints', id, '--delete', oldest.checkpoint_id], cluster.env());
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted 1 checkpoint(s) of ${id}\n` });
    expect((await checkpoints(id)).map((c) => c.checkpoint_id)).not.toContain(oldest.checkpoint_id);

    await cluster.startWorker('training');
    await cluster.send('POST', `/operations/${id}/resume`);
    const done = await cluster.waitForOperation(id, (op) => op.status === 'completed', 'to complete after resume', 90_000);
    expect(done.result_summary?.resumed_from_step).toBe(third!.units);
    const log = cluster.backend?.output ?? '';
    expect(log).toContain(`checkpoint ${newest!.checkpoint_id} (${newest!.units} units) skipped: its file is not valid JSON`);
    expect(log).toContain(`checkpoint ${second!.checkpoint_id} (${second!.units} units) skipped: its file is not valid JSON`);
  }, 600_000);
});

describe('a checkpoint directory that cannot be written', () => {
  it('records the failure on the operation (ops show prints it) and logs it, and the operation still completes', async () => {
    // Tests run as root, where a read-only mode (chmod) does not stop writes; a file standing where a directory
    // of the checkpoint path must be makes every write fail (ENOTDIR/EEXIST) for any user.
    const blocker = join(tempDir(), 'not-a-directory');
    cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '2', KTRDR_CHECKPOINT_DIR: join(blocker, 'checkpoints') }, SLOW_START);
    writeFileSync(blocker, 'in the way');
    await cluster.startBackend();
    await cluster.startWorker('training');
    const id = await cluster.startDummy({ steps: 12, step_delay_ms: 50 });
    const done = await cluster.waitForOperation(id, (op) => op.status === 'completed', 'to complete', 90_000);
    expect(done.result_summary).toEqual({ steps: 12, resumed_from_step: null });
    const recorded = done.metadata.checkpoint_error as { message: string; units: number };
    expect(recorded.message).toContain('the checkpoint directory (KTRDR_CHECKPOINT_DIR) cannot be written');
    expect(recorded.message).not.toContain(blocker);
    expect(await checkpoints(id)).toEqual([]);
    expect(cluster.backend?.output).toContain('checkpoint could not be written');

    const shown = await runCli(['ops', 'show', id], cluster.env());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^checkpoint warning:\s+checkpoint of operation .* was not stored: the checkpoint directory/m);
  }, 400_000);
});

describe('two backends on one PGlite directory', () => {
  it('the second exits 1 naming the pid of the first and the directory; the first keeps serving', async () => {
    cluster = new Cluster({}, SLOW_START);
    const first = await cluster.startBackend();
    const second = new KtrdrProcess('backend-2', ['backend'], cluster.env({ KTRDR_API_PORT: String(await freePort()) }));
    cluster.processes.push(second);
    // The refusal comes before the database is opened: the second process exits on its own.
    const exit = await second.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(second.stderr).toContain(`the PGlite directory ${join(cluster.dataDir, 'db')} is in use by process ${first.child.pid}`);
    expect(first.alive).toBe(true);
    expect((await fetch(`http://127.0.0.1:${cluster.apiPort}/health`)).ok).toBe(true);
    expect(readdirSync(join(cluster.dataDir, 'db'))).toContain('ktrdr.lock');

    // Stopped cleanly, the first releases the directory: a new backend starts on it.
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(readdirSync(join(cluster.dataDir, 'db'))).not.toContain('ktrdr.lock');
    await cluster.startBackend();
  }, 300_000);
});
