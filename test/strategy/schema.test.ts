/**
 * The strategy file: docs/architecture.md §6.2's YAML as written, the examples, defaults and
 * the merge of the two training blocks, and a file with many problems, each
 * reported at its exact path in the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadStrategyFile, parseStrategy, StrategyError, type StrategyProblem } from '../../src/strategy/load.js';
import type { Strategy } from '../../src/strategy/schema.js';
import { DESIGN_YAML } from './fixtures.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STRATEGIES_DIR = join(REPO_ROOT, 'strategies');


/** The problems a text yields (fails the test when it is valid). */
function problemsOf(text: string): StrategyProblem[] {
  try {
    parseStrategy(text, 'test.yaml');
  } catch (error) {
    if (error instanceof StrategyError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the strategy to be invalid');
}

const pathsAndMessages = (problems: readonly StrategyProblem[]) => problems.map((problem) => `${problem.path}: ${problem.message}`);

/** DESIGN's YAML with `replace` applied (each pair must match once). */
function variant(...replacements: [string, string][]): string {
  let text = DESIGN_YAML;
  for (const [from, to] of replacements) {
    expect(text.split(from).length, `'${from}' should occur once`).toBe(2);
    text = text.replace(from, to);
  }
  return text;
}

describe('docs/architecture.md §6.2', () => {
  it('validates as written and normalises every section', () => {
    const strategy = parseStrategy(DESIGN_YAML, 'design.yaml');
    expect(strategy.name).toBe('rsi_adx_example');
    expect(strategy.version).toBe('3.0');
    expect(strategy.training_data).toEqual({
      symbols: { mode: 'single', symbol: 'EURUSD' },
      timeframes: { mode: 'single', timeframe: '1h' },
      history_required: 200,
    });
    expect(strategy.indicators).toEqual({
      rsi_14: { type: 'rsi', params: { period: 14, source: 'close' } },
      adx_14: { type: 'adx', params: { period: 14 } },
    });
    expect(strategy.fuzzy_sets).toEqual({
      rsi_momentum: {
        indicator: 'rsi_14',
        sets: { oversold: { type: 'triangular', parameters: [0, 25, 40] }, overbought: { type: 'triangular', parameters: [60, 75, 100] } },
      },
      adx_trend: {
        indicator: 'adx_14.adx',
        sets: { weak: { type: 'triangular', parameters: [0, 15, 25] }, strong: { type: 'trapezoidal', parameters: [20, 35, 60, 100] } },
      },
    });
    // Key order is column order.
    expect(Object.keys(strategy.fuzzy_sets.rsi_momentum!.sets)).toEqual(['oversold', 'overbought']);
    expect(strategy.nn_inputs).toEqual([
      { fuzzy_set: 'rsi_momentum', timeframes: ['1h'] },
      { fuzzy_set: 'adx_trend', timeframes: ['1h'] },
    ]);
    expect(strategy.model).toEqual({
      type: 'mlp',
      architecture: { hidden_layers: [32, 16], activation: 'relu', dropout: 0.2 },
      features: { lookback_periods: 2 },
      training: {
        learning_rate: 0.001,
        batch_size: 32,
        epochs: 50,
        optimizer: 'adam',
        early_stopping: { enabled: true, patience: 10, min_delta: 0.001 },
      },
    });
    expect(strategy.decisions).toEqual({ output_format: 'classification', confidence_threshold: 0.6 });
    expect(strategy.training).toEqual({
      labels: { source: 'zigzag', zigzag_threshold: 0.025, label_lookahead: 20 },
      data_split: { train: 0.7, validation: 0.15, test: 0.15 },
    });
  });

  it('accepts the training hyper-parameters at the top level instead of under model', () => {
    const moved = variant(
      [
        '  training:                               # also accepted at top level as `training:`\n    learning_rate: 0.001\n    batch_size: 32\n    epochs: 50\n    optimizer: adam\n    early_stopping: {enabled: true, patience: 10, min_delta: 0.001}\n',
        '',
      ],
      ['training:\n  labels:', 'training:\n  learning_rate: 0.01\n  epochs: 7\n  optimizer: sgd\n  labels:'],
    );
    const strategy = parseStrategy(moved, 'moved.yaml');
    expect(strategy.model.training).toEqual({
      learning_rate: 0.01,
      batch_size: 32,
      epochs: 7,
      optimizer: 'sgd',
      early_stopping: { enabled: false, patience: 10, min_delta: 0 },
    });
    expect(Object.keys(strategy.training)).toEqual(['labels', 'data_split']);
  });

  it('accepts the same hyper-parameter in both places when the values agree, and merges disjoint ones', () => {
    const both = variant(['training:\n  labels:', 'training:\n  learning_rate: 0.001\n  early_stopping: {patience: 10, min_delta: 0.001}\n  labels:']);
    expect(parseStrategy(both, 'both.yaml').model.training.learning_rate).toBe(0.001);
    const disjoint = variant(['    batch_size: 32\n', ''], ['training:\n  labels:', 'training:\n  batch_size: 128\n  labels:']);
    expect(parseStrategy(disjoint, 'disjoint.yaml').model.training.batch_size).toBe(128);
  });

  it('applies the documented defaults to optional parts', () => {
    const minimal = `
name: minimal
version: 1
training_data: {symbols: {mode: single, symbol: EURUSD}, timeframes: {mode: single, timeframe: 4h}}
indicators: {r: {type: rsi}}
fuzzy_sets: {m: {indicator: r, low: [0, 20, 40]}}
nn_inputs: [{fuzzy_set: m}]
model: {type: mlp, architecture: {hidden_layers: [4]}}
training: {labels: {zigzag_threshold: 0.01, label_lookahead: 5}}
`;
    const strategy: Strategy = parseStrategy(minimal, 'minimal.yaml');
    expect(strategy.version).toBe('1');
    expect(strategy.description).toBeUndefined();
    expect(strategy.training_data.history_required).toBeUndefined();
    expect(strategy.indicators.r).toEqual({ type: 'rsi', params: { period: 14, source: 'close' } });
    expect(strategy.nn_inputs).toEqual([{ fuzzy_set: 'm', timeframes: ['4h'] }]);
    expect(strategy.model.architecture).toEqual({ hidden_layers: [4], activation: 'relu', dropout: 0 });
    expect(strategy.model.features).toEqual({ lookback_periods: 0 });
    expect(strategy.model.training).toEqual({
      learning_rate: 0.001,
      batch_size: 32,
      epochs: 50,
      optimizer: 'adam',
      early_stopping: { enabled: false, patience: 10, min_delta: 0 },
    });
    expect(strategy.decisions).toEqual({ output_format: 'classification', confidence_threshold: 0.5 });
    expect(strategy.training.labels.source).toBe('zigzag');
    expect(strategy.training.data_split).toEqual({ train: 0.7, validation: 0.15, test: 0.15 });
  });

  it('accepts a single-output indicator referenced as id.value and a split that sums to 1 within 1e-9', () => {
    const text = variant(['indicator: rsi_14\n', 'indicator: rsi_14.value\n'], ['{train: 0.7, validation: 0.15, test: 0.15}', '{train: 0.6, validation: 0.3, test: 0.1}']);
    // 0.6 + 0.3 + 0.1 is 0.9999999999999999 in floating point.
    expect(0.6 + 0.3 + 0.1).not.toBe(1);
    expect(parseStrategy(text, 'x.yaml').training.data_split.train).toBe(0.6);
  });
});

describe('the examples under strategies/', () => {
  const files = readdirSync(STRATEGIES_DIR).filter((name) => name.endsWith('.yaml'));

  it('has at least three, each on EURUSD 1h with a small model', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s validates', async (file) => {
    const strategy = await loadStrategyFile(join(STRATEGIES_DIR, file));
    expect(strategy.name).toBe(file.replace(/\.yaml$/, ''));
    expect(strategy.training_data.symbols.symbol).toBe('EURUSD');
    expect(strategy.training_data.timeframes.timeframe).toBe('1h');
    expect(strategy.model.training.epochs).toBeLessThanOrEqual(30);
    expect(strategy.model.architecture.hidden_layers.every((units) => units <= 64)).toBe(true);
  });

  it('rsi_adx_example.yaml is docs/architecture.md §6.2 except for its epochs', () => {
    const example = readFileSync(join(STRATEGIES_DIR, 'rsi_adx_example.yaml'), 'utf8');
    const fromExample = parseStrategy(example, 'example');
    const fromDesign = parseStrategy(DESIGN_YAML, 'design');
    expect(fromExample.model.training.epochs).toBe(30);
    expect({ ...fromExample, model: { ...fromExample.model, training: { ...fromExample.model.training, epochs: 50 } } }).toEqual(fromDesign);
  });
});

describe('a file with many problems', () => {
  const BAD = `name: bad_one
version: "1"
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: single, timeframe: "1h"}
indicators:
  rsi_14: {type: rsi, period: 0}
  mystery: {type: hullmovingaverage, period: 10}
  adx_14: {type: adx, period: 14, perod: 3}
fuzzy_sets:
  rsi_momentum:
    indicator: rsi_41
    oversold: [0, 25, 40]
  adx_trend:
    indicator: adx_14
    weak: [0, 30, 25]
  adx_bad:
    indicator: adx_14.strength
    strong: {type: gaussian, parameters: [30, -1]}
nn_inputs:
  - {fuzzy_set: rsi_momentum}
  - {fuzzy_set: volume_spike, timeframes: ["4h"]}
model:
  type: mlp
  architecture: {hidden_layers: [16], activation: sigmoid, dropout: 0.1}
  features: {lookback_periods: 1}
  training: {epochs: 10, learning_rate: 0.01}
decisions: {confidence_threshold: 0.6}
training:
  learning_rate: 0.001
  labels: {zigzag_threshold: 0.02, label_lookahead: 10}
  data_split: {train: 0.7, validation: 0.2, test: 0.2}
  fuzy: 1
`;

  it('lists every problem at its exact path, in file order, with its line', () => {
    const problems = problemsOf(BAD);
    expect(pathsAndMessages(problems)).toEqual([
      'indicators.rsi_14.period: period must be an integer in [2..100] (got 0)',
      `indicators.mystery.type: unknown indicator type 'hullmovingaverage' (known: adline, adx, aroon, atr, bollingerbands, bollingerbandwidth, cci, cmf, distancefromma, donchianchannels, ema, fishertransform, ichimoku, keltnerchannels, macd, mfi, momentum, obv, parabolicsar, roc, rsi, rvi, sma, squeezeintensity, stochastic, supertrend, volumeratio, vwap, williamsr, wma, zigzag)`,
      "indicators.adx_14.perod: unknown parameter 'perod' for adx (allowed: period)",
      "fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41' (defined: rsi_14, mystery, adx_14)",
      "fuzzy_sets.adx_trend.indicator: indicator 'adx_14' has outputs adx, plus_di, minus_di; use e.g. 'adx_14.adx'",
      'fuzzy_sets.adx_trend.weak: triangular [0, 30, 25] must satisfy a <= b <= c',
      "fuzzy_sets.adx_bad.indicator: indicator 'adx_14' (adx) has no output 'strength' (outputs: adx, plus_di, minus_di)",
      'fuzzy_sets.adx_bad.strong.parameters: gaussian [30, -1] must have sigma > 0',
      "nn_inputs[1].fuzzy_set: unknown fuzzy set 'volume_spike' (defined: rsi_momentum, adx_trend, adx_bad)",
      "nn_inputs[1].timeframes[0]: timeframe '4h' is not among the strategy's timeframes (1h)",
      "model.architecture.activation: must be one of 'relu', 'tanh' (got 'sigmoid')",
      'training.learning_rate: conflicts with model.training.learning_rate (0.001 here, 0.01 there); give it in one place',
      'training.data_split: train + validation + test must sum to 1 (got 0.7 + 0.2 + 0.2 = 1.1)',
      "training.fuzy: unknown field 'fuzy' (allowed: labels, data_split, learning_rate, batch_size, epochs, optimizer, early_stopping)",
    ]);
    const lines = Object.fromEntries(problems.map((problem) => [problem.path, problem.line]));
    expect(lines).toMatchObject({
      'indicators.rsi_14.period': 7,
      'indicators.mystery.type': 8,
      'fuzzy_sets.rsi_momentum.indicator': 12,
      'nn_inputs[1].fuzzy_set': 22,
      'training.learning_rate': 30,
      'training.fuzy': 33,
    });
  });

  it('puts them all in the error message, one `<path>: <message>` per line', () => {
    let message = '';
    try {
      parseStrategy(BAD, 'bad.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(StrategyError);
      expect((error as StrategyError).code).toBe('VALIDATION_ERROR');
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('invalid strategy bad.yaml (14 problems):');
    expect(lines.slice(1)).toEqual(pathsAndMessages(problemsOf(BAD)));
    expect(lines).toContain("fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41' (defined: rsi_14, mystery, adx_14)");
  });

  it('reports a YAML syntax error with its line and column, and nothing else', () => {
    const problems = problemsOf('name: x\nindicators:\n  rsi: {type: rsi, period: 14\nfuzzy_sets: {}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '', line: 4, column: 1 });
    expect(problems[0]?.message).toMatch(/^YAML syntax error at line 4, column 1: /);
  });

  it('reports a duplicated key as a syntax error at its line', () => {
    const problems = problemsOf(DESIGN_YAML.replace('  adx_14: {type: adx, period: 14}', '  adx_14: {type: adx, period: 14}\n  rsi_14: {type: sma, period: 3}'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(10);
    expect(problems[0]?.message).toMatch(/YAML syntax error at line 10, column 3: .*unique/i);
  });

  it.each<[string, [string, string][], string[]]>([
    ['missing sections', [['nn_inputs:\n  - {fuzzy_set: rsi_momentum, timeframes: all}\n  - {fuzzy_set: adx_trend, timeframes: ["1h"]}\n', '']], ['nn_inputs: required (a list)']],
    ['a misspelt top-level field', [['fuzzy_sets:', 'fuzy_sets:']], [
        'fuzzy_sets: required (a mapping)',
        "fuzy_sets: unknown field 'fuzy_sets'; did you mean 'fuzzy_sets'? (allowed: name, version, description, training_data, indicators, fuzzy_sets, nn_inputs, model, decisions, training)",
      ]],
    ['a wrong type', [['batch_size: 32', 'batch_size: many']], ["model.training.batch_size: expected a number, got 'many'"]],
    ['a non-integer', [['label_lookahead: 20', 'label_lookahead: 2.5']], ['training.labels.label_lookahead: expected an integer, got 2.5']],
    ['an out-of-range number', [['dropout: 0.2', 'dropout: 1']], ['model.architecture.dropout: must be < 1 (got 1)']],
    ['an unsupported mode', [['symbols: {mode: single,', 'symbols: {mode: multi,']], ["training_data.symbols.mode: must be 'single' (got 'multi')"]],
    ['an unknown timeframe', [['timeframe: "1h"}', 'timeframe: "2h"}']], ["training_data.timeframes.timeframe: must be one of '1m', '5m', '15m', '30m', '1h', '4h', '1d' (got '2h')"]],
    ['a bad indicator id', [['  rsi_14: {type: rsi, period: 14, source: close}', '  rsi.14: {type: rsi, period: 14, source: close}'], ['indicator: rsi_14\n', 'indicator: adx_14.adx\n']], ["indicators.rsi.14: indicator id 'rsi.14' must start with a letter and contain only letters, digits and '_'"]],
    ['a bad source', [['source: close}', 'source: typical}']], ['indicators.rsi_14.source: source must be one of open, high, low, close, volume (got "typical")']],
    ['a single-output indicator with an output', [['indicator: rsi_14\n', 'indicator: rsi_14.k\n']], ["fuzzy_sets.rsi_momentum.indicator: indicator 'rsi_14' (rsi) has a single output; use 'rsi_14'"]],
    ['a fuzzy set listed twice', [['  - {fuzzy_set: adx_trend, timeframes: ["1h"]}', '  - {fuzzy_set: rsi_momentum}']], ["nn_inputs[1].fuzzy_set: fuzzy set 'rsi_momentum' is already listed at nn_inputs[0]"]],
    ['a fuzzy set without memberships', [['    oversold: [0, 25, 40]\n    overbought: [60, 75, 100]\n', '']], ["fuzzy_sets.rsi_momentum: fuzzy set 'rsi_momentum' defines no membership functions (e.g. low: [0, 20, 40])"]],
    ['a bad early_stopping conflict', [['training:\n  labels:', 'training:\n  early_stopping: {enabled: false}\n  labels:']], ['training.early_stopping: conflicts with model.training.early_stopping ({"enabled":false,"patience":10,"min_delta":0} here, {"enabled":true,"patience":10,"min_delta":0.001} there); give it in one place']],
    ['an empty split part', [['test: 0.15}', 'test: 0}']], ['training.data_split: train + validation + test must sum to 1 (got 0.7 + 0.15 + 0 = 0.85)', 'training.data_split.test: must be > 0 (got 0)']],
  ])('%s', (_name, replacements, expected) => {
    expect(pathsAndMessages(problemsOf(variant(...replacements)))).toEqual(expected);
  });

  it('reports an empty file and a file that is not a mapping', () => {
    expect(pathsAndMessages(problemsOf(''))).toEqual([': the file is empty']);
    expect(pathsAndMessages(problemsOf('- 1\n- 2\n'))).toEqual([': expected a mapping, got a list ([1,2])']);
  });
});

describe('loadStrategyFile', () => {
  it('reports a missing file as a StrategyError naming it', async () => {
    await expect(loadStrategyFile('/nonexistent/strategy.yaml')).rejects.toMatchObject({
      name: 'StrategyError',
      problems: [{ path: '', message: 'cannot read /nonexistent/strategy.yaml: no such file' }],
    });
  });
});
