/**
 * An LSTM training through real processes, killed with kill -9 mid-run,
 * resumes on another worker from its last checkpoint epoch and ends on the
 * same weights, bit for bit, as the same training run without interruption.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { budget, OPERATION_MS, STARTUP_MS, STOP_MS } from '../support/processes.js';
import { Cluster } from './cluster.js';
import { lstmStrategy } from './strategies.js';

const STRATEGY = lstmStrategy();

const cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '1', KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS: '3600' });

beforeAll(async () => {
  writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 2500, seed: 11 })));
  const strategiesDir = join(cluster.dataDir, 'strategies');
  mkdirSync(strategiesDir);
  writeFileSync(join(strategiesDir, 'e2e_lstm.yaml'), STRATEGY);
  await cluster.startBackend();
});

afterAll(async () => {
  await cluster.stop();
});

/** The stored network of a model (the artifact file the backend wrote). */
const network = (modelId: string) => (JSON.parse(readFileSync(join(cluster.dataDir, 'models', `${modelId}.json`), 'utf8')) as { network: unknown }).network;

describe('an LSTM training killed with kill -9', () => {
  const EPOCH_3_MS = 180_000;
  const TRAINING_MS = 400_000;

  it('resumes from its last checkpoint epoch to the same final weights as an uninterrupted run', {
    timeout: budget(STARTUP_MS, EPOCH_3_MS, OPERATION_MS, STARTUP_MS, OPERATION_MS, TRAINING_MS, TRAINING_MS, STOP_MS),
  }, async () => {
    const first = await cluster.startWorker('training');
    const body = { strategy: 'e2e_lstm', seed: 5 };
    const { operation_id: id } = (await cluster.send('POST', '/trainings/start', body)) as { operation_id: string };
    await cluster.waitForOperation(id, (op) => op.status === 'running' && Number(op.progress.context.epoch) >= 3, 'to pass epoch 3', EPOCH_3_MS);
    first.process.child.kill('SIGKILL');
    await cluster.waitForOperation(id, (op) => op.status === 'failed', 'to fail as an orphan');
    const taken = (await cluster.send('GET', `/operations/${id}/checkpoints`)) as { data: { units: number }[] };
    const lastEpoch = Math.max(...taken.data.map((checkpoint) => checkpoint.units));
    expect(lastEpoch).toBeGreaterThanOrEqual(3);
    expect(lastEpoch).toBeLessThan(30);

    const second = await cluster.startWorker('training');
    await cluster.send('POST', `/operations/${id}/resume`);
    const resumed = await cluster.waitForOperation(id, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', TRAINING_MS);
    expect(resumed.status).toBe('completed');
    expect(resumed.result_summary).toMatchObject({ resumed_from_epoch: lastEpoch });

    const { operation_id: againId } = (await cluster.send('POST', '/trainings/start', body)) as { operation_id: string };
    const again = await cluster.waitForOperation(againId, (op) => op.status === 'completed' || op.status === 'failed', 'to finish', TRAINING_MS);
    expect(again.status).toBe('completed');
    expect(again.result_summary?.resumed_from_epoch ?? null).toBeNull();
    expect(again.result_summary?.epochs_trained).toBe(resumed.result_summary?.epochs_trained);

    const resumedNetwork = network(resumed.result_summary?.model_id as string) as { format: string; parameters: string };
    expect(resumedNetwork.format).toBe('ktrdr.recurrent');
    expect(resumedNetwork).toEqual(network(again.result_summary?.model_id as string));
    await second.process.stop('SIGTERM');
  });
});
