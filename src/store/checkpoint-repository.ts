/** Checkpoint metadata (the state itself is a file under KTRDR_CHECKPOINT_DIR), over SQL. */
import { conflict, notFound } from '../common/errors.js';
import { FOREIGN_KEY_VIOLATION, sqlState, UNIQUE_VIOLATION } from './errors.js';
import type { SqlExecutor } from './sql-client.js';
import { timeParam, toDate, toNumber } from './sql-values.js';
import type { CheckpointRepository, CheckpointRow } from './types.js';

interface CheckpointRecord {
  checkpoint_id: string;
  operation_id: string;
  units: unknown;
  path: string;
  size_bytes: unknown;
  reason: string;
  created_at: unknown;
}

const COLUMNS = 'checkpoint_id, operation_id, units, path, size_bytes, reason, created_at';

const toRow = (record: CheckpointRecord): CheckpointRow => ({
  checkpointId: record.checkpoint_id,
  operationId: record.operation_id,
  units: toNumber(record.units),
  path: record.path,
  sizeBytes: toNumber(record.size_bytes),
  reason: record.reason,
  createdAt: toDate(record.created_at),
});

/** Newest first; checkpoints taken in the same instant are ordered by insertion. */
const NEWEST_FIRST = 'ORDER BY created_at DESC, seq DESC';

export class SqlCheckpointRepository implements CheckpointRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async add(checkpoint: CheckpointRow): Promise<void> {
    try {
      await this.sql.query(
        `INSERT INTO checkpoints (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)`,
        [
          checkpoint.checkpointId,
          checkpoint.operationId,
          checkpoint.units,
          checkpoint.path,
          checkpoint.sizeBytes,
          checkpoint.reason,
          timeParam(checkpoint.createdAt),
        ],
      );
    } catch (error) {
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw notFound('operation', checkpoint.operationId);
      if (sqlState(error) === UNIQUE_VIOLATION) throw conflict(`checkpoint '${checkpoint.checkpointId}' already exists`);
      throw error;
    }
  }

  async latest(operationId: string): Promise<CheckpointRow | null> {
    const [record] = await this.sql.query<CheckpointRecord>(
      `SELECT ${COLUMNS} FROM checkpoints WHERE operation_id = $1 ${NEWEST_FIRST} LIMIT 1`,
      [operationId],
    );
    return record === undefined ? null : toRow(record);
  }

  /** Oldest first. */
  async forOperation(operationId: string): Promise<CheckpointRow[]> {
    const records = await this.sql.query<CheckpointRecord>(
      `SELECT ${COLUMNS} FROM checkpoints WHERE operation_id = $1 ORDER BY created_at, seq`,
      [operationId],
    );
    return records.map(toRow);
  }

  async deleteForOperation(operationId: string): Promise<CheckpointRow[]> {
    const records = await this.sql.query<CheckpointRecord>(`DELETE FROM checkpoints WHERE operation_id = $1 RETURNING ${COLUMNS}`, [operationId]);
    return records.map(toRow);
  }

  async deleteOne(operationId: string, checkpointId: string): Promise<CheckpointRow | null> {
    const [record] = await this.sql.query<CheckpointRecord>(
      `DELETE FROM checkpoints WHERE operation_id = $1 AND checkpoint_id = $2 RETURNING ${COLUMNS}`,
      [operationId, checkpointId],
    );
    return record === undefined ? null : toRow(record);
  }

  async deleteBefore(cutoff: Date): Promise<CheckpointRow[]> {
    const records = await this.sql.query<CheckpointRecord>(
      `DELETE FROM checkpoints WHERE created_at < $1::timestamptz RETURNING ${COLUMNS}`,
      [timeParam(cutoff)],
    );
    return records.map(toRow);
  }
}
