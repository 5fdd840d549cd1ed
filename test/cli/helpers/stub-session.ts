/**
 * A stub backend for one test file's CLI runs: started before the file, closed after it, its request log emptied
 * before each test; `env` points the CLI at it (with its secret, no retries, the insecure defaults acknowledged).
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { cleanEnv, runCli, type CliResult } from './run-cli.js';
import { STUB_SECRET, StubBackend } from './stub-backend.js';

export interface StubSession {
  /** The running stub (set once the file's beforeAll has run). */
  readonly stub: StubBackend;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Runs `ktrdr args` against the stub. */
  ktrdr(args: string[], extra?: Record<string, string>, options?: { cwd?: string }): Promise<CliResult>;
}

export function useStubBackend(): StubSession {
  let stub: StubBackend | null = null;
  beforeAll(async () => {
    stub = await new StubBackend().start();
  });
  afterAll(async () => {
    await stub?.close();
  });
  beforeEach(() => {
    if (stub) stub.requests.length = 0;
  });
  const session: StubSession = {
    get stub(): StubBackend {
      if (!stub) throw new Error('the stub backend starts in beforeAll: use it inside a test or hook');
      return stub;
    },
    env: (extra = {}) =>
      cleanEnv({
        KTRDR_API_CLIENT_BASE_URL: session.stub.baseUrl,
        KTRDR_AUTH_JWT_SECRET: STUB_SECRET,
        KTRDR_API_CLIENT_MAX_RETRIES: '0',
        KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true',
        ...extra,
      }),
    ktrdr: (args, extra = {}, options = {}) => runCli(args, session.env(extra), options),
  };
  return session;
}

/** The non-empty lines of a command's output. */
export const lines = (text: string): string[] => text.split('\n').filter((line) => line.length > 0);
