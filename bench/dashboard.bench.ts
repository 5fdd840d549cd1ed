/**
 * The dashboard's budgets (issue 10), measured and printed, never asserted:
 * - the page's JavaScript and CSS, gzipped (budget: JavaScript ≤ 250 KB);
 * - first page interactive: from navigation to the fleet table drawn from the API, against a local in-process
 *   backend, in headless Chromium (budget ≤ 1 s);
 * - a backtest chart of 100,000 bars with trade markers drawn by lightweight-charts (budget ≤ 1 s).
 * Needs `npm run build` (dist/web) and /usr/bin/chromium (KTRDR_CHROMIUM); says so and skips without them.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { Backend } from '../src/backend/backend.js';
import { openMemoryStore } from '../src/store/index.js';
import { median } from './stats.js';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const CHROMIUM = process.env.KTRDR_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage'];
const RUNS = 5;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function bundleSizes(): void {
  const assets = join(WEB, 'assets');
  let js = 0;
  let jsRaw = 0;
  let first = 0;
  let css = 0;
  for (const name of readdirSync(assets)) {
    const content = readFileSync(join(assets, name));
    const gzipped = gzipSync(content, { level: 9 }).length;
    if (name.endsWith('.js')) {
      js += gzipped;
      jsRaw += content.length;
      // The entry chunk: all the first page (the fleet) loads; the other pages and the charts load on first visit.
      if (name.startsWith('index-')) first += gzipped;
    } else if (name.endsWith('.css')) css += gzipped;
  }
  console.log(`  bundle: JavaScript ${kb(js)} gzipped in all (${kb(jsRaw)} raw; budget 250 KB), ${kb(first)} of it for the first page; CSS ${kb(css)} gzipped`);
}

export async function dashboardBench(): Promise<void> {
  console.log('\ndashboard');
  if (!existsSync(join(WEB, 'index.html'))) {
    console.log('  skipped: dist/web is not built (npm run build)');
    return;
  }
  bundleSizes();
  if (!existsSync(CHROMIUM)) {
    console.log(`  page and chart timings skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-dashboard-'));
  const backend = new Backend({
    store: await openMemoryStore(),
    logger: pino({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    jwtSecret: 'bench-secret',
    tokenExpireMinutes: 60,
    checkpointDir: join(dir, 'checkpoints'),
    checkpointMaxAgeDays: 30,
    dataDir: dir,
    modelsDir: join(dir, 'models'),
    strategiesDir: join(dir, 'strategies'),
    healthCheckIntervalMs: 3_600_000,
    healthCheckTimeoutMs: 2_000,
    healthCheckFailures: 3,
    workerRemovalThresholdMs: 300_000,
    orphanTimeoutMs: 60_000,
    orphanCheckIntervalMs: 3_600_000,
    opsCacheTtlMs: 1_000,
    maxOperations: 10_000,
    cleanupIntervalMs: 3_600_000,
    retentionDays: 7,
    uploadLimitBytes: 8 * 1024 * 1024,
    webDir: WEB,
  });
  const url = await backend.start();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const token = await backend.tokens.issue('bench', 'cli');
    const loads: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      // A fresh context each time: nothing cached, no session token but the one in the URL.
      const context = await browser.newContext();
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(`${url}/#token=${token}`);
      await page.locator('[data-testid=fleet]').waitFor();
      await page.waitForFunction("!document.body.textContent.includes('Loading')");
      if (run > 0) loads.push(performance.now() - start); // the first run warms the backend up
      await context.close();
    }
    console.log(`  first page interactive (fleet drawn from the API, cold browser context): median ${median(loads).toFixed(0)} ms over ${RUNS} (budget 1000 ms)`);

    const draws: number[] = [];
    for (let run = 0; run < 3; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}/#token=${token}`);
      await page.locator('[data-testid=fleet]').waitFor();
      await page.goto(`${url}/#/bench/candles/100000`);
      const cell = page.locator('[data-testid=chart-bench][data-draw-ms]:not([data-draw-ms=""])');
      await cell.waitFor({ timeout: 60_000 });
      draws.push(Number(await cell.getAttribute('data-draw-ms')));
      await context.close();
    }
    console.log(`  backtest chart, 100,000 candles + 500 trades (2 markers each): median ${median(draws).toFixed(0)} ms over ${draws.length} (budget 1000 ms)`);
  } finally {
    await browser.close();
    await backend.stop();
  }
}
