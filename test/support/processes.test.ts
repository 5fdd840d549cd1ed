/**
 * The process-test helpers themselves: a wait tied to a process ends when that process exits, at once and with the
 * exit and the last output, rather than at its timeout; a condition met just before the exit still counts.
 * The process is a real `ktrdr worker` that refuses its configuration and exits 1.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { portIsFree } from '../../src/stack/local-stack.js';
import { budget, cleanEnv, freePortRun, KtrdrProcess, lastLines, pickTestPortRange, ProcessExitedError, STARTUP_MS, waitFor } from './processes.js';

const refusingWorker = () => new KtrdrProcess('bad-worker', ['worker', 'training'], cleanEnv({ KTRDR_WORKER_PORT: 'abc' }));

/** Far beyond the test's own timeout: a wait that ran until it would fail the test by vitest's timeout instead. */
const NEVER_MS = 10 * STARTUP_MS;

describe('waitFor tied to a process', () => {
  it('rejects as soon as the process exits, naming its exit code and its last output', { timeout: budget(STARTUP_MS) }, async () => {
    const worker = refusingWorker();
    const error = await waitFor('something that never happens', () => false, { timeoutMs: NEVER_MS, whileAlive: [worker] }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ProcessExitedError);
    expect((error as ProcessExitedError).exit).toEqual({ code: 1, signal: null });
    expect((error as Error).message).toContain('bad-worker exited (code 1) while waiting for something that never happens');
    expect((error as Error).message).toContain("KTRDR_WORKER_PORT: 'abc' is not a valid integer");
  });

  it('resolves when the condition was met just before the exit (all the output is read by then)', { timeout: budget(STARTUP_MS) }, async () => {
    const worker = refusingWorker();
    await worker.exited;
    const match = await worker.waitForOutput(/CONFIGURATION ERROR/, NEVER_MS);
    expect(match[0]).toBe('CONFIGURATION ERROR');
  });

  it('retries a probe that throws until it holds when no process is involved', async () => {
    let calls = 0;
    const value = await waitFor('the third call', () => {
      calls += 1;
      if (calls < 3) throw new Error('not yet');
      return calls;
    }, { intervalMs: 1 });
    expect(value).toBe(3);
  });
});

describe('lastLines', () => {
  it('keeps the last lines and says how many came before', () => {
    const output = Array.from({ length: 50 }, (_, index) => `line ${index + 1}`).join('\n');
    expect(lastLines(output, 2)).toBe('… (48 earlier lines)\nline 49\nline 50');
    expect(lastLines('one\ntwo\n', 5)).toBe('one\ntwo');
  });
});

describe('ports for test processes', () => {
  it('come from below the ephemeral range, where no outgoing connection takes them, and are free', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    for (let sample = 0; sample < 20; sample++) {
      const first = await freePortRun(3);
      expect(first).toBeGreaterThanOrEqual(10_000);
      expect(first + 2).toBeLessThan(low as number);
      expect(await Promise.all([first, first + 1, first + 2].map((port) => portIsFree(port)))).toEqual([true, true, true]);
    }
  });

  it('use the ports above the range when too few are below it, and every unprivileged port as a last resort', () => {
    expect(pickTestPortRange([32_768, 60_999])).toEqual([10_000, 32_767]);
    expect(pickTestPortRange([12_000, 50_000])).toEqual([50_001, 65_535]);
    expect(pickTestPortRange([1_024, 65_000])).toEqual([10_000, 65_535]);
  });
});
