/**
 * The linear bounds check of JSON texts and the NUL walk of parsed values: right answers, paths that name where,
 * and no recursion (depths far beyond any stack are handled).
 */
import { describe, expect, it } from 'vitest';
import { pathOfNul } from '../../src/api/contract.js';
import { checkJsonLimits } from '../../src/http/json-limits.js';

const limits = { maxDepth: 4, maxEntries: 3 };

describe('checkJsonLimits', () => {
  it.each([
    '{}',
    '[]',
    '"a string with [[[[[ and {{{{{ inside"',
    '{"a":[1,2,3],"b":{"c":[{"d":1}]}}',
    '[[[[1]]]]',
    '{"k\\"[[[[[": "\\\\[[[[["}',
    '[1, 2, 3]',
    ' { "a" : [ "x" , "y" , "z" ] } ',
  ])('accepts %s', (text) => {
    expect(checkJsonLimits(text, limits)).toBeNull();
  });

  it('refuses one level too deep, naming where', () => {
    const violation = checkJsonLimits('{"a":[{"b":[[1]]}]}', limits);
    expect(violation?.path).toBe('body.a.0.b.0');
    expect(violation?.message).toContain('deeper than 4 levels');
  });

  it('refuses one entry too many, counting elements and members alike', () => {
    expect(checkJsonLimits('{"list":[1,2,3,4]}', limits)).toEqual({ path: 'body.list', message: expect.stringContaining('more than 3 elements') });
    expect(checkJsonLimits('{"a":1,"b":2,"c":3,"d":4}', limits)?.message).toContain('more than 3 members');
    expect(checkJsonLimits('[[], [], [], []]', limits)?.path).toBe('body');
  });

  it('answers for a 100,000-level text in one pass, with a path of bounded length', () => {
    const text = `${'{"a":['.repeat(100_000)}${']}'.repeat(100_000)}`;
    const violation = checkJsonLimits(text, { maxDepth: 64, maxEntries: 10 });
    expect(violation?.message).toContain('deeper than 64 levels');
    expect(violation?.path.length).toBeLessThan(100);
  });
});

describe('pathOfNul', () => {
  it('names the first string or key holding a NUL', () => {
    expect(pathOfNul({ a: ['x', { 'k\u0000': 1 }] })).toEqual(['a', 1, 'k\u0000']);
    expect(pathOfNul({ a: { b: ['ok', 'no\u0000'] } })).toEqual(['a', 'b', 1]);
    expect(pathOfNul('\u0000')).toEqual([]);
    expect(pathOfNul({ a: [1, null, true, 'fine'] })).toBeNull();
  });

  it('walks 100,000 levels without recursion', () => {
    let deep: unknown = 'end\u0000';
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(pathOfNul(deep)).toHaveLength(100_000);
  });

  it('walks 2,000,000 elements', () => {
    expect(pathOfNul({ zeros: new Array<number>(2_000_000).fill(0) })).toBeNull();
  });
});
