/**
 * The training data sets: rows whose features are not all finite after the
 * warm-up are dropped and counted, and no label window of a set reaches into
 * the next set (purged boundaries).
 */
import { describe, expect, it } from 'vitest';
import { UNLABELLED, zigzagLabels } from '../../src/labels/zigzag.js';
import { parseStrategy } from '../../src/strategy/load.js';
import { prepareData } from '../../src/workloads/training/dataset.js';
import { TrainingParams } from '../../src/workloads/training/params.js';
import { trainingWorkload } from '../../src/workloads/training/training.js';
import { BARS, fakeContext, MemoryServices, STRATEGY_YAML } from './support/fake-context.js';
import { VOLUME_ROC_YAML, withZeroVolume } from './support/volume-roc.js';

const LOOKAHEAD = 24; // strategies/macd_roc_trend.yaml training.labels.label_lookahead
const LOOKBACK = 3; // its model.features.lookback_periods
const ROC_PERIOD = 10;

const ZERO_VOLUME_AT = [700, 1500, 2300];

const indexOfTime = (time: number) => BARS.time.indexOf(time);

describe('training data sets', () => {
  it('the fixtures: the strategy reads the volume, and the bars have zeros where intended', () => {
    expect(VOLUME_ROC_YAML).not.toBe(STRATEGY_YAML);
    const bars = withZeroVolume(BARS, ZERO_VOLUME_AT);
    expect(ZERO_VOLUME_AT.map((index) => bars.volume[index])).toEqual([0, 0, 0]);
    expect(BARS.volume.every((v) => v > 0)).toBe(true);
  });

  it('drops the rows with a NaN feature after the warm-up, counts them, and keeps only finite features', () => {
    const strategy = parseStrategy(VOLUME_ROC_YAML, 'volume_roc.yaml');
    const bars = withZeroVolume(BARS, ZERO_VOLUME_AT);
    const data = prepareData(strategy, bars);

    // By hand: a zero volume at k makes roc NaN at k + 10, which the lags 0..3 carry to rows k+10 .. k+13;
    // all of them are after the warm-up and labelled, so 4 rows per zero.
    expect(data.rowsDroppedNan).toBe(ZERO_VOLUME_AT.length * (LOOKBACK + 1));
    const kept = [data.train, data.validation, data.test];
    for (const split of kept) expect(split.data.X.every(Number.isFinite)).toBe(true);

    // Every row left out for NaN is one of those, and none of the others is missing.
    const nanRows = new Set(ZERO_VOLUME_AT.flatMap((k) => Array.from({ length: LOOKBACK + 1 }, (_, lag) => k + ROC_PERIOD + lag)));
    const labels = zigzagLabels(bars.close, 0.01, LOOKAHEAD);
    let usable = 0;
    for (let row = data.features.firstValidRow; row < bars.time.length; row++) if (labels[row] !== UNLABELLED && !nanRows.has(row)) usable++;
    expect(kept.reduce((sum, split) => sum + split.data.rows, 0) + data.rowsPurged).toBe(usable);
  });

  it('purges the end of the train and validation sets so that no label window reaches into the next set', () => {
    const strategy = parseStrategy(STRATEGY_YAML, 'macd_roc_trend.yaml');
    const data = prepareData(strategy, BARS);
    const trainEnd = indexOfTime(data.train.end);
    const validationStart = indexOfTime(data.validation.start);
    const validationEnd = indexOfTime(data.validation.end);
    const testStart = indexOfTime(data.test.start);
    // The label of row t reads close[t+1 .. t+lookahead]: all of it before the next set's first bar.
    expect(trainEnd + LOOKAHEAD).toBeLessThan(validationStart);
    expect(validationEnd + LOOKAHEAD).toBeLessThan(testStart);
    // The split is made on the usable rows, then exactly `lookahead` rows go at each of the two boundaries
    // (the rows are consecutive bars here: no NaN inside).
    expect(data.rowsDroppedNan).toBe(0);
    expect(data.rowsPurged).toBe(2 * LOOKAHEAD);
    const usable = data.train.data.rows + data.validation.data.rows + data.test.data.rows + data.rowsPurged;
    expect(data.train.data.rows).toBe(Math.floor(usable * 0.7) - LOOKAHEAD);
    expect(data.validation.data.rows).toBe(Math.floor(usable * 0.85) - Math.floor(usable * 0.7) - LOOKAHEAD);
    expect(data.test.data.rows).toBe(usable - Math.floor(usable * 0.85));
    // The train set's last row is the last one whose label window ends before the validation set.
    expect(validationStart - trainEnd).toBe(LOOKAHEAD + 1);
    expect(testStart - validationEnd).toBe(LOOKAHEAD + 1);
  });
});

describe('training workload on features with NaN after the warm-up', () => {
  it('trains, reporting the dropped rows in the progress and the result', async () => {
    const services = new MemoryServices(withZeroVolume(BARS, ZERO_VOLUME_AT));
    const params = TrainingParams.parse({ strategy_yaml: VOLUME_ROC_YAML, strategy_name: 'volume_roc', symbol: 'EURUSD', timeframe: '1h' });
    const context = fakeContext(params, { services });
    const result = await trainingWorkload.run(context);
    const expected = ZERO_VOLUME_AT.length * (LOOKBACK + 1);
    expect(result.resultSummary.rows_dropped_nan).toBe(expected);
    expect(result.resultSummary.rows_purged).toBe(2 * LOOKAHEAD);
    expect(services.saved).toHaveLength(1);
    const epochUpdates = context.updates.filter((update) => update.current_step?.startsWith('Epoch '));
    expect(epochUpdates.length).toBeGreaterThan(0);
    expect(epochUpdates.every((update) => update.context?.rows_dropped_nan === expected)).toBe(true);
    expect(Number.isFinite(result.resultSummary.test_loss)).toBe(true);
  });
});
