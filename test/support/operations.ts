/** A new operation as the store takes it, for the store and dispatch tests: a dummy for a training worker. */
import type { NewOperation } from '../../src/store/types.js';

/** `overrides` replace any field (a test that reads params or times sets them). */
export const newOperation = (operationId: string, overrides: Partial<NewOperation> = {}): NewOperation => ({
  operationId,
  operationType: 'dummy',
  workerType: 'training',
  params: {},
  metadata: {},
  createdAt: new Date('2025-01-01T00:00:00Z'),
  ...overrides,
});
