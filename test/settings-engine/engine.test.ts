import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  closestName,
  ConfigurationError,
  defineGroup,
  describeGroup,
  findUnknownVariables,
  insecureDefaults,
  insecureSettings,
  INSECURE_DEFAULT_REASON,
  loadSources,
  resolveGroup,
  setting,
  SettingsStore,
  type SettingsSources,
} from '../../src/settings-engine/index.js';

const sources = (env: Record<string, string> = {}, envFile: Record<string, string> = {}, dotEnv?: Record<string, string>): SettingsSources => ({
  env,
  files: [
    { name: '.env.local', path: '/nowhere/.env.local', values: envFile },
    ...(dotEnv ? [{ name: '.env', path: '/nowhere/.env', values: dotEnv }] : []),
  ],
});

const demo = defineGroup({
  name: 'demo',
  title: 'Demo',
  prefix: 'APP_DEMO_',
  description: 'A group for tests.',
  fields: {
    port: setting.int().range(1, 65535).default(8080).deprecated('PORT', 'LEGACY_PORT').describe('Port.'),
    ratio: setting.float().ge(0).default(0.5),
    retries: setting.int().gt(0).default(3),
    limit: setting.float().lt(10).le(5).default(1),
    enabled: setting.bool().default(false),
    name: setting.string().optional(),
    endpoint: setting.url().optional(),
    dir: setting.path().default('./x'),
    mode: setting.enum(['fast', 'slow']).default('fast'),
    tags: setting.list().default(['a']),
    token: setting.string().default('changeme').insecureDefault((g) => g.mode === 'slow'),
    required: setting.string(),
  },
});

function resolve(env: Record<string, string>, envFile: Record<string, string> = {}, dotEnv?: Record<string, string>) {
  return resolveGroup(demo, sources({ APP_DEMO_REQUIRED: 'r', ...env }, envFile, dotEnv));
}

function issueOf(env: Record<string, string>) {
  const result = resolve(env);
  expect(result.values).toBeNull();
  return result.issues.map((i) => `${i.sourceName}: ${i.message}`);
}

describe('field types', () => {
  it('parses every type and applies defaults', () => {
    const { values } = resolve({});
    expect(values).toEqual({
      port: 8080, ratio: 0.5, retries: 3, limit: 1, enabled: false, name: null, endpoint: null,
      dir: './x', mode: 'fast', tags: ['a'], token: 'changeme', required: 'r',
    });
    expect(Object.isFrozen(values)).toBe(true);
  });

  it.each([
    ['true', true], ['FALSE', false], ['1', true], ['0', false], ['Yes', true], ['no', false], ['ON', true], ['off', false],
  ])('bool %s', (raw, expected) => {
    expect(resolve({ APP_DEMO_ENABLED: raw }).values?.enabled).toBe(expected);
  });

  it('rejects what each type cannot parse, quoting the value', () => {
    expect(issueOf({ APP_DEMO_PORT: 'abc' })).toEqual(["APP_DEMO_PORT: 'abc' is not a valid integer"]);
    expect(issueOf({ APP_DEMO_PORT: '5.5' })).toEqual(["APP_DEMO_PORT: '5.5' is not a valid integer"]);
    expect(issueOf({ APP_DEMO_RATIO: 'x1' })).toEqual(["APP_DEMO_RATIO: 'x1' is not a valid number"]);
    expect(issueOf({ APP_DEMO_ENABLED: 'maybe' })[0]).toMatch(/^APP_DEMO_ENABLED: 'maybe' is not a valid boolean/);
    expect(issueOf({ APP_DEMO_ENDPOINT: 'ftp://x' })).toEqual(["APP_DEMO_ENDPOINT: 'ftp://x' is not a valid http(s) URL"]);
    expect(issueOf({ APP_DEMO_MODE: 'medium' })).toEqual(["APP_DEMO_MODE: 'medium' is not one of: fast, slow"]);
    expect(issueOf({ APP_DEMO_TAGS: '[1,2]' })[0]).toMatch(/not a comma-separated list or a JSON array/);
  });

  it('checks bounds and names the rule and the text given', () => {
    expect(issueOf({ APP_DEMO_PORT: '0' })).toEqual(["APP_DEMO_PORT: must be between 1 and 65535 (got '0')"]);
    expect(issueOf({ APP_DEMO_PORT: '65536' })).toEqual(["APP_DEMO_PORT: must be between 1 and 65535 (got '65536')"]);
    expect(issueOf({ APP_DEMO_RETRIES: '0' })).toEqual(["APP_DEMO_RETRIES: must be greater than 0 (got '0')"]);
    expect(issueOf({ APP_DEMO_RATIO: '-0.1' })).toEqual(["APP_DEMO_RATIO: must be greater than or equal to 0 (got '-0.1')"]);
    expect(issueOf({ APP_DEMO_LIMIT: '7' })).toEqual(["APP_DEMO_LIMIT: must be less than or equal to 5 (got '7')"]);
    expect(issueOf({ APP_DEMO_LIMIT: '12' })).toEqual(["APP_DEMO_LIMIT: must be less than 10 (got '12')"]);
    expect(resolve({ APP_DEMO_RATIO: '0', APP_DEMO_PORT: '65535' }).values).toMatchObject({ ratio: 0, port: 65535 });
  });

  it('reads lists comma-separated or as JSON arrays', () => {
    expect(resolve({ APP_DEMO_TAGS: ' x, y ,,z' }).values?.tags).toEqual(['x', 'y', 'z']);
    expect(resolve({ APP_DEMO_TAGS: '["p, q", "r"]' }).values?.tags).toEqual(['p, q', 'r']);
  });

  it('matches enums in any case and returns the declared spelling', () => {
    expect(resolve({ APP_DEMO_MODE: 'SLOW' }).values?.mode).toBe('slow');
  });

  it('reports a missing required value', () => {
    const result = resolveGroup(demo, sources());
    expect(result.issues).toEqual([{ env: 'APP_DEMO_REQUIRED', sourceName: 'APP_DEMO_REQUIRED', value: null, message: 'is required but not set' }]);
  });

  it('collects every error of the group, never only the first', () => {
    expect(issueOf({ APP_DEMO_PORT: 'abc', APP_DEMO_RETRIES: '-1', APP_DEMO_MODE: 'x' })).toHaveLength(3);
  });
});

