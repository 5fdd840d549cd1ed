/**
 * Membership functions at their edges, peaks and shoulders, outside their
 * support and on NaN; the series versions against the scalar ones; and the
 * fuzzy-set schema's shorthand, explicit form and messages.
 */
import { describe, expect, it } from 'vitest';
import {
  FuzzySetDefinition,
  gaussian,
  gaussianSeries,
  membership,
  membershipSeries,
  trapezoidal,
  trapezoidalSeries,
  triangular,
  triangularSeries,
  type MembershipFunction,
} from '../../src/fuzzy/membership.js';

describe('triangular', () => {
  it('[0, 25, 40]: 0 at both feet, 1 at the peak, linear between', () => {
    expect(triangular(0, 0, 25, 40)).toBe(0);
    expect(triangular(12.5, 0, 25, 40)).toBe(0.5); // 12.5 / 25
    expect(triangular(25, 0, 25, 40)).toBe(1);
    expect(triangular(32.5, 0, 25, 40)).toBe(0.5); // (40 - 32.5) / 15
    expect(triangular(37, 0, 25, 40)).toBeCloseTo(0.2, 15); // (40 - 37) / 15
    expect(triangular(40, 0, 25, 40)).toBe(0);
  });

  it('is 0 outside its support and NaN on NaN', () => {
    expect(triangular(-0.001, 0, 25, 40)).toBe(0);
    expect(triangular(40.001, 0, 25, 40)).toBe(0);
    expect(triangular(-1e300, 0, 25, 40)).toBe(0);
    expect(triangular(Number.NaN, 0, 25, 40)).toBeNaN();
  });

  it('[0, 0, 40] is a left shoulder: 1 at 0, falling to 0 at 40, 0 below 0, no division by zero', () => {
    expect(triangular(0, 0, 0, 40)).toBe(1);
    expect(triangular(10, 0, 0, 40)).toBe(0.75);
    expect(triangular(40, 0, 0, 40)).toBe(0);
    expect(triangular(-5, 0, 0, 40)).toBe(0);
  });

  it('[60, 100, 100] is a right shoulder: 0 at 60, 1 at 100, 0 above 100', () => {
    expect(triangular(60, 60, 100, 100)).toBe(0);
    expect(triangular(80, 60, 100, 100)).toBe(0.5);
    expect(triangular(100, 60, 100, 100)).toBe(1);
    expect(triangular(100.5, 60, 100, 100)).toBe(0);
  });

  it('agrees with the closed form max(min((x-a)/(b-a), (c-x)/(c-b)), 0) on a grid', () => {
    const [a, b, c] = [-3, 1.5, 7];
    for (let x = -5; x <= 9; x += 0.125) {
      expect(triangular(x, a, b, c)).toBeCloseTo(Math.max(Math.min((x - a) / (b - a), (c - x) / (c - b)), 0), 14);
    }
  });
});

describe('trapezoidal', () => {
  it('[20, 35, 60, 100]: rising, plateau, falling', () => {
    expect(trapezoidal(20, 20, 35, 60, 100)).toBe(0);
    expect(trapezoidal(27.5, 20, 35, 60, 100)).toBe(0.5); // 7.5 / 15
    expect(trapezoidal(35, 20, 35, 60, 100)).toBe(1);
    expect(trapezoidal(47, 20, 35, 60, 100)).toBe(1);
    expect(trapezoidal(60, 20, 35, 60, 100)).toBe(1);
    expect(trapezoidal(90, 20, 35, 60, 100)).toBe(0.25); // 10 / 40
    expect(trapezoidal(100, 20, 35, 60, 100)).toBe(0);
    expect(trapezoidal(19, 20, 35, 60, 100)).toBe(0);
    expect(trapezoidal(101, 20, 35, 60, 100)).toBe(0);
    expect(trapezoidal(Number.NaN, 20, 35, 60, 100)).toBeNaN();
  });

  it('tests the outer edges first, as the earlier ktrdr: a vertical outer edge is 0 at its point', () => {
    expect(trapezoidal(0, 0, 0, 20, 40)).toBe(0);
    expect(trapezoidal(1e-9, 0, 0, 20, 40)).toBe(1);
    expect(trapezoidal(30, 0, 0, 20, 40)).toBe(0.5);
    expect(trapezoidal(-1, 0, 0, 20, 40)).toBe(0);
    expect(trapezoidal(100, 60, 80, 100, 100)).toBe(0);
    expect(trapezoidal(99.999, 60, 80, 100, 100)).toBe(1);
    expect(trapezoidal(70, 60, 80, 100, 100)).toBe(0.5);
    expect(trapezoidal(15, 10, 10, 20, 20)).toBe(1);
    expect(trapezoidal(10, 10, 10, 20, 20)).toBe(0);
    expect(trapezoidal(20, 10, 10, 20, 20)).toBe(0);
    expect(trapezoidal(7, 7, 7, 7, 7)).toBe(0);
  });

  it('a triangle whose three points coincide is 1 at that point only', () => {
    expect(triangular(5, 5, 5, 5)).toBe(1);
    expect(triangular(5.001, 5, 5, 5)).toBe(0);
    expect(triangular(4.999, 5, 5, 5)).toBe(0);
  });

  it('agrees with the closed form max(min((x-a)/(b-a), 1, (d-x)/(d-c)), 0) on a grid', () => {
    const [a, b, c, d] = [-2, 0.5, 3, 8];
    for (let x = -4; x <= 10; x += 0.125) {
      expect(trapezoidal(x, a, b, c, d)).toBeCloseTo(Math.max(Math.min((x - a) / (b - a), 1, (d - x) / (d - c)), 0), 14);
    }
  });
});

