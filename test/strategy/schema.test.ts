/**
 * The strategy file: docs/architecture.md §6.2's YAML as written, the examples, the earlier
 * ktrdr's defaults and precedence, and every bad input the original would only
 * find at run time, each refused at load at its exact path and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadStrategyFile, loadStrategyText, parseStrategy, StrategyError, type StrategyProblem } from '../../src/strategy/load.js';
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

const MINIMAL = `
name: minimal
training_data: {symbols: {mode: single, symbol: EURUSD}, timeframes: {mode: single, timeframe: 4h}}
indicators: {r: {type: rsi}}
fuzzy_sets: {m: {indicator: r, low: [0, 20, 40]}}
nn_inputs: [{fuzzy_set: m, timeframes: all}]
model: {type: mlp, architecture: {hidden_layers: [4]}}
decisions: {output_format: classification}
training: {}
`;

describe('docs/architecture.md §6.2', () => {
  it('validates as written and normalises every section', () => {
    const strategy = parseStrategy(DESIGN_YAML, 'design.yaml');
    expect(strategy.name).toBe('rsi_adx_example');
    expect(strategy.version).toBe('3.0');
    expect(strategy.training_data).toEqual({
      symbols: { mode: 'single', symbol: 'EURUSD', list: ['EURUSD'] },
      timeframes: { mode: 'single', timeframe: '1h', list: ['1h'], base_timeframe: '1h', base_timeframe_given: null },
      history_required: 200,
      start_date: null,
      end_date: null,
    });
    expect(strategy.indicators).toEqual({
      rsi_14: { type: 'rsi', params: { period: 14, source: 'close' }, data_source: null },
      adx_14: { type: 'adx', params: { period: 14 }, data_source: null },
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
      { fuzzy_set: 'rsi_momentum', raw_indicator: null, timeframes: ['1h'], normalization: null },
      { fuzzy_set: 'adx_trend', raw_indicator: null, timeframes: ['1h'], normalization: null },
    ]);
    expect(strategy.model.architecture).toMatchObject({ hidden_layers: [32, 16], activation: 'relu', dropout: 0.2 });
    expect(strategy.model.features.lookback_periods).toBe(2);
    expect(strategy.decisions).toMatchObject({ output_format: 'classification', confidence_threshold: 0.6 });
    expect(strategy.training).toMatchObject({
      learning_rate: 0.001,
      batch_size: 32,
      epochs: 50,
      optimizer: 'adam',
      early_stopping: { enabled: true, patience: 10, min_delta: 0.001, monitor: 'val_loss' },
      labels: { source: 'zigzag', zigzag_threshold: 0.025, label_lookahead: 20 },
    });
    expect(strategy.training.data_split.train).toBe(0.7);
    expect(strategy.training.data_split.test).toBeCloseTo(0.15, 12);
  });

  it('reads the hyper-parameters from the top-level training block first, as the original, and from model.training otherwise', () => {
    const text = variant(['training:\n  labels:', 'training:\n  learning_rate: 0.01\n  epochs: 7\n  labels:']);
    const { strategy, warnings } = loadStrategyText(text, 'both.yaml');
    expect(strategy.training).toMatchObject({ learning_rate: 0.01, epochs: 7, batch_size: 32, optimizer: 'adam' });
    expect(pathsAndMessages(warnings)).toEqual([
      'model.training.learning_rate: overridden by training.learning_rate (0.01), as in the original',
      'model.training.epochs: overridden by training.epochs (7), as in the original',
    ]);
    expect(warnings.map((warning) => warning.line)).toEqual([27, 29]);
  });

  it("applies the original's defaults: zigzag labels when training.labels is absent, 100 epochs, dropout 0.2, 200 bars of history", () => {
    const { strategy, warnings, notes } = loadStrategyText(MINIMAL, 'minimal.yaml');
    expect(warnings).toEqual([]);
    expect(notes).toEqual([]);
    expect(strategy.version).toBe('3.0');
    expect(strategy.training_data.history_required).toBe(200);
    expect(strategy.indicators.r).toEqual({ type: 'rsi', params: { period: 14, source: 'close' }, data_source: null });
    expect(strategy.nn_inputs).toEqual([{ fuzzy_set: 'm', raw_indicator: null, timeframes: ['4h'], normalization: null }]);
    expect(strategy.model.architecture).toMatchObject({ hidden_layers: [4], activation: 'relu', dropout: 0.2 });
    expect(strategy.decisions).toEqual({
      output_format: 'classification',
      confidence_threshold: 0.5,
      position_awareness: true,
      allow_short_from_flat: false,
      min_signal_separation: 4,
      round_trip_cost: 0.003,
      min_edge_multiplier: 1.5,
    });
    expect(strategy.training).toMatchObject({
      epochs: 100,
      batch_size: 32,
      learning_rate: 0.001,
      loss: 'cross_entropy',
      early_stopping: { enabled: false },
      // label_lookahead absent: the original's segment labels (it never reads the key).
      labels: { source: 'zigzag', zigzag_threshold: 0.02, label_lookahead: null },
      data_split: { train: 0.7, validation: 0.15 },
    });
  });

  it('turns early stopping off for an empty mapping and on for true, as the original', () => {
    const withStopping = (value: string) => parseStrategy(MINIMAL.replace('training: {}', `training: {early_stopping: ${value}}`), 'x.yaml').training.early_stopping;
    expect(withStopping('{}').enabled).toBe(false);
    expect(withStopping('true')).toEqual({ enabled: true, patience: 10, min_delta: 0.001, monitor: 'val_loss' });
    expect(withStopping('{patience: 3}')).toEqual({ enabled: true, patience: 3, min_delta: 0.001, monitor: 'val_loss' });
    expect(withStopping('{enabled: false, patience: 3}').enabled).toBe(false);
  });

  it('reads a multi-output indicator by its bare id as its first output, and a single-output one as id', () => {
    const text = variant(['indicator: adx_14.adx', 'indicator: adx_14']);
    expect(parseStrategy(text, 'x.yaml').fuzzy_sets.adx_trend?.indicator).toBe('adx_14');
  });
});

describe('the examples under strategies/', () => {
  const files = readdirSync(STRATEGIES_DIR).filter((name) => name.endsWith('.yaml'));

  it.each(files)('%s validates', async (file) => {
    const strategy = await loadStrategyFile(join(STRATEGIES_DIR, file));
    expect(strategy.name).toBe(file.replace(/\.yaml$/, ''));
    expect(strategy.training_data.symbols.symbol).toBe('EURUSD');
    expect(strategy.training.epochs).toBeLessThanOrEqual(30);
  });

  it('rsi_adx_example.yaml is docs/architecture.md §6.2 except for its epochs and confidence threshold', () => {
    const fromExample = parseStrategy(readFileSync(join(STRATEGIES_DIR, 'rsi_adx_example.yaml'), 'utf8'), 'example');
    const fromDesign = parseStrategy(DESIGN_YAML, 'design');
    expect(fromExample.training.epochs).toBe(30);
    expect(fromExample.decisions.confidence_threshold).toBe(0.45);
    expect({
      ...fromExample,
      training: { ...fromExample.training, epochs: 50 },
      decisions: { ...fromExample.decisions, confidence_threshold: 0.6 },
    }).toEqual(fromDesign);
  });
});

describe('a file with many problems', () => {
  const BAD = `name: bad_one
version: 3.0
training_data:
  symbols: {mode: single, symbol: EURUSD}
  timeframes: {mode: single, timeframe: "1h"}
indicators:
  rsi_14: {type: rsi, period: 0}
  mystery: {type: hyperwave, period: 10}
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
    strong: {type: sigmoid, parameters: [30, 1]}
nn_inputs:
  - {fuzzy_set: rsi_momentum, timeframes: 1h}
  - {fuzzy_set: volume_spike, timeframes: ["4h"]}
model:
  type: mlp
  architecture: {hidden_layers: [16], dropout: 0.1}
decisions: {confidence_threshold: 0.6}
training:
  labels: {source: zigzagg, zigzag_threshold: 0.02}
  data_split: {train: 0.7, validation: 0.3}
`;

  it('lists every problem at its exact path, in file order, with its line', () => {
    const problems = problemsOf(BAD);
    expect(problems.map((problem) => [problem.path, problem.line])).toEqual([
      ['version', 2],
      ['indicators.rsi_14.period', 7],
      ['indicators.mystery.type', 8],
      ['indicators.adx_14.perod', 9],
      ['fuzzy_sets.rsi_momentum.indicator', 12],
      ['fuzzy_sets.adx_trend.weak', 16],
      ['fuzzy_sets.adx_bad.indicator', 18],
      ['fuzzy_sets.adx_bad.strong.type', 19],
      ['nn_inputs[0].timeframes', 21],
      ['nn_inputs[1].fuzzy_set', 22],
      ['nn_inputs[1].timeframes[0]', 22],
      ['training.labels.source', 28],
      ['training.data_split.validation', 29],
    ]);
    const messages = pathsAndMessages(problems);
    expect(messages).toContain('version: must be a quoted string such as "3.0" (an unquoted 3 is a number in YAML, which the original refuses too)');
    expect(messages).toContain('indicators.rsi_14.period: period must be an integer in [2..100] (got 0)');
    expect(messages.find((message) => message.startsWith('indicators.mystery.type'))).toMatch(/^indicators\.mystery\.type: unknown indicator type 'hyperwave'.* \(known: .*rsi.*\)$/);
    expect(messages.find((message) => message.startsWith('indicators.adx_14.perod'))).toMatch(/unknown parameter 'perod' for adx; did you mean 'period'\? \(allowed: .*period.*\)/);
    expect(messages).toContain("fuzzy_sets.rsi_momentum.indicator: unknown indicator 'rsi_41' (defined: rsi_14, mystery, adx_14)");
    expect(messages).toContain('fuzzy_sets.adx_trend.weak: triangular [0, 30, 25] must satisfy a <= b <= c');
    expect(messages.find((message) => message.startsWith('fuzzy_sets.adx_bad.strong'))).toMatch(/type must be one of triangular, trapezoidal, gaussian \(got "sigmoid"\)/);
    expect(messages).toContain("nn_inputs[0].timeframes: must be 'all' or a list (got '1h'; write [1h])");
    expect(messages).toContain("training.labels.source: must be one of 'zigzag', 'forward_return', 'triple_barrier', 'context', 'regime' (got 'zigzagg')");
    expect(messages).toContain('training.data_split.validation: train + validation must leave a test part (got 0.7 + 0.3)');
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
    expect(lines[0]).toBe('invalid strategy bad.yaml (13 problems):');
    expect(lines.slice(1)).toEqual(pathsAndMessages(problemsOf(BAD)));
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

  it('reports an empty file and a file that is not a mapping', () => {
    expect(pathsAndMessages(problemsOf(''))).toEqual([': the file is empty']);
    expect(pathsAndMessages(problemsOf('- 1\n- 2\n'))).toEqual([': a strategy file is a mapping (name:, training_data:, indicators:, …)']);
  });
});

/** The "Bad input": what the original accepts at load and fails on at run time is refused here, at its path. */
describe('bad input the original only finds at run time', () => {
  it.each<[string, [string, string][], string[]]>([
    ['an unknown membership type', [['{type: triangular, parameters: [0, 15, 25]}', '{type: bell, parameters: [0, 15, 25]}']], [
      'fuzzy_sets.adx_trend.weak.type: type must be one of triangular, trapezoidal, gaussian (got "bell")',
    ]],
    ['a long-form membership without type', [['{type: triangular, parameters: [0, 15, 25]}', '{parameters: [0, 15, 25]}']], [
      'fuzzy_sets.adx_trend.weak.type: type must be one of triangular, trapezoidal, gaussian (got undefined)',
    ]],
    ['a membership that is neither a list nor a mapping', [['oversold: [0, 25, 40]', 'oversold: low']], [
      'fuzzy_sets.rsi_momentum.oversold: a fuzzy set is [a, b, c] (triangular), [a, b, c, d] (trapezoidal) or {type, parameters} (got "low")',
    ]],
    ['an unknown key inside a membership function (checked strictly)', [['{type: triangular, parameters: [0, 15, 25]}', '{type: triangular, parameters: [0, 15, 25], weight: 2}']], [
      "fuzzy_sets.adx_trend.weak: unknown key 'weight': a fuzzy set has only type and parameters",
    ]],
    ['a string where the timeframes list is required', [['{fuzzy_set: adx_trend, timeframes: ["1h"]}', '{fuzzy_set: adx_trend, timeframes: "1h"}']], [
      "nn_inputs[1].timeframes: must be 'all' or a list (got '1h'; write [1h])",
    ]],
    ['a string where the symbol list is required', [['symbols: {mode: single, symbol: EURUSD}', 'symbols: {mode: multi_symbol, list: EURUSD}']], [
      "training_data.symbols.list: expected a list, got 'EURUSD'",
    ]],
    ['a string where hidden_layers is required', [['hidden_layers: [32, 16]', 'hidden_layers: 32']], ['model.architecture.hidden_layers: expected a list, got 32']],
    ['an unknown label source', [['source: zigzag,', 'source: momentum,']], [
      "training.labels.source: must be one of 'zigzag', 'forward_return', 'triple_barrier', 'context', 'regime' (got 'momentum')",
    ]],
    ['an indicator id that is a price column', [['  rsi_14: {type: rsi, period: 14, source: close}', '  close: {type: rsi, period: 14, source: close}'], ['indicator: rsi_14\n', 'indicator: close\n']], [
      "indicators.close: indicator id 'close' is a price column's name; choose another",
    ]],
    ['an indicator id with a dot', [['  rsi_14: {type: rsi, period: 14, source: close}', '  rsi.14: {type: rsi, period: 14, source: close}'], ['indicator: rsi_14\n', 'indicator: adx_14.adx\n']], [
      "indicators.rsi.14: indicator id 'rsi.14' must not be empty nor contain '.', '[', ']' or blanks",
    ]],
    ['a single-output indicator with an output', [['indicator: rsi_14\n', 'indicator: rsi_14.k\n']], ["fuzzy_sets.rsi_momentum.indicator: indicator 'rsi_14' (rsi) has a single output; use 'rsi_14'"]],
    ['a raw input on an unknown output', [['  - {fuzzy_set: adx_trend, timeframes: ["1h"]}', '  - {raw_indicator: adx_14.strength, timeframes: all}']], [
      "nn_inputs[1].raw_indicator: indicator 'adx_14' (adx) has no output 'strength' (outputs: adx, plus_di, minus_di)",
    ]],
    ['an input with both fuzzy_set and raw_indicator', [['{fuzzy_set: adx_trend, timeframes: ["1h"]}', '{fuzzy_set: adx_trend, raw_indicator: rsi_14, timeframes: ["1h"]}']], [
      'nn_inputs[1]: give either fuzzy_set or raw_indicator, not both',
    ]],
    ['normalization on a fuzzy input', [['{fuzzy_set: adx_trend, timeframes: ["1h"]}', '{fuzzy_set: adx_trend, timeframes: ["1h"], normalization: zscore}']], [
      'nn_inputs[1].normalization: applies to raw_indicator inputs only',
    ]],
    ['a fuzzy set listed twice on one timeframe', [['  - {fuzzy_set: adx_trend, timeframes: ["1h"]}', '  - {fuzzy_set: rsi_momentum, timeframes: ["1h"]}']], [
      'nn_inputs[1].timeframes[0]: fuzzy_set rsi_momentum on 1h is already an input at nn_inputs[0]: its features would be listed twice',
    ]],
    ['a fuzzy set without memberships', [['    oversold: [0, 25, 40]\n    overbought: [60, 75, 100]\n', '']], [
      "fuzzy_sets.rsi_momentum: fuzzy set 'rsi_momentum' defines no membership functions (e.g. low: [0, 20, 40])",
    ]],
    ['a multi_timeframe list of one', [['timeframes: {mode: single, timeframe: "1h"}', 'timeframes: {mode: multi_timeframe, list: ["1h"]}']], [
      'training_data.timeframes.list: must list at least 2 timeframes when mode is multi_timeframe (got 1)',
    ]],
    ['a single symbol that is null', [['symbols: {mode: single, symbol: EURUSD}', 'symbols: {mode: single, symbol: null}']], [
      'training_data.symbols: names no symbol: give \'symbol\' (mode single) or \'list\' (mode multi_symbol)',
      'training_data.symbols.symbol: must name a symbol when mode is single',
    ]],
    ['history_required under 50', [['history_required: 200', 'history_required: 20']], ['training_data.history_required: must be >= 50 (got 20)']],
    ['an lstm without sequence_length', [['type: mlp\n', 'type: LSTM\n'], ['hidden_layers: [32, 16], ', '']], ['model.architecture.sequence_length: required for lstm (the window of bars, e.g. 20)']],
    ['an lstm key on an mlp', [['dropout: 0.2}', 'dropout: 0.2, sequence_length: 20}']], [
      'model.architecture.sequence_length: a key of lstm/gru models, not of model.type mlp (remove it, or set model.type: lstm)',
    ]],
    ['an mlp key on an lstm', [['type: mlp\n', 'type: lstm\n'], ['dropout: 0.2}', 'dropout: 0.2, sequence_length: 20}']], [
      'model.architecture.hidden_layers: a key of mlp models, not of model.type lstm (lstm/gru read sequence_length, hidden_size, num_layers, dropout)',
    ]],
    ['a classification with a regression output activation', [['dropout: 0.2}', 'dropout: 0.2, output_activation: linear}']], [
      "model.architecture.output_activation: 'linear' does not give class probabilities: output_format classification takes softmax",
    ]],
    ['a scheduler that is not a mapping', [['training:\n  labels:', 'training:\n  lr_scheduler: true\n  labels:']], [
      'training.lr_scheduler: must be a mapping {type: step | exponential | reduce_on_plateau, …} (got true)',
    ]],
    ['a scheduler of an unknown type', [['training:\n  labels:', 'training:\n  lr_scheduler: {type: cosine}\n  labels:']], [
      'training.lr_scheduler.type: must be one of step, exponential, reduce_on_plateau (got "cosine")',
    ]],
    ['a scheduler with a parameter of another type or a bad value', [['training:\n  labels:', 'training:\n  lr_scheduler: {type: step, step_size: 0, factor: 0.5}\n  labels:']], [
      'training.lr_scheduler.factor: not a parameter of the step scheduler (it takes step_size, gamma)',
    ]],
    ['a data_source that no context_data produces', [['{type: adx, period: 14}', '{type: adx, period: 14, data_source: fred_DGS10}']], [
      "indicators.adx_14.data_source: 'fred_DGS10' names no context_data series (the strategy has no context_data)",
    ]],
    ['a regression without its cost model', [['{output_format: classification, confidence_threshold: 0.6}', '{output_format: regression}'], ['labels: {source: zigzag, zigzag_threshold: 0.025, label_lookahead: 20}', 'labels: {source: forward_return}\n  loss: focal']], [
      'decisions.cost_model: required for output_format regression: {round_trip_cost, min_edge_multiplier}',
      'training.labels.horizon: required for forward_return labels with output_format regression (bars ahead, e.g. 20)',
      "training.loss: must be huber or mse for output_format regression (got 'focal')",
    ]],
    ['an unknown output format', [['output_format: classification', 'output_format: ranking']], ["decisions.output_format: must be one of 'classification', 'regression' (got 'ranking')"]],
    ['an unknown context provider', [['indicators:', 'context_data: [{provider: bloomberg, symbol: DXY}]\nindicators:']], ["context_data[0].provider: unknown provider 'bloomberg' (known: ib, fred, cftc_cot)"]],
    ['dates that are not dates', [['history_required: 200', 'history_required: 200\n  start_date: "last year"']], ["training_data.start_date: must be an ISO date such as 2024-01-31 (got 'last year')"]],
  ])('%s', (_name, replacements, expected) => {
    expect(pathsAndMessages(problemsOf(variant(...replacements)))).toEqual(expected);
  });

  it('a bad parameter value, in the words of the indicator', () => {
    const problems = pathsAndMessages(problemsOf(variant(['{type: adx, period: 14}', '{type: adx, period: 1.5}'])));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^indicators\.adx_14\.period: period must be an integer .*\(got 1\.5\)$/);
  });
});