describe('sources and tracing', () => {
  it('resolves environment, then deprecated names in order, then the env file, then the default', () => {
    const trace = (env: Record<string, string>, file: Record<string, string> = {}) => {
      const f = resolve(env, file).fields.find((t) => t.key === 'port');
      return [f?.value, f?.source, f?.sourceName];
    };
    expect(trace({})).toEqual([8080, 'default', null]);
    expect(trace({}, { LEGACY_PORT: '3' })).toEqual([3, 'env-file', 'LEGACY_PORT']);
    expect(trace({}, { LEGACY_PORT: '3', APP_DEMO_PORT: '4' })).toEqual([4, 'env-file', 'APP_DEMO_PORT']);
    expect(trace({ LEGACY_PORT: '2' }, { APP_DEMO_PORT: '4' })).toEqual([2, 'env', 'LEGACY_PORT']);
    expect(trace({ LEGACY_PORT: '2', PORT: '1' })).toEqual([1, 'env', 'PORT']);
    expect(trace({ PORT: '1', APP_DEMO_PORT: '9' })).toEqual([9, 'env', 'APP_DEMO_PORT']);
  });

  it('treats an empty value as unset', () => {
    const f = resolve({ APP_DEMO_PORT: '', PORT: '  ' }, { APP_DEMO_PORT: '7' }).fields.find((t) => t.key === 'port');
    expect([f?.value, f?.source]).toEqual([7, 'env-file']);
  });

  it('notes deprecated names, used or ignored', () => {
    expect(resolve({ PORT: '1' }).deprecations).toEqual([{ name: 'PORT', canonical: 'APP_DEMO_PORT', origin: 'env', file: null, used: true }]);
    expect(resolve({ PORT: '1', APP_DEMO_PORT: '2' }).deprecations).toEqual([
      { name: 'PORT', canonical: 'APP_DEMO_PORT', origin: 'env', file: null, used: false },
    ]);
  });

  it('names the deprecated variable that held a bad value', () => {
    expect(issueOf({ LEGACY_PORT: 'abc' })).toEqual(["LEGACY_PORT: 'abc' is not a valid integer"]);
  });

  it('reads .env.local, then .env, from the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-src-'));
    writeFileSync(join(dir, '.env.local'), '# comment\nAPP_DEMO_PORT=1234\nQUOTED="a b"\n');
    writeFileSync(join(dir, '.env'), 'APP_DEMO_PORT=1\nAPP_DEMO_RATIO=2\n');
    const loaded = loadSources({ env: { X: '1' }, cwd: dir });
    expect(loaded.files).toEqual([
      { name: '.env.local', path: join(dir, '.env.local'), values: { APP_DEMO_PORT: '1234', QUOTED: 'a b' } },
      { name: '.env', path: join(dir, '.env'), values: { APP_DEMO_PORT: '1', APP_DEMO_RATIO: '2' } },
    ]);
    expect(loadSources({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'ktrdr-none-')) }).files).toEqual([]);
  });

  it('takes a value from .env only when neither the environment nor .env.local sets it, and says which file', () => {
    const traced = (env: Record<string, string>, local: Record<string, string>, dotEnv: Record<string, string>) => {
      const f = resolve(env, local, dotEnv).fields.find((t) => t.key === 'port');
      return [f?.value, f?.source, f?.sourceName, f?.sourceFile];
    };
    expect(traced({}, {}, { APP_DEMO_PORT: '5' })).toEqual([5, 'env-file', 'APP_DEMO_PORT', '.env']);
    expect(traced({}, { PORT: '6' }, { APP_DEMO_PORT: '5' })).toEqual([6, 'env-file', 'PORT', '.env.local']);
    expect(traced({ APP_DEMO_PORT: '7' }, { PORT: '6' }, { APP_DEMO_PORT: '5' })).toEqual([7, 'env', 'APP_DEMO_PORT', null]);
    expect(resolve({}, {}, { LEGACY_PORT: '5' }).deprecations).toEqual([
      { name: 'LEGACY_PORT', canonical: 'APP_DEMO_PORT', origin: 'env-file', file: '.env', used: true },
    ]);
  });
});