describe('gaussian', () => {
  it('[50, 10]: 1 at the mean, exp(-1/2) one sigma away, symmetric', () => {
    expect(gaussian(50, 50, 10)).toBe(1);
    expect(gaussian(60, 50, 10)).toBeCloseTo(Math.exp(-0.5), 15);
    expect(gaussian(40, 50, 10)).toBe(gaussian(60, 50, 10));
    expect(gaussian(30, 50, 10)).toBeCloseTo(Math.exp(-2), 15);
    expect(gaussian(50 + 10 * Math.sqrt(2 * Math.LN2), 50, 10)).toBeCloseTo(0.5, 14); // half-width at half-maximum
    expect(gaussian(1e6, 50, 10)).toBe(0);
    expect(gaussian(Number.NaN, 50, 10)).toBeNaN();
  });
});

describe('series versions', () => {
  const values = Float64Array.from([Number.NaN, -10, 0, 5, 12.5, 25, 32.5, 40, 60, 80, 100, 120, Number.NaN]);

  it('match the scalar functions element by element, NaN in giving NaN out', () => {
    const tri = triangularSeries(values, 0, 25, 40);
    const trap = trapezoidalSeries(values, 20, 35, 60, 100);
    const gauss = gaussianSeries(values, 50, 10);
    values.forEach((x, i) => {
      expect(Object.is(tri[i], triangular(x, 0, 25, 40))).toBe(true);
      expect(Object.is(trap[i], trapezoidal(x, 20, 35, 60, 100))).toBe(true);
      expect(Object.is(gauss[i], gaussian(x, 50, 10))).toBe(true);
    });
    expect(tri[0]).toBeNaN();
    expect(gauss[12]).toBeNaN();
  });

  it('write into a given output array', () => {
    const out = new Float64Array(values.length);
    expect(triangularSeries(values, 0, 0, 40, out)).toBe(out);
    expect(out[2]).toBe(1);
  });

  it('membership and membershipSeries dispatch on the set type', () => {
    const sets: MembershipFunction[] = [
      { type: 'triangular', parameters: [0, 25, 40] },
      { type: 'trapezoidal', parameters: [20, 35, 60, 100] },
      { type: 'gaussian', parameters: [50, 10] },
    ];
    expect(sets.map((set) => membership(set, 30))).toEqual([triangular(30, 0, 25, 40), trapezoidal(30, 20, 35, 60, 100), gaussian(30, 50, 10)]);
    for (const set of sets) {
      const series = membershipSeries(set, values);
      values.forEach((x, i) => expect(Object.is(series[i], membership(set, x))).toBe(true));
    }
  });
});

