/**
 * The worker routes answer with JSON.stringify of `renderWorker`'s record (renderedRecordSerializer) rather than
 * zod's check of it: for any row the store can hold, the record passes WorkerRecord and the bytes are those the
 * default serializer (fastify-type-provider-zod) writes.
 */
import fc from 'fast-check';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { WorkerRecord, WorkerStatus, WorkerType } from '../../src/api/contract.js';
import { renderedRecordSerializer, renderWorker } from '../../src/backend/render.js';
import type { WorkerRow } from '../../src/store/types.js';

/** JSON objects as jsonb keeps them: no NUL in any string or key. */
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((value) => !value.includes('\u0000'));
/**
 * Keys of the JSON objects a worker sends (capabilities, metadata): never `__proto__`, which the request's validation
 * drops on the way in (zod would drop it again from the answer; JSON.stringify would not). fast-check tries it often.
 */
const key = text.filter((value) => value !== '__proto__');
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
    text,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
})).value;
const jsonObject = fc.dictionary(key, json, { maxKeys: 4 }) as fc.Arbitrary<Record<string, unknown>>;
const date = fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });

const workerRow: fc.Arbitrary<WorkerRow> = fc.record({
  workerId: fc.string({ minLength: 1, maxLength: 40 }).filter((value) => !value.includes('\u0000')),
  workerType: fc.constantFrom(...WorkerType.options),
  endpointUrl: text,
  status: fc.constantFrom(...WorkerStatus.options),
  currentOperationId: fc.option(text, { nil: null }),
  capabilities: jsonObject,
  metadata: jsonObject,
  registeredAt: date,
  lastHealthCheck: fc.option(date, { nil: null }),
  lastHealthyAt: fc.option(date, { nil: null }),
  healthCheckFailures: fc.nat(),
});

describe('renderedRecordSerializer', () => {
  it('writes the bytes the zod serializer writes for any rendered worker', () => {
    const zodSerialize = serializerCompiler({ schema: WorkerRecord, method: 'GET', url: '/workers/:id' } as Parameters<typeof serializerCompiler>[0]);
    const plainSerialize = renderedRecordSerializer();
    fc.assert(
      fc.property(workerRow, (row) => {
        const record = renderWorker(row);
        expect(WorkerRecord.safeParse(record).success).toBe(true);
        expect(plainSerialize(record)).toBe(zodSerialize(record));
      }),
      { numRuns: 500 },
    );
  });
});
