/** How long it takes to resolve and validate every setting, in-process and as a command. */
import { fileURLToPath } from 'node:url';
import { inspect } from '../src/config/inspect.js';
import { loadSources } from '../src/settings-engine/index.js';
import { fmt, median, timeCommand, timeRuns } from './stats.js';

export function settingsBench(): void {
  const env = { ...process.env, KTRDR_WORKER_PORT: '5010', WORKER_ID: 'bench', KTRDR_ACKNOWLEDGE_INSECURE_DEFAULTS: 'true' };
  const sources = loadSources({ env });
  const resolveOnly = timeRuns(() => inspect('all', sources), 2000);
  const withSources = timeRuns(() => inspect('all', loadSources({ env })), 2000);
  console.log('settings: resolve + validate every group in-process (median of 2000)');
  console.log(`  from a sources snapshot        ${fmt(median(resolveOnly))}`);
  console.log(`  reading env + .env.local too   ${fmt(median(withSources))}`);

  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const runs = 15;
  const bare = timeCommand(['-e', '0'], runs, env);
  const check = timeCommand([cli, 'config', 'check', '--role', 'all'], runs, env);
  console.log(`settings: wall time of a process (median of ${runs})`);
  console.log(`  node -e 0                      ${fmt(median(bare))}`);
  console.log(`  ktrdr config check             ${fmt(median(check))}  (+${fmt(median(check) - median(bare))} over bare node)`);
}
