/**
 * The operator dashboard in a real browser (playwright-core driving Debian's Chromium, headless, off the network)
 * against a real backend and real workers started here: the sign-in screen (and a refused token), the fleet,
 * a dummy operation started from the form with its progress live and cancelled with its button, a form error
 * beside its field, a training whose loss curve grows live and ends with a confusion matrix, a backtest of the
 * model with its charts, baseline and trades, a killed worker leaving the fleet's healthy list, the Strategies page
 * with an invalid file's problem by path and line, and the lost-connection banner when the backend stops.
 *
 * Every wait is on page state with a ceiling, never a fixed sleep. Screenshots of each page go to
 * KTRDR_SCREENSHOT_DIR (default dist/screenshots); docs/images/ keeps copies for the README.
 *
 * Needs `npm run build` (the backend serves dist/web). Skipped, saying so, only when Chromium is absent outside CI;
 * in CI (.ci/run installs it) a missing browser fails.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { formatCsv, generateBars } from '../../src/market-data/generate.js';
import { budget, OPERATION_MS, REPO_ROOT, STARTUP_MS, STOP_MS, tempDir } from '../support/processes.js';
import { Cluster } from './cluster.js';
import { slowStrategy } from './strategies.js';

const CHROMIUM = process.env.KTRDR_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium before the tests`);
if (!HAVE_CHROMIUM) console.warn(`dashboard browser tests SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);

const SCREENSHOTS = process.env.KTRDR_SCREENSHOT_DIR ?? join(REPO_ROOT, 'dist', 'screenshots');
/** One page-state wait: a busy 2-core machine with a training running renders slowly. */
const UI_MS = 60_000;
/** Flags that keep the browser off the network and quiet (no updates, sync, metrics, first-run pages). */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage'];

const cluster = new Cluster({ KTRDR_CHECKPOINT_EPOCH_INTERVAL: '5', KTRDR_CHECKPOINT_TIME_INTERVAL_SECONDS: '3600' });
let context: BrowserContext;
let page: Page;
let root = '';
let backtestingWorker = '';

const BROKEN_YAML = readFileSync(join(REPO_ROOT, 'strategies', 'macd_roc_trend.yaml'), 'utf8').replace('roc_10: {type: roc, period: 10}', 'roc_10: {type: roc, period: ten}');
/** The line of BROKEN_YAML the page must point at. */
const BROKEN_LINE = BROKEN_YAML.split('\n').findIndex((line) => line.includes('period: ten')) + 1;

const shot = (name: string, fullPage = true) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });

