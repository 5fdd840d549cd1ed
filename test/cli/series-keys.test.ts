/** One line of figures leaves out a training's per-epoch history (kept in progress and results for the dashboard). */
import { describe, expect, it } from 'vitest';
import { formatFigures } from '../../src/cli/render/format.js';
import { renderResultSummary } from '../../src/cli/render/operations.js';

describe('series keys in one-line figures', () => {
  it('leaves the history out of progress figures and result summaries, and keeps the rest', () => {
    const history = [{ epoch: 1, loss: 0.9 }];
    expect(formatFigures({ epoch: 1, loss: 0.51234, history })).toBe('epoch=1 loss=0.5123');
    expect(renderResultSummary({ model_id: 'm1', confusion_matrix: [[1]], history })).toBe('model_id=m1 confusion_matrix=[[1]]');
  });
});
