import { describe, expect, it } from 'vitest';
import { createError, errorText, HTTP_STATUS_OF, KtrdrError } from '../../src/common/errors.js';
import { DirectoryLockedError } from '../../src/store/directory-lock.js';
import { MarketDataNotFoundError, MarketDataRangeError } from '../../src/market-data/errors.js';
import { TrainerError, TrainingDiverged } from '../../src/nn/trainer.js';
import { CheckpointWriteError } from '../../src/backend/services/checkpoint-store.js';

describe('createError', () => {
  it('makes a named Error class whose constructor takes (message, options)', () => {
    class PlainError extends createError('PlainError') {}
    const cause = new Error('inner');
    const error = new PlainError('the message', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(PlainError);
    expect(error).not.toBeInstanceOf(KtrdrError);
    expect(error.name).toBe('PlainError');
    expect(error.message).toBe('the message');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('PlainError: the message');
    expect(error.stack).toContain('PlainError: the message');
  });

  it('a code makes it a KtrdrError answered with that code', () => {
    const error = new MarketDataRangeError('start: 2024-13-01 is not a date');
    expect(error).toBeInstanceOf(KtrdrError);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(HTTP_STATUS_OF[error.code]).toBe(400);
    expect(error.name).toBe('MarketDataRangeError');
  });

  it('builds message, fields and details from the arguments', () => {
    const error = new MarketDataNotFoundError('EURUSD_1h.csv', 'no data for EURUSD 1h');
    expect(error.code).toBe('NOT_FOUND');
    expect(error.file).toBe('EURUSD_1h.csv');
    expect(error.details).toEqual({ file: 'EURUSD_1h.csv' });
    expect(error.message).toBe('no data for EURUSD 1h');

    const locked = new DirectoryLockedError('/data/db', 1234);
    expect(locked.holderPid).toBe(1234);
    expect(locked.message).toMatch(/^the PGlite directory \/data\/db is in use by process 1234 /);

    const write = new CheckpointWriteError('op-1', 30, Object.assign(new Error('full'), { code: 'ENOSPC' }));
    expect(write.code).toBe('STORAGE_UNAVAILABLE');
    expect(write.details).toEqual({ operation_id: 'op-1', units: 30, errno: 'ENOSPC' });
    expect(write.message).toContain('(ENOSPC)');
  });

  it('extends a base made by the factory, so instanceof the base holds', () => {
    const error = new TrainingDiverged(3, null, 'validation loss', Number.NaN);
    expect(error).toBeInstanceOf(TrainerError);
    expect(error.name).toBe('TrainingDiverged');
    expect(error.epoch).toBe(3);
    expect(error.message).toBe(
      'training diverged in epoch 3: the validation loss is NaN; the model is kept as it was after epoch 2 (try a lower learning_rate or a gradient_clip)',
    );
  });
});

describe('errorText', () => {
  it('is the message of an Error and the string of anything else', () => {
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});
