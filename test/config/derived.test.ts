/** How the processes turn settings into what they use: milliseconds for timers, the log format. */
import { describe, expect, it } from 'vitest';
import { logFormatOf, secondsToMs } from '../../src/config/derived.js';

describe('secondsToMs', () => {
  it.each([
    [1.001, 1001],
    [0.3, 300],
    [1.005, 1005],
    [2147483.647, 2147483647],
  ])('%s s is %s ms, an integer a timer accepts', (seconds, ms) => {
    expect(secondsToMs(seconds)).toBe(ms);
    expect(Number.isInteger(secondsToMs(seconds))).toBe(true);
    expect(() => AbortSignal.timeout(secondsToMs(seconds))).not.toThrow();
  });
});

describe('logFormatOf (KTRDR_LOG_JSON_OUTPUT and KTRDR_LOG_FORMAT)', () => {
  it.each([
    ['text', false, 'text'],
    ['json', false, 'json'],
    ['text', true, 'json'],
    ['json', true, 'json'],
  ] as const)('format %s with json_output %s writes %s', (format, jsonOutput, expected) => {
    expect(logFormatOf({ format, jsonOutput })).toBe(expected);
  });
});
