/**
 * Benchmark-only peers: libraries a benchmark measures us against and nothing else uses. They are optional peer
 * dependencies in package.json, so `npm ci` does not install them (TensorFlow.js alone is ~270 MB); the first
 * benchmark that needs one installs it into `.bench-peers/` (git-ignored, outside node_modules, so `npm ci` keeps it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Compiled to dist/bench/, so the repository is two levels up. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_PEERS_DIR = join(REPO_ROOT, '.bench-peers');

/** The range package.json accepts for an optional peer. */
function peerRange(name: string): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  const range = manifest.peerDependencies?.[name];
  if (!range || !manifest.peerDependenciesMeta?.[name]?.optional) {
    throw new Error(`${name} is not an optional peer dependency in package.json: add it to peerDependencies and peerDependenciesMeta`);
  }
  return range;
}

/** Where Node finds the peer: the project's own node_modules first (a developer may have installed it), then `.bench-peers/`. */
function resolvePeer(name: string): string | null {
  for (const base of [join(REPO_ROOT, 'package.json'), join(BENCH_PEERS_DIR, 'package.json')]) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not installed there
    }
  }
  return null;
}

/**
 * Where a peer just installed into `.bench-peers/` resolves, asked of a new Node process: this one remembers that
 * the package was missing when it first looked (Node caches package.json lookups), and would keep failing.
 */
function resolveInFreshProcess(name: string): string | null {
  const lookup = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(require("node:module").createRequire(process.argv[1]).resolve(process.argv[2]))', join(BENCH_PEERS_DIR, 'package.json'), name],
    { encoding: 'utf8' },
  );
  return lookup.status === 0 && lookup.stdout ? lookup.stdout : null;
}

/**
 * Resolves an optional peer to its entry file, installing it into `.bench-peers/` on first use (never touching the
 * project's node_modules or lock file). `.bench-peers/package.json` lists what was installed there, so installing one
 * peer does not prune another. Returns null, after saying why, when it is missing and cannot be installed (offline,
 * or KTRDR_BENCH_NO_INSTALL=1): the benchmark then prints its own figures without the comparison. Child processes
 * that need the peer get this path (they cannot find `.bench-peers/` by themselves).
 */
export function resolveBenchPeer(name: string): string | null {
  const range = peerRange(name);
  let resolved = resolvePeer(name);
  if (!resolved) {
    const spec = `${name}@${range}`;
    const manual = `npm install --prefix .bench-peers ${spec}`;
    if (process.env.KTRDR_BENCH_NO_INSTALL === '1') {
      console.log(`  (${name} is missing and KTRDR_BENCH_NO_INSTALL=1: skipping the comparison; install it with \`${manual}\`)`);
      return null;
    }
    console.log(`  installing the benchmark peer ${spec} into .bench-peers/ (once; not part of npm ci) …`);
    mkdirSync(BENCH_PEERS_DIR, { recursive: true });
    const manifest = join(BENCH_PEERS_DIR, 'package.json');
    if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ private: true, description: 'ktrdr benchmark peers (npm run bench)' }, null, 2)}\n`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const install = spawnSync(npm, ['install', '--save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', BENCH_PEERS_DIR, spec], {
      stdio: 'inherit',
    });
    resolved = install.status === 0 ? resolveInFreshProcess(name) : null;
    if (!resolved) {
      console.log(`  (${name} could not be installed (npm exit ${install.status ?? install.signal}): skipping the comparison; try \`${manual}\`)`);
      return null;
    }
  }
  return resolved;
}

/** Loads an optional peer (see resolveBenchPeer); null when it is missing and cannot be installed. */
export async function loadBenchPeer(name: string): Promise<unknown> {
  const resolved = resolveBenchPeer(name);
  return resolved ? import(pathToFileURL(resolved).href) : null;
}