describe('keys nobody reads, and keys the original ignores', () => {
  it('warns about an unknown key with the closest known name, and still loads', () => {
    const text = variant(['training:\n  labels:', 'training:\n  epoch: 5\n  labels:'], ['name: rsi_adx_example', 'name: rsi_adx_example\nfuzy_sets: {}']);
    const { strategy, warnings } = loadStrategyText(text, 'typo.yaml');
    expect(strategy.training.epochs).toBe(50);
    expect(pathsAndMessages(warnings)).toEqual([
      "fuzy_sets: unknown key 'fuzy_sets' at the top level is not read; did you mean 'fuzzy_sets'?",
      "training.epoch: unknown key 'epoch' in training is not read; did you mean 'epochs'?",
    ]);
    expect(warnings.map((warning) => [warning.line, warning.column])).toEqual([[2, 1], [35, 3]]);
  });

  it('lists the keys the original ignores as notes, never as errors', () => {
    const text = variant(['name: rsi_adx_example', 'name: rsi_adx_example\nscope: universal\ndescription: >\n  Two lines\n  of text.\nbacktest: {date_range: {start: "2024-01-01"}}']);
    const { notes } = loadStrategyText(text, 'ignored.yaml');
    expect(pathsAndMessages(notes)).toEqual(['scope: ignored: scope', 'description: ignored: description', 'backtest: ignored: backtest']);
  });

  it("notes what this ktrdr does not do yet, and whether a training is refused", () => {
    const text = variant(
      ['type: mlp\n', 'type: lstm\n'],
      ['hidden_layers: [32, 16], activation: relu, dropout: 0.2}', 'dropout: 0.2, sequence_length: 20, bidirectional: true}'],
      ['training:\n  labels:', 'training:\n  lr_scheduler: {type: step}\n  optimizer: lbfgs\n  labels:'],
    );
    const { notes } = loadStrategyText(text, 'later.yaml');
    // lstm and the scheduler are trained; bidirectional is ignored as by the original; an unknown optimizer refuses the training.
    expect(notes.map((note) => note.message)).toEqual([
      'ignored: model.architecture.bidirectional',
      'not yet used by this ktrdr: training.optimizer lbfgs (adam, adamw, sgd, rmsprop) (a training is refused)',
    ]);
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
