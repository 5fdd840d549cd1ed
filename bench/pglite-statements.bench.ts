/**
 * The hot store statements on PGlite run under their names (prepared once per instance, src/store/pglite-prepared.ts)
 * and without (`PGlite.query`: parsed, analysed and planned on every call), in interleaved rounds on one database.
 * Values that change nothing (an outcome of an unknown operation, a claim with nothing pending), so that every call
 * does the same work and the difference is the parsing and planning.
 */
import { applyMigrations } from '../src/store/migrations.js';
import { openPgliteClient } from '../src/store/pglite-client.js';
import type { SqlClient } from '../src/store/sql-client.js';
import { SqlStore } from '../src/store/sql-store.js';
import { fmt, median } from './stats.js';

const ROUNDS = 8;
const CALLS = 100;

async function perCall(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / CALLS;
}

export async function pgliteStatementsBench(): Promise<void> {
  const client = await openPgliteClient();
  try {
    await applyMigrations(client);
    // The same database without the names: every statement through PGlite.query.
    const unnamed: SqlClient = {
      query: (sql, params) => client.query(sql, params),
      transaction: (fn) => client.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) })),
      close: () => client.close(),
    };
    const now = new Date();
    const named = new SqlStore('pglite', client);
    await named.workers.register({ workerId: 'w-0', workerType: 'training', endpointUrl: 'http://127.0.0.1:1/w-0', currentOperationId: null, capabilities: {}, metadata: {}, now, movedFrom: null });
    await named.operations.create({ operationId: 'op-0', operationType: 'dummy', workerType: 'training', params: {}, metadata: {}, createdAt: now });
    const statements = (store: SqlStore): Record<string, () => Promise<unknown>> => ({
      'outcome (RECORD_OUTCOME_SQL)': () =>
        store.operations.recordOutcome({ operationId: 'unknown', workerId: 'w-0', status: 'completed', errorMessage: null, resultSummary: null, completedAt: now, orphanKey: 'orphaned_worker_id', takeNext: true, now }),
      'claim (CLAIM_SQL)': () => store.workers.claim(['backtesting'], 1, now, []),
      'read an operation': () => store.operations.get('op-0'),
    });
    const [prepared, plain] = [statements(named), statements(new SqlStore('pglite', unnamed))];
    console.log(`pglite statements: per call, median of ${ROUNDS} interleaved rounds of ${CALLS}`);
    for (const label of Object.keys(prepared)) {
      const times = { prepared: [] as number[], plain: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        times.plain.push(await perCall(plain[label]!));
        times.prepared.push(await perCall(prepared[label]!));
      }
      console.log(`  ${label.padEnd(30)} PGlite.query ${fmt(median(times.plain)).padStart(9)}   prepared ${fmt(median(times.prepared)).padStart(9)}`);
    }
  } finally {
    await client.close();
  }
}
