/**
 * The distributed machinery under load, through real processes:
 * - worker cold start: spawn `ktrdr worker training` until GET /workers lists it (beside `node -e 0`);
 * - submit-to-running latency (created_at → started_at) over zero-delay dummy operations with 2 workers;
 * - operations completed per second.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeCommand, fmt, median, percentile } from './stats.js';
import { startStack, timeWorkerListed } from './startup.bench.js';

async function coldStart(runs: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const { stack, api } = await startStack(0, dataDir);
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeWorkerListed(api, dataDir, 'training', `bench-cold-${i}`));
    const bare = timeCommand(['-e', '0'], runs);
    console.log(`cluster: worker cold start until listed by the backend (median of ${runs}; \`npm run bench -- startup\` has the other types)`);
    console.log(`  node -e 0                      ${fmt(median(bare))}`);
    console.log(`  ktrdr worker training          ${fmt(median(times))}  (min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))})`);
  } finally {
    await stack.stop();
  }
}

async function throughput(count: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const { stack, api } = await startStack(2, dataDir);
  try {
    const ids: string[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) ids.push((await api.startDummy({ steps: 1, step_delay_ms: 0 })).operation_id);
    const submitted = Number(process.hrtime.bigint() - start) / 1e6;
    for (;;) {
      const { data } = await api.listOperations({ limit: count });
      if (data.filter((op) => ids.includes(op.operation_id)).every((op) => op.status === 'completed' || op.status === 'failed')) {
        const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
        const latencies = data
          .filter((op) => op.started_at)
          .map((op) => Date.parse(op.started_at as string) - Date.parse(op.created_at));
        const failed = data.filter((op) => op.status === 'failed').length;
        console.log(`cluster: ${count} zero-delay dummy operations, 2 training workers, submitted back to back`);
        console.log(`  submitted in                   ${fmt(submitted)} (${(count / (submitted / 1000)).toFixed(0)} submissions/s)`);
        console.log(`  submit-to-running latency      p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))} (queueing included)`);
        console.log(`  completed                      ${(count / (elapsed / 1000)).toFixed(1)} operations/s (${count - failed} completed, ${failed} failed)`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Idle latency: one operation at a time, so nothing queues.
    const idle: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { operation_id } = await api.startDummy({ steps: 1, step_delay_ms: 0 });
      for (;;) {
        const op = await api.getOperation(operation_id);
        if (op.status === 'completed' || op.status === 'failed') {
          if (op.started_at) idle.push(Date.parse(op.started_at) - Date.parse(op.created_at));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    console.log(`  submit-to-running, idle fleet  p50 ${fmt(percentile(idle, 50))}, p99 ${fmt(percentile(idle, 99))} (50 sequential operations)`);
  } finally {
    await stack.stop();
  }
}

export async function clusterBench(): Promise<void> {
  await coldStart(10);
  await throughput(1000);
}
