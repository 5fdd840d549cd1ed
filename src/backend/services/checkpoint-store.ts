/**
 * Checkpoints of running operations: the state as a file under the checkpoint
 * directory (written to a temporary name then renamed, so a crash never leaves a
 * half-written checkpoint behind) and its metadata in the store.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerStartBody } from '../../api/contract.js';
import type { Clock } from '../../common/clock.js';
import { safeFileName, writeFileAtomic } from '../../common/files.js';
import type { CheckpointRepository, CheckpointRow } from '../../store/types.js';

export interface NewCheckpoint {
  readonly units: number;
  readonly state: unknown;
  readonly reason: string;
}

/** What a worker receives to resume from (the `checkpoint` of WorkerStartBody). */
export type ResumePoint = NonNullable<WorkerStartBody['checkpoint']>;

export class CheckpointStore {
  constructor(
    private readonly repository: CheckpointRepository,
    private readonly directory: string,
    private readonly clock: Clock,
  ) {}

  async save(operationId: string, checkpoint: NewCheckpoint): Promise<CheckpointRow> {
    const checkpointId = `ckpt_${randomUUID()}`;
    const path = join(this.directory, safeFileName(operationId), `${checkpointId}.json`);
    const content = JSON.stringify({ operation_id: operationId, units: checkpoint.units, state: checkpoint.state ?? null });
    await writeFileAtomic(path, content);
    const row: CheckpointRow = {
      checkpointId,
      operationId,
      units: checkpoint.units,
      path,
      sizeBytes: Buffer.byteLength(content),
      reason: checkpoint.reason,
      createdAt: new Date(this.clock.now()),
    };
    await this.repository.add(row);
    return row;
  }

  /** Metadata of every checkpoint of an operation, oldest first. */
  list(operationId: string): Promise<CheckpointRow[]> {
    return this.repository.forOperation(operationId);
  }

  /** The latest checkpoint with its state, or null when there is none (or its file is gone). */
  async latest(operationId: string): Promise<ResumePoint | null> {
    const row = await this.repository.latest(operationId);
    if (!row) return null;
    let state: unknown;
    try {
      state = (JSON.parse(await readFile(row.path, 'utf8')) as { state: unknown }).state;
    } catch {
      return null;
    }
    return { checkpoint_id: row.checkpointId, units: row.units, state, created_at: row.createdAt.toISOString() };
  }

  async removeForOperation(operationId: string): Promise<number> {
    const rows = await this.repository.deleteForOperation(operationId);
    await removeFiles(rows);
    await rm(join(this.directory, safeFileName(operationId)), { recursive: true, force: true });
    return rows.length;
  }

  async removeOlderThan(cutoff: Date): Promise<number> {
    const rows = await this.repository.deleteBefore(cutoff);
    await removeFiles(rows);
    return rows.length;
  }
}

async function removeFiles(rows: readonly CheckpointRow[]): Promise<void> {
  await Promise.all(rows.map((row) => rm(row.path, { force: true })));
}