describe('FuzzySetDefinition', () => {
  const issues = (input: unknown) => {
    const result = FuzzySetDefinition.safeParse(input);
    if (result.success) throw new Error(`accepted ${JSON.stringify(input)}`);
    return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };

  it('reads the type in any case and with an mf suffix, and numbers written as strings, as the earlier ktrdr', () => {
    expect(FuzzySetDefinition.parse({ type: 'GaussianMF', parameters: ['50', 10] })).toEqual({ type: 'gaussian', parameters: [50, 10] });
    expect(FuzzySetDefinition.parse({ type: 'Triangular', parameters: [0, '2.5e1', 40] })).toEqual({ type: 'triangular', parameters: [0, 25, 40] });
    expect(issues({ type: 'gaussian', parameters: ['fifty', 10] })[0]?.message).toMatch(/must be a finite number \(got "fifty"\)/);
  });

  it('reads the shorthand [a, b, c] as triangular and [a, b, c, d] as trapezoidal', () => {
    expect(FuzzySetDefinition.parse([0, 25, 40])).toEqual({ type: 'triangular', parameters: [0, 25, 40] });
    expect(FuzzySetDefinition.parse([20, 35, 60, 100])).toEqual({ type: 'trapezoidal', parameters: [20, 35, 60, 100] });
    expect(FuzzySetDefinition.parse([0, 0, 40])).toEqual({ type: 'triangular', parameters: [0, 0, 40] });
  });

  it('reads the explicit {type, parameters} form of every shape', () => {
    expect(FuzzySetDefinition.parse({ type: 'triangular', parameters: [0, 15, 25] })).toEqual({ type: 'triangular', parameters: [0, 15, 25] });
    expect(FuzzySetDefinition.parse({ type: 'trapezoidal', parameters: [20, 35, 60, 100] })).toEqual({
      type: 'trapezoidal',
      parameters: [20, 35, 60, 100],
    });
    expect(FuzzySetDefinition.parse({ type: 'gaussian', parameters: [50, 10] })).toEqual({ type: 'gaussian', parameters: [50, 10] });
  });

  it('refuses bad orderings and sigmas with the rule and the values (zero widths load, as in the earlier ktrdr)', () => {
    expect(issues([40, 25, 0])).toEqual([{ path: '', message: 'triangular [40, 25, 0] must satisfy a <= b <= c' }]);
    expect(FuzzySetDefinition.parse([5, 5, 5])).toEqual({ type: 'triangular', parameters: [5, 5, 5] });
    expect(issues([1, 3, 2, 4])).toEqual([{ path: '', message: 'trapezoidal [1, 3, 2, 4] must satisfy a <= b <= c <= d' }]);
    expect(FuzzySetDefinition.parse({ type: 'trapezoidal', parameters: [7, 7, 7, 7] })).toEqual({ type: 'trapezoidal', parameters: [7, 7, 7, 7] });
    expect(issues({ type: 'gaussian', parameters: [50, 0] })).toEqual([{ path: 'parameters', message: 'gaussian [50, 0] must have sigma > 0' }]);
    expect(issues({ type: 'gaussian', parameters: [50, -2] })[0]?.message).toBe('gaussian [50, -2] must have sigma > 0');
  });

  it('refuses wrong counts, unknown types, non-numbers and extra keys, pointing at them', () => {
    expect(issues([1, 2])[0]?.message).toMatch(/^the shorthand takes 3 numbers \(triangular \[a, b, c\]\) or 4 \(trapezoidal \[a, b, c, d\]\), got 2: \[1, 2\]; write a gaussian as/);
    expect(issues({ type: 'triangular', parameters: [1, 2, 3, 4] })).toEqual([
      { path: 'parameters', message: 'triangular takes 3 parameters [a, b, c] (got 4: [1, 2, 3, 4])' },
    ]);
    expect(issues({ type: 'gaussian', parameters: [1] })[0]?.message).toBe('gaussian takes 2 parameters [mean, sigma] (got 1: [1])');
    expect(issues({ type: 'triangle', parameters: [1, 2, 3] })).toEqual([
      { path: 'type', message: 'type must be one of triangular, trapezoidal, gaussian (got "triangle")' },
    ]);
    expect(issues([0, 'x', 40])).toEqual([{ path: '1', message: 'must be a finite number (got "x")' }]);
    expect(issues({ type: 'triangular', parameters: [0, 25, Number.POSITIVE_INFINITY] })[0]?.path).toBe('parameters.2');
    expect(issues({ type: 'gaussian', parameters: [50, 10], centre: 3 })).toEqual([
      { path: '', message: "unknown key 'centre': a fuzzy set has only type and parameters" },
    ]);
    expect(issues('wide')).toEqual([
      { path: '', message: 'a fuzzy set is [a, b, c] (triangular), [a, b, c, d] (trapezoidal) or {type, parameters} (got "wide")' },
    ]);
    expect(issues({ type: 'gaussian' })).toEqual([{ path: 'parameters', message: 'parameters must be a list of numbers (got undefined)' }]);
  });
});
