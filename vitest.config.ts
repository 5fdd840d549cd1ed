import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit` runs in-process tests with every core. `process` holds every test that starts real ktrdr
 * processes (backend, workers, `ktrdr up`, the CLI); it runs after `unit`, on fewer workers, so that children of
 * parallel files do not starve each other (and their heartbeats and health checks) on a small machine.
 *
 * A test file is a process test when it uses the helpers that start processes (or a stub or fake for them) or
 * `node:child_process` itself, so a new process test lands in the right project without being listed here.
 */
const STARTS_PROCESSES = /\b(runCli|spawnCli|KtrdrProcess|Cluster|useStubBackend|useWorkerProcesses)\b|node:child_process/;

const ROOT = fileURLToPath(new URL('.', import.meta.url));

const processTests = (readdirSync(join(ROOT, 'test'), { recursive: true }) as string[])
  .map((path) => `test/${path.replaceAll('\\', '/')}`)
  .filter((path) => path.endsWith('.test.ts') && STARTS_PROCESSES.test(readFileSync(join(ROOT, path), 'utf8')))
  .sort();

/** Process test files run at once (TEST_PROCESS_WORKERS overrides it, to measure); see "Development" in the README. */
const PROCESS_WORKERS = Number(process.env.TEST_PROCESS_WORKERS ?? 2);
/**
 * Unit test files run at once: one per core (TEST_UNIT_WORKERS overrides it). vitest's own default is one less than
 * the cores, which on the 2-core machine ran the unit files one by one while a core stayed idle.
 */
const UNIT_WORKERS = Number(process.env.TEST_UNIT_WORKERS ?? Math.max(2, availableParallelism()));

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: processTests,
          // A ceiling for a hang, not a speed limit: these tests move injected clocks, but a backend test that opens an
          // in-memory PGlite took 41 s on the busy 2-core machine and failed the former 30 s limit.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: UNIT_WORKERS,
          // Files share their worker's module cache (TEST_UNIT_ISOLATE=1 gives each its own process, to check a
          // suspected leak): 0.55 s of CPU less per file, and the backend harness's in-memory databases are reused
          // across files. Tests that touch process-wide state put it back (process.env in afterEach).
          isolate: process.env.TEST_UNIT_ISOLATE === '1',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'process',
          include: processTests,
          // Longer than any one wait of a CLI run or a process start (CLI_MS, STARTUP_MS in test/support and
          // test/cli/helpers); a test that waits on several things sets its own timeout with budget(…).
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: PROCESS_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
