/**
 * Where ktrdr's own files are (package.json, the dashboard's dist/web, the `ktrdr` entry), found by walking up to
 * package.json instead of by a fixed number of `..`: the same module runs from src/ (tests), from dist/src/ (tsc's
 * output: `npm run demo`, the benchmarks) and from dist/cli/ (the bundle the `ktrdr` bin runs, docs/architecture.md
 * §1.1), each at another depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageManifest {
  readonly version: string;
  readonly bin: { readonly ktrdr: string };
}

let root: string | undefined;
let manifest: PackageManifest | undefined;

/** The directory holding ktrdr's package.json (the filesystem root if there is none above this module). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (root = dir);
}

/** ktrdr's package.json (read once; throws when it is missing or not JSON). */
export function packageManifest(): PackageManifest {
  return (manifest ??= JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as PackageManifest);
}

/**
 * The script the `ktrdr` bin runs (package.json's `bin`): what `ktrdr up` starts its children with and `up --detach`
 * restarts itself with, so that every ktrdr process runs the same shipped artefact.
 */
export function cliEntry(): string {
  return join(packageRoot(), packageManifest().bin.ktrdr);
}
