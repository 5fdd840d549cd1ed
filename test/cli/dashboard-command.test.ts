/**
 * `ktrdr dashboard`: the dashboard's URL at the root of the backend named by KTRDR_API_CLIENT_BASE_URL, with a cli
 * token (valid for the configured secret) in the fragment, which browsers never send to the server.
 */
import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { dashboardUrl } from '../../src/cli/commands/dashboard.js';
import { cleanEnv, runCli } from './helpers/run-cli.js';

describe('ktrdr dashboard', () => {
  it('puts the dashboard at the root of the API base URL and the token in the fragment', () => {
    expect(dashboardUrl('http://localhost:8000/api/v1', 'a.b.c')).toBe('http://localhost:8000/#token=a.b.c');
    expect(dashboardUrl('https://ktrdr.example:9443/api/v1/', 'a.b.c')).toBe('https://ktrdr.example:9443/#token=a.b.c');
    expect(dashboardUrl('http://10.0.0.5:8000/ktrdr/api/v1', 'x+y')).toBe('http://10.0.0.5:8000/ktrdr/#token=x%2By');
  });

  it('prints the URL with a fresh cli token signed with KTRDR_AUTH_JWT_SECRET', async () => {
    const secret = 'dashboard-command-test-secret-0123456789';
    const result = await runCli(['dashboard'], cleanEnv({ KTRDR_API_CLIENT_BASE_URL: 'http://127.0.0.1:8123/api/v1', KTRDR_AUTH_JWT_SECRET: secret }));
    expect(result.code, result.stderr).toBe(0);
    const match = /^http:\/\/127\.0\.0\.1:8123\/#token=(\S+)\n$/.exec(result.stdout);
    expect(match, result.stdout).not.toBeNull();
    const claims = await new TokenService(secret, 60).verifyHeader(`Bearer ${decodeURIComponent(match?.[1] ?? '')}`);
    expect(claims.role).toBe('cli');
  });
});
