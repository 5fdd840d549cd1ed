/**
 * GET /api/v1/strategies (the dashboard's Strategies page) against a real backend: every strategy file of the
 * strategies directory, loaded as `ktrdr strategy validate` loads it, an invalid one with its problems by path, line
 * and column; a cli token only.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from './support/harness.js';

const MACD_YAML = readFileSync(new URL('../../strategies/macd_roc_trend.yaml', import.meta.url), 'utf8');

const backends: TestBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.stop()));
});

/** The 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('GET /api/v1/strategies', () => {
  it('lists each strategy file, valid or with its problems located by path, line and column', async () => {
    const strategiesDir = mkdtempSync(join(tmpdir(), 'ktrdr-strategies-route-'));
    const broken = MACD_YAML.replace('roc_10: {type: roc, period: 10}', 'roc_10: {type: roc, period: ten}');
    expect(broken).not.toBe(MACD_YAML);
    writeFileSync(join(strategiesDir, 'macd_roc_trend.yaml'), MACD_YAML);
    writeFileSync(join(strategiesDir, 'broken.yml'), broken);
    writeFileSync(join(strategiesDir, 'syntax.yaml'), 'name: x\nindicators: [\n');
    writeFileSync(join(strategiesDir, 'notes.txt'), 'not a strategy');
    mkdirSync(join(strategiesDir, 'folder.yaml'));
    const b = await startTestBackend({ strategiesDir });
    backends.push(b);

    const answer = await b.call('GET', '/strategies');
    expect(answer.status).toBe(200);
    expect(answer.body.total).toBe(3);
    expect(answer.body.items.map((item: { file: string }) => item.file)).toEqual(['broken.yml', 'macd_roc_trend.yaml', 'syntax.yaml']);
    const [invalid, valid, syntax] = answer.body.items;

    expect(valid).toMatchObject({ name: 'macd_roc_trend', valid: true, strategy: 'macd_roc_trend', symbols: ['EURUSD'], timeframes: ['1h'], problems: [] });
    expect(Array.isArray(valid.warnings) && Array.isArray(valid.notes)).toBe(true);

    expect(invalid).toMatchObject({ name: 'broken', valid: false, strategy: null, symbols: [] });
    const period = invalid.problems.find((problem: { path: string }) => problem.path === 'indicators.roc_10.period');
    expect(period).toBeDefined();
    expect(period.message).toContain('ten');
    expect(period.line).toBe(lineOf(broken, 'roc_10:'));
    expect(period.column).toBe(broken.split('\n')[period.line - 1]!.indexOf('ten') + 1);

    expect(syntax.valid).toBe(false);
    expect(syntax.problems[0]).toMatchObject({ path: '' });
    expect(syntax.problems[0].message).toContain('YAML syntax error');
    expect(syntax.problems[0].line).toBeGreaterThan(0);
    // The answer names files, never the server's directory.
    expect(JSON.stringify(answer.body)).not.toContain(strategiesDir);
  }, 60_000);

  it('answers an empty list when the directory does not exist, and refuses a worker token', async () => {
    const b = await startTestBackend({ strategiesDir: join(tmpdir(), `ktrdr-no-such-dir-${process.pid}-${Date.now()}`) });
    backends.push(b);
    const answer = await b.call('GET', '/strategies');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ items: [], total: 0 });
    const worker = await b.as('worker', 'w-1').call('GET', '/strategies');
    expect(worker.status).toBe(403);
  }, 60_000);
});
