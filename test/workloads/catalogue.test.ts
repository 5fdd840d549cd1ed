/** The catalogue a worker loads its workloads from agrees with the workloads themselves. */
import { describe, expect, it } from 'vitest';
import { OperationType, WorkerType } from '../../src/api/contract.js';
import { loadWorkloads, WORKLOAD_CATALOGUE } from '../../src/workloads/catalogue.js';

describe('WORKLOAD_CATALOGUE', () => {
  it('has one row per operation type, and each row says what its workload says', async () => {
    expect(WORKLOAD_CATALOGUE.map((entry) => entry.type).sort()).toEqual([...OperationType.options].sort());
    for (const entry of WORKLOAD_CATALOGUE) {
      const workload = await entry.load();
      expect(workload.type).toBe(entry.type);
      expect([...workload.workerTypes].sort()).toEqual([...entry.workerTypes].sort());
    }
  });

  it('loads for a worker type exactly the workloads that type may run', async () => {
    for (const workerType of WorkerType.options) {
      const workloads = await loadWorkloads(workerType);
      expect(workloads.every((workload) => workload.workerTypes.includes(workerType))).toBe(true);
      const expected = WORKLOAD_CATALOGUE.filter((entry) => entry.workerTypes.includes(workerType)).map((entry) => entry.type);
      expect(workloads.map((workload) => workload.type)).toEqual(expected);
    }
    expect((await loadWorkloads('backtesting')).map((workload) => workload.type)).toEqual(['dummy', 'backtesting']);
    expect((await loadWorkloads('training')).map((workload) => workload.type)).toEqual(['dummy', 'training']);
  });
});