describe('insecure defaults', () => {
  it('flags a placeholder only where its condition holds', () => {
    expect(insecureDefaults(resolve({})).map((t) => t.env)).toEqual([]);
    expect(insecureDefaults(resolve({ APP_DEMO_MODE: 'slow' })).map((t) => t.env)).toEqual(['APP_DEMO_TOKEN']);
    expect(insecureDefaults(resolve({ APP_DEMO_MODE: 'slow', APP_DEMO_TOKEN: 'strong' }))).toEqual([]);
  });

  it('flags weak values other than the default, with the reason the check gives', () => {
    const keyed = defineGroup({
      name: 'keyed',
      title: 'Keyed',
      prefix: 'APP_KEY_',
      description: '',
      fields: {
        secret: setting
          .string()
          .default('placeholder')
          .insecureDefault()
          .insecureValue((value) => (value.length < 8 ? `is ${value.length} characters long; at least 8 are needed` : null)),
      },
    });
    const reasons = (env: Record<string, string>) =>
      insecureSettings(resolveGroup(keyed, sources(env))).map((s) => `${s.trace.env} ${s.reason}`);
    expect(reasons({})).toEqual([`APP_KEY_SECRET ${INSECURE_DEFAULT_REASON}`]);
    expect(reasons({ APP_KEY_SECRET: 'abc' })).toEqual(['APP_KEY_SECRET is 3 characters long; at least 8 are needed']);
    expect(reasons({ APP_KEY_SECRET: 'long-enough' })).toEqual([]);
    expect(describeGroup(keyed)[0]?.secret).toBe(true);
  });
});

describe('numbers that would break a process', () => {
  const timing = defineGroup({
    name: 'timing',
    title: 'Timing',
    prefix: 'APP_T_',
    description: '',
    fields: {
      interval: setting.float().wholeMilliseconds().range(0.1, 86400).default(1),
      count: setting.int().ge(0).default(1),
    },
  });
  const outcome = (env: Record<string, string>) => {
    const result = resolveGroup(timing, sources(env));
    return result.values ?? result.issues.map((i) => `${i.sourceName}: ${i.message}`);
  };

  it('integers refuse fractions, exponents and values past 2^53', () => {
    for (const raw of ['2.5', '2.0', '1e3', '99999999999999999999']) {
      expect(outcome({ APP_T_COUNT: raw })).toEqual([`APP_T_COUNT: '${raw}' is not a valid integer`]);
    }
    expect(outcome({ APP_T_COUNT: '9007199254740991' })).toMatchObject({ count: 9007199254740991 });
  });

  it('numbers refuse what overflows to Infinity', () => {
    expect(outcome({ APP_T_INTERVAL: '1e400' })).toEqual(["APP_T_INTERVAL: '1e400' is not a valid number"]);
  });

  it('durations are whole milliseconds: 1.5 and 1.001 pass, 1.0005 is refused saying why', () => {
    expect(outcome({ APP_T_INTERVAL: '1.5' })).toMatchObject({ interval: 1.5 });
    expect(outcome({ APP_T_INTERVAL: '1.001' })).toMatchObject({ interval: 1.001 });
    expect(outcome({ APP_T_INTERVAL: '1.0005' })).toEqual([
      "APP_T_INTERVAL: must be a whole number of milliseconds (at most 3 decimal places) (got '1.0005')",
    ]);
  });

  it('durations have a floor and a ceiling', () => {
    expect(outcome({ APP_T_INTERVAL: '1e-320' })).toEqual(["APP_T_INTERVAL: must be between 0.1 and 86400 (got '1e-320')"]);
    expect(outcome({ APP_T_INTERVAL: '86400.001' })).toEqual(["APP_T_INTERVAL: must be between 0.1 and 86400 (got '86400.001')"]);
    expect(describeGroup(timing)[0]?.rule).toBe('whole milliseconds, 0.1..86400');
  });
});

