/**
 * GET /api/v1/config (the dashboard's Configuration page) against a real backend: the report main.ts gives, with
 * server directories shown as their setting's label, a cli token required; a backend built without a report says so.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from './support/harness.js';

const backends: TestBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.stop()));
});

describe('GET /api/v1/config', () => {
  it('answers the settings report, with no server directory in it, to a cli token only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-config-data-'));
    const b = await startTestBackend({
      dataDir,
      settingsReport: () => ({
        env: 'test',
        role: 'backend',
        settings: [
          {
            group: 'data',
            field: 'dir',
            env: 'KTRDR_DATA_DIR',
            deprecated_env: [],
            type: 'path',
            value: `${dataDir}/bars`,
            default: './data',
            source: 'env',
            source_name: 'KTRDR_DATA_DIR',
            source_file: null,
            secret: false,
            description: 'Where the CSV files are.',
          },
          {
            group: 'auth',
            field: 'jwtSecret',
            env: 'KTRDR_AUTH_JWT_SECRET',
            deprecated_env: [],
            type: 'secret',
            value: '********',
            default: '********',
            source: 'default',
            source_name: null,
            source_file: null,
            secret: true,
            description: 'The shared secret.',
          },
        ],
        warnings: ['KTRDR_AUTH_JWT_SECRET is the insecure default'],
        errors: [],
      }),
    });
    backends.push(b);
    const answer = await b.call('GET', '/config');
    expect(answer.status).toBe(200);
    expect(answer.body.settings).toHaveLength(2);
    expect(answer.body.settings[0].value).toBe('$KTRDR_DATA_DIR/bars');
    expect(JSON.stringify(answer.body)).not.toContain(dataDir);
    expect(answer.body.warnings).toEqual(['KTRDR_AUTH_JWT_SECRET is the insecure default']);
    expect((await b.call('GET', '/config', undefined, { authorization: '' })).status).toBe(401);
    expect((await b.as('worker', 'w1').call('GET', '/config')).status).toBe(403);
  });

  it('says there is no report when the backend was built without one', async () => {
    const b = await startTestBackend();
    backends.push(b);
    const answer = await b.call('GET', '/config');
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain('ktrdr backend');
  });
});