describe.skipIf(!HAVE_CHROMIUM)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(cluster.dataDir, 'EURUSD_1h.csv'), formatCsv(generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3000, seed: 11 })));
    const strategiesDir = join(cluster.dataDir, 'strategies');
    mkdirSync(strategiesDir);
    cpSync(join(REPO_ROOT, 'strategies'), strategiesDir, { recursive: true });
    writeFileSync(join(strategiesDir, 'e2e_slow.yaml'), slowStrategy(12));
    // An invalid strategy for the Strategies page: a period that is not a number.
    writeFileSync(join(strategiesDir, 'e2e_broken.yaml'), BROKEN_YAML);
    await cluster.startBackend();
    await cluster.startWorker('training');
    backtestingWorker = (await cluster.startWorker('backtesting')).id;
    root = `http://127.0.0.1:${cluster.apiPort}/`;
    context = await chromium.launchPersistentContext(tempDir('ktrdr-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_MS);
  }, budget(STARTUP_MS, STARTUP_MS, STARTUP_MS, UI_MS));

  afterAll(async () => {
    await context?.close();
    await cluster.stop();
  }, budget(UI_MS, UI_MS));

  it('shows the sign-in screen for a refused token, then the fleet for a good one', async () => {
    await page.goto(`${root}#token=not-a-token`);
    await page.getByText('The backend refused the token').waitFor();
    // The bad token is gone from the address bar and from the session.
    expect(page.url()).not.toContain('not-a-token');
    await shot('sign-in');

    const token = await new TokenService('local-dev-secret-do-not-use-in-production', 60).issue('dashboard-test', 'cli');
    await page.fill('textarea[name=token]', token);
    await page.click('button[type=submit]');
    await page.locator('[data-testid=fleet] tr[data-worker] [data-testid=worker-status]').nth(1).waitFor();
    await page.waitForFunction("document.querySelectorAll('[data-testid=fleet] [data-testid=worker-status]').length === 2");
    await page.locator('[data-testid=live]').waitFor({ state: 'attached' });
    await shot('fleet');
    // The settings page reads GET /api/v1/config: secrets arrive redacted.
    await page.goto(`${root}#/config`);
    await page.locator('[data-testid=config] tr[data-env=KTRDR_AUTH_JWT_SECRET]').getByText('********').first().waitFor();
    await shot('configuration');
  }, budget(UI_MS, UI_MS, UI_MS, UI_MS));

  it('lists the strategies with the problems of an invalid one by path and line', async () => {
    await page.goto(`${root}#/strategies`);
    await page.locator('[data-testid=strategies] tr[data-strategy=e2e_slow][data-valid=true]').waitFor();
    const broken = page.locator('[data-testid=strategies] tr[data-strategy=e2e_broken][data-valid=false]');
    const problem = broken.locator('[data-testid=strategy-problem][data-path="indicators.roc_10.period"]');
    await problem.waitFor();
    expect(BROKEN_LINE).toBeGreaterThan(0);
    expect(await problem.getAttribute('data-line')).toBe(String(BROKEN_LINE));
    expect(await problem.textContent()).toContain(`e2e_broken.yaml:${BROKEN_LINE}:`);
    await shot('strategies');
  }, budget(UI_MS, UI_MS, UI_MS));

  it('starts a dummy operation from the form, shows its progress live and cancels it with its button', async () => {
    await page.goto(`${root}#/operations`);
    await page.selectOption('select[name=kind]', 'dummy');
    await page.fill('input[name=steps]', '400');
    await page.fill('input[name=step_delay_ms]', '150');
    await page.click('[data-testid=start-form] button[type=submit]');
    const id = await startedId();
    const row = page.locator(`tr[data-operation="${id}"]`);
    // Progress arrives through the event stream: wait for the bar to move past 0 while the row says running.
    await page.waitForFunction(`Number(document.querySelector('tr[data-operation="${id}"] [data-testid=progress]')?.getAttribute('data-value') ?? 0) > 0`);
    expect(await row.getAttribute('data-status')).toBe('running');
    await shot('operations');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`tr[data-operation="${id}"][data-status=cancelled]`).waitFor();
    await row.getByRole('button', { name: 'Resume' }).waitFor();
  }, budget(UI_MS, UI_MS, UI_MS, UI_MS));

  it('shows a form error beside the field it names', async () => {
    await page.goto(`${root}#/operations`);
    await page.selectOption('select[name=kind]', 'training');
    await page.fill('input[name=strategy]', 'e2e_slow');
    await page.fill('input[name=symbol]', 'not a symbol!');
    await page.click('[data-testid=start-form] button[type=submit]');
    await page.locator('[data-field-error=symbol]').waitFor();
    expect(await page.locator('[data-field-error]').count()).toBe(1);
  }, budget(UI_MS, UI_MS));

  it('trains from the form and draws the loss curve as epochs finish, then the confusion matrix', async () => {
    await page.goto(`${root}#/operations`);
    await page.selectOption('select[name=kind]', 'training');
    await page.fill('input[name=strategy]', 'e2e_slow');
    await page.fill('input[name=symbol]', 'EURUSD');
    await page.fill('input[name=timeframe]', '1h');
    await page.click('[data-testid=start-form] button[type=submit]');
    const id = await startedId();
    await page.goto(`${root}#/operation/${id}`);
    // The curve grows live: at least two epochs drawn before the run ends, then all of them.
    await page.waitForFunction("Number(document.querySelector('[data-testid=training-curve]')?.getAttribute('data-points') ?? 0) >= 2", undefined, { timeout: OPERATION_MS });
    await page.locator('[data-testid=operation-status]', { hasText: 'completed' }).waitFor({ timeout: OPERATION_MS });
    await page.locator('[data-testid=confusion-matrix]').waitFor();
    expect(Number(await page.locator('[data-testid=training-curve]').getAttribute('data-points'))).toBe(12);
    await shot('training');
  }, budget(UI_MS, OPERATION_MS, OPERATION_MS, UI_MS));

  it('backtests the trained model from the form and shows the charts, the metrics and the trades', async () => {
    await page.goto(`${root}#/operations`);
    await page.selectOption('select[name=kind]', 'backtest');
    // The model list is read from the API when the kind is chosen.
    await page.waitForFunction("document.querySelector('select[name=model]')?.options.length === 2");
    await page.selectOption('select[name=model]', { index: 1 });
    await page.click('[data-testid=start-form] button[type=submit]');
    const id = await startedId();
    await page.goto(`${root}#/operation/${id}`);
    await page.locator('[data-testid=operation-status]', { hasText: 'completed' }).waitFor({ timeout: OPERATION_MS });
    await page.locator('[data-testid=equity-chart][data-ready] canvas').first().waitFor();
    await page.locator('[data-testid=candle-chart][data-ready] canvas').first().waitFor();
    await page.locator('[data-testid=metrics]').getByText('sharpe ratio').waitFor();
    // The buy-and-hold baseline of the result: beside the strategy's metrics and drawn on the equity chart.
    await page.locator('[data-testid=baseline-metrics]').getByText('buy & hold').waitFor();
    expect(Number(await page.locator('[data-testid=equity-chart]').getAttribute('data-baseline-points'))).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=trades] tbody tr').count()).toBeGreaterThan(0);
    await page.setViewportSize({ width: 1280, height: 1300 });
    await shot('backtest', false);
    await page.setViewportSize({ width: 1280, height: 900 });
  }, budget(UI_MS, OPERATION_MS, UI_MS, UI_MS));

  it('shows a killed worker leave the healthy fleet', async () => {
    await page.goto(`${root}#/fleet`);
    const status = page.locator(`tr[data-worker="${backtestingWorker}"] [data-testid=worker-status]`);
    await status.waitFor();
    const worker = cluster.processes.find((p) => p.name === backtestingWorker);
    await worker?.stop('SIGKILL');
    // Unavailable after failed health checks, then removed: either is the fleet telling the operator.
    await page.waitForFunction(`(() => {
      const cell = document.querySelector('tr[data-worker="${backtestingWorker}"] [data-testid=worker-status]');
      return cell === null || cell.textContent === 'temporarily_unavailable';
    })()`);
  }, budget(UI_MS, UI_MS));

  it('shows the lost-connection banner when the backend stops', async () => {
    await page.goto(`${root}#/fleet`);
    await page.locator('[data-testid=live]').waitFor({ state: 'attached' });
    await cluster.backend?.stop('SIGTERM');
    await page.locator('[data-testid=connection-banner]').waitFor();
    expect(await page.locator('[data-testid=connection-banner]').textContent()).toContain('reconnecting');
    await shot('connection-lost');
  }, budget(UI_MS, STOP_MS, UI_MS, UI_MS));
});

/** The operation id the start form reports. */
async function startedId(): Promise<string> {
  const message = page.locator('[data-testid=start-message]', { hasText: 'Started' });
  await message.waitFor();
  const id = /Started (\S+)/.exec((await message.textContent()) ?? '')?.[1];
  expect(id).toBeTruthy();
  return id as string;
}
