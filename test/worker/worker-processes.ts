/**
 * `ktrdr worker training` child processes and fake backends for one test file: both stopped after each test.
 * The CLI runs from dist/ (`npm test` builds it first).
 */
import { afterEach, beforeAll } from 'vitest';
import { assertBuilt, cleanEnv, KtrdrProcess, stopAll } from '../support/processes.js';
import { FakeBackend } from './fake-backend.js';
import { SECRET, tokens } from './harness.js';

export interface WorkerProcesses {
  /** A fake backend listening on an ephemeral port. */
  fakeBackend(): Promise<FakeBackend>;
  /** `ktrdr worker training` with the test secret and `env`. */
  worker(env: Record<string, string>): KtrdrProcess;
}

export function useWorkerProcesses(): WorkerProcesses {
  const processes: KtrdrProcess[] = [];
  const backends: FakeBackend[] = [];
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    await stopAll(processes.splice(0));
    await Promise.all(backends.splice(0).map((backend) => backend.stop()));
  });
  return {
    async fakeBackend() {
      const backend = new FakeBackend(tokens);
      await backend.start();
      backends.push(backend);
      return backend;
    },
    worker(env) {
      const child = new KtrdrProcess('worker', ['worker', 'training'], cleanEnv({ KTRDR_AUTH_JWT_SECRET: SECRET, ...env }));
      processes.push(child);
      return child;
    },
  };
}