describe('descriptions', () => {
  it('describes every field for the docs', () => {
    const port = describeGroup(demo).find((d) => d.key === 'port');
    expect(port).toEqual({
      group: 'demo', key: 'port', field: 'port', env: 'APP_DEMO_PORT', deprecatedEnv: ['PORT', 'LEGACY_PORT'],
      kind: 'int', defaultText: '8080', required: false, rule: '1..65535', secret: false, insecureDefault: false, description: 'Port.',
    });
    const token = describeGroup(demo).find((d) => d.key === 'token');
    expect([token?.secret, token?.insecureDefault]).toEqual([true, true]);
    expect(describeGroup(demo).find((d) => d.key === 'ratio')?.defaultText).toBe('0.5');
  });
});

describe('unknown variables', () => {
  const known = ['APP_DEMO_PORT', 'APP_DEMO_RATIO', 'APP_OTHER_URL'];
  it('finds names in the namespace that no field answers to, with the closest known name', () => {
    const found = findUnknownVariables(sources({ APP_DEMO_PROT: '1', APP_ZZZZZZZZZZZZZZZZ: '1', HOME: '/' }), {
      namespace: 'APP_',
      known,
      removed: { APP_DEMO_URL: { use: 'APP_OTHER_URL', reason: 'moved' } },
    });
    expect(found).toEqual([
      { name: 'APP_DEMO_PROT', origin: 'env', file: null, suggestion: 'APP_DEMO_PORT', reason: null },
      { name: 'APP_ZZZZZZZZZZZZZZZZ', origin: 'env', file: null, suggestion: null, reason: null },
    ]);
    const removed = findUnknownVariables(sources({}, { APP_DEMO_URL: 'x' }), {
      namespace: 'APP_',
      known,
      removed: { APP_DEMO_URL: { use: 'APP_OTHER_URL', reason: 'moved' } },
    });
    expect(removed).toEqual([{ name: 'APP_DEMO_URL', origin: 'env-file', file: '.env.local', suggestion: 'APP_OTHER_URL', reason: 'moved' }]);
  });

  it('suggests nothing when no name is close', () => {
    expect(closestName('APP_COMPLETELY_DIFFERENT', ['X_Y'])).toBeNull();
  });
});

describe('SettingsStore', () => {
  it('caches a frozen object until cleared, and reads the sources again after', () => {
    let env: Record<string, string> = { APP_DEMO_REQUIRED: 'r', APP_DEMO_PORT: '1' };
    let reads = 0;
    const store = new SettingsStore(() => {
      reads += 1;
      return sources({ ...env });
    });
    const first = store.get(demo);
    env = { APP_DEMO_REQUIRED: 'r', APP_DEMO_PORT: '2' };
    expect(store.get(demo)).toBe(first);
    expect(first.port).toBe(1);
    store.clear();
    expect(store.get(demo).port).toBe(2);
    expect(reads).toBe(2);
  });

  it('throws a ConfigurationError carrying every issue of the group', () => {
    const store = new SettingsStore(() => sources({ APP_DEMO_PORT: 'abc' }), { docsHint: 'See the docs' });
    expect(() => store.get(demo)).toThrow(ConfigurationError);
    try {
      store.get(demo);
    } catch (error) {
      const e = error as ConfigurationError;
      expect(e.issues.map((i) => i.env)).toEqual(['APP_DEMO_PORT', 'APP_DEMO_REQUIRED']);
      expect(e.message).toContain("  - APP_DEMO_PORT: 'abc' is not a valid integer");
      expect(e.message).toContain('See the docs');
    }
  });
});
