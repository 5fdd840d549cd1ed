/** The renderers the CLI and the demo share: tables, formatting, the line progress view. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { emptyProgress } from '../../src/api/contract.js';
import { formatAge, formatFigures, formatPercentage } from '../../src/cli/render/format.js';
import { renderResultSummary } from '../../src/cli/render/operations.js';
import { createProgressView } from '../../src/cli/render/progress.js';
import { renderTable } from '../../src/cli/render/table.js';
import { operationRecord } from './helpers/stub-backend.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('renderTable', () => {
  it('aligns columns under upper-case headers, numbers to the right, without trailing spaces', () => {
    const table = renderTable(
      [
        { header: 'name', value: (row: { name: string; n: number }) => row.name },
        { header: 'n', value: (row) => String(row.n), align: 'right' },
        { header: 'note', value: () => '' },
      ],
      [
        { name: 'a', n: 100 },
        { name: 'longer', n: 2 },
      ],
    );
    expect(table).toBe(['NAME      N  NOTE', 'a       100', 'longer    2'].join('\n'));
  });
});

describe('formatting', () => {
  it('ages in s, m, h, d; "-" for never', () => {
    const now = Date.parse('2030-01-10T00:00:00Z');
    expect(formatAge(null, now)).toBe('-');
    expect(formatAge('2030-01-09T23:59:57Z', now)).toBe('3s ago');
    expect(formatAge('2030-01-09T23:55:00Z', now)).toBe('5m ago');
    expect(formatAge('2030-01-09T21:00:00Z', now)).toBe('3h ago');
    expect(formatAge('2030-01-05T00:00:00Z', now)).toBe('5d ago');
  });

  it('percentages without needless decimals, figures and summaries as key=value', () => {
    expect(formatPercentage(55.00000001)).toBe('55%');
    expect(formatPercentage(33.3333)).toBe('33.3%');
    expect(formatFigures({ loss: 0.123456, epoch: 3, note: 'x', nested: { a: 1 } })).toBe('loss=0.1235 epoch=3 note=x nested=[a=1]');
    expect(renderResultSummary(null)).toBe('-');
    expect(renderResultSummary({ steps: 20, resumed_from_step: 7 })).toBe('steps=20 resumed_from_step=7');
  });
});

describe('progress view off a terminal', () => {
  it('prints one line per change of progress, none for a repeated poll', () => {
    const stream = new Capture() as unknown as NodeJS.WriteStream;
    const view = createProgressView(stream);
    const at = (percentage: number, step: string | null, status: 'pending' | 'running' = 'running') =>
      operationRecord({ status, progress: { ...emptyProgress(), percentage, current_step: step } });
    view.update(at(0, null, 'pending'));
    view.update(at(25, 'step 1/4'));
    view.update(at(25, 'step 1/4'));
    view.update(at(100, 'step 4/4'));
    view.stop();
    expect((stream as unknown as Capture).text.split('\n').filter(Boolean)).toEqual([
      `[${'-'.repeat(30)}]   0% pending | waiting for a worker`,
      `[${'#'.repeat(8)}${'-'.repeat(22)}]  25% running | step 1/4`,
      `[${'#'.repeat(30)}] 100% running | step 4/4`,
    ]);
  });
});

describe('no escape codes unless a capable terminal', () => {
  const update = (env: NodeJS.ProcessEnv) => {
    const capture = new Capture();
    // A TTY as far as the stream says; TERM decides whether it can take cursor movement.
    const stream = Object.assign(capture, { isTTY: true, columns: 80 }) as unknown as NodeJS.WriteStream;
    const view = createProgressView(stream, undefined, env);
    view.update(operationRecord({ status: 'running', progress: { ...emptyProgress(), percentage: 50, current_step: 'step 2/4' } }));
    view.stop();
    return capture.text;
  };

  it('TERM=dumb on a TTY gets plain lines without any escape sequence', () => {
    const text = update({ TERM: 'dumb' });
    expect(text).toContain('50% running | step 2/4');
    expect(text.includes('\u001b')).toBe(false);
  });

  it('a capable TTY gets the redrawn bar (escape sequences)', () => {
    expect(update({ TERM: 'xterm-256color' }).includes('\u001b')).toBe(true);
  });
});

describe('result summaries', () => {
  it('per-class figures read as key=value lists, never raw JSON', () => {
    const text = renderResultSummary({ model_id: 'mdl_x', recall: { BUY: 0, HOLD: 0.7 }, classes: ['BUY', 'SELL'] });
    expect(text).toBe('model_id=mdl_x recall=[BUY=0 HOLD=0.7] classes=[BUY SELL]');
    expect(text).not.toMatch(/[{}"]/);
  });
});
