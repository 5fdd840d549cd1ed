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
import { createError } from '../../common/errors.js';
import { safeFileName, writeFileAtomic } from '../../common/files.js';
import type { Logger } from '../../logging/logger.js';
import type { CheckpointRepository, CheckpointRow } from '../../store/types.js';

export interface NewCheckpoint {
  readonly units: number;
  readonly state: unknown;
  readonly reason: string;
}

/** What a worker receives to resume from (the `checkpoint` of WorkerStartBody). */
export type ResumePoint = NonNullable<WorkerStartBody['checkpoint']>;

/**
 * Why the checkpoint directory refused a write, without its path (answers never carry server paths;
 * the log line that goes with it does).
 */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk holding it is full',
  EDQUOT: 'its disk quota is exhausted',
  EROFS: 'it is on a read-only file system',
  EACCES: 'it is not writable',
  EPERM: 'it is not writable',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EEXIST: 'a part of its path is a file, not a directory',
  EISDIR: 'a directory stands where the checkpoint file goes',
};

/** The checkpoint directory could not take a checkpoint. */
const errnoOf = (failure: unknown): string => (failure as NodeJS.ErrnoException | null)?.code ?? 'unknown';

export class CheckpointWriteError extends createError('CheckpointWriteError', {
  code: 'STORAGE_UNAVAILABLE',
  message: (operationId: string, units: number, failure: unknown) =>
    `checkpoint of operation '${operationId}' at ${units} units was not stored: the checkpoint directory (KTRDR_CHECKPOINT_DIR) cannot be written, ` +
    `${WRITE_FAILURES[errnoOf(failure)] ?? 'it refused the write'} (${errnoOf(failure)})`,
  fields: (operationId, units) => ({ operationId, units }),
  details: (operationId, units, failure) => ({ operation_id: operationId, units, errno: errnoOf(failure) }),
}) {}

export class CheckpointStore {
  constructor(
    private readonly repository: CheckpointRepository,
    private readonly directory: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Writes the state then its metadata; throws CheckpointWriteError when the directory cannot take it. */
  async save(operationId: string, checkpoint: NewCheckpoint): Promise<CheckpointRow> {
    const checkpointId = `ckpt_${randomUUID()}`;
    const path = join(this.directory, safeFileName(operationId), `${checkpointId}.json`);
    const content = JSON.stringify({ operation_id: operationId, units: checkpoint.units, state: checkpoint.state ?? null });
    try {
      await writeFileAtomic(path, content);
    } catch (error) {
      this.logger.error({ operation_id: operationId, units: checkpoint.units, path, err: error }, 'checkpoint could not be written');
      throw new CheckpointWriteError(operationId, checkpoint.units, error);
    }
    const row: CheckpointRow = {
      checkpointId,
      operationId,
      units: checkpoint.units,
      path,
      sizeBytes: Buffer.byteLength(content),
      reason: checkpoint.reason,
      createdAt: new Date(this.clock.now()),
    };
    try {
      await this.repository.add(row);
    } catch (error) {
      await rm(path, { force: true }); // a file nobody refers to would only take space
      throw error;
    }
    return row;
  }

  /** Metadata of every checkpoint of an operation, oldest first. */
  list(operationId: string): Promise<CheckpointRow[]> {
    return this.repository.forOperation(operationId);
  }

  /**
   * The newest checkpoint whose state loads, or null when none does. A checkpoint whose file is gone,
   * truncated or not JSON is skipped (and logged, with why), so that one bad file does not send a resume
   * back to zero while older good ones exist.
   */
  async latest(operationId: string): Promise<ResumePoint | null> {
    const newestFirst = (await this.repository.forOperation(operationId)).reverse();
    for (const row of newestFirst) {
      const loaded = await loadState(row);
      if (loaded.ok) {
        return { checkpoint_id: row.checkpointId, units: row.units, state: loaded.state, created_at: row.createdAt.toISOString() };
      }
      this.logger.warn(
        { operation_id: operationId, checkpoint_id: row.checkpointId, units: row.units, reason: loaded.reason },
        `checkpoint ${row.checkpointId} (${row.units} units) skipped: ${loaded.reason}; trying an older one`,
      );
    }
    return null;
  }

  /** Deletes one checkpoint (metadata and file); false when the operation has no such checkpoint. */
  async remove(operationId: string, checkpointId: string): Promise<boolean> {
    const row = await this.repository.deleteOne(operationId, checkpointId);
    if (!row) return false;
    await removeFiles([row.path]);
    return true;
  }

  async removeForOperation(operationId: string): Promise<number> {
    const rows = await this.repository.deleteForOperation(operationId);
    await this.removeOperationFiles(operationId, rows.map((row) => row.path));
    return rows.length;
  }

  /**
   * Removes the files of checkpoints whose rows were deleted, and the operation's directory with them. An
   * operation that had none has no directory worth a file-system call: most never checkpoint, and the recursive
   * removal cost more CPU than the rest of an outcome (docs/architecture.md §5.4).
   */
  async removeOperationFiles(operationId: string, paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await removeFiles(paths);
    await rm(join(this.directory, safeFileName(operationId)), { recursive: true, force: true });
  }

  async removeOlderThan(cutoff: Date): Promise<number> {
    const rows = await this.repository.deleteBefore(cutoff);
    await removeFiles(rows.map((row) => row.path));
    return rows.length;
  }
}

type Loaded = { ok: true; state: unknown } | { ok: false; reason: string };

async function loadState(row: CheckpointRow): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(row.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'its file is missing' : `its file cannot be read (${code ?? 'unknown error'})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: `its file is not valid JSON (truncated or corrupt, ${Buffer.byteLength(text)} of ${row.sizeBytes} bytes)` };
  }
  if (typeof parsed !== 'object' || parsed === null || !('state' in parsed)) return { ok: false, reason: 'its file holds no state' };
  return { ok: true, state: parsed.state };
}

async function removeFiles(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}
