/**
 * What package.json promises a fresh clone: `npm ci` builds (so `npx ktrdr` works at once) and installs no
 * benchmark-only peer; only bench/ may import one. `.ci/run` checks the same on a real `npm ci`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';

interface Manifest {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines: { node: string };
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
const optionalPeers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => manifest.peerDependenciesMeta?.[name]?.optional);

function sources(dir: string): string[] {
  return (readdirSync(join(REPO_ROOT, dir), { recursive: true }) as string[])
    .filter((path) => path.endsWith('.ts'))
    .map((path) => join(dir, path));
}

describe('package.json for a fresh clone', () => {
  it('names the Node version the code needs: util.parseEnv (the .env reader) came in 20.12', () => {
    expect(sources('src').some((path) => readFileSync(join(REPO_ROOT, path), 'utf8').includes('parseEnv'))).toBe(true);
    expect(manifest.engines.node).toBe('>=20.12');
    expect((lock.packages[''] as { engines?: { node?: string } }).engines?.node).toBe('>=20.12');
  });

  it('builds on install, so the ktrdr bin exists right after npm ci', () => {
    expect(manifest.scripts.prepare).toBe('npm run build');
    // tsc's type-checked output, bundled (rolldown.config.ts, docs/architecture.md §1.1).
    expect(manifest.bin.ktrdr).toBe('dist/cli/ktrdr.js');
    expect(manifest.scripts.build).toContain('tsconfig.build.json');
    expect(manifest.scripts.build).toContain('rolldown -c rolldown.config.ts');
  });

  it('keeps TensorFlow.js an optional peer: not a dependency, not in the lock file npm ci installs from', () => {
    expect(optionalPeers).toContain('@tensorflow/tfjs');
    for (const name of optionalPeers) {
      expect(manifest.dependencies).not.toHaveProperty(name);
      expect(manifest.devDependencies).not.toHaveProperty(name);
      expect(Object.keys(lock.packages)).not.toContain(`node_modules/${name}`);
    }
  });

  it('lets only bench/ import an optional peer', () => {
    const importers = [...sources('src'), ...sources('test')].filter((path) => {
      const text = readFileSync(join(REPO_ROOT, path), 'utf8');
      return optionalPeers.some((name) => new RegExp(`from '${name}|import\\('${name}`).test(text));
    });
    expect(importers).toEqual([]);
  });
});
