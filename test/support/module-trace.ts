/**
 * Which modules a child process loaded, without timing anything: the child runs with an `--import` preload that
 * registers a module `load` hook (Node ≥ 20.6) writing each loaded ES module's URL to a file, and at exit appends
 * CommonJS modules from `require.cache` (a CommonJS package's own `require()`s do not pass through the ES hooks
 * on Node 20). Used to guard what the CLI and the workers load lazily (docs/architecture.md §1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The variable naming the file the traced child appends module URLs to (not KTRDR_: the settings would flag it). */
export const TRACE_FILE_VARIABLE = 'MODULE_TRACE_FILE';

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  appendFileSync(process.env.${TRACE_FILE_VARIABLE}, url + '\\n');
  return result;
}
`;

const PRELOAD = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));
const cache = createRequire(process.cwd() + '/').cache;
process.on('exit', () => {
  const urls = Object.keys(cache).map((path) => pathToFileURL(path).href);
  appendFileSync(process.env.${TRACE_FILE_VARIABLE}, urls.join('\\n') + '\\n');
});
`;

/** Variables that make a node child trace the modules it loads into `traceFile` (the preload goes in NODE_OPTIONS). */
export function traceEnv(traceFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(PRELOAD)}`, [TRACE_FILE_VARIABLE]: traceFile };
}

/** Where the bundle the `ktrdr` bin runs lies, and the map of its chunks' modules (rolldown.config.ts). */
const BUNDLE_DIR = 'dist/cli/';
const BUNDLE_MAP = 'modules.json';

/**
 * The modules of a traced run, as paths relative to `root` for files under it (`dist/src/cli/main.js`,
 * `node_modules/zod/…`) and as URLs otherwise (`node:fs`, `data:…`); each once. A chunk of the bundle in dist/cli/
 * counts as every module rolldown put in it (its tsc output under dist/src/, its packages' files under
 * node_modules/), besides itself: loading a chunk parses all of them, so the rules about what loads still hold.
 */
export function readTrace(traceFile: string, root: string): string[] {
  if (!existsSync(traceFile)) return [];
  const rootUrl = pathToFileURL(join(root, '/')).href;
  const mapFile = join(root, BUNDLE_DIR, BUNDLE_MAP);
  const chunks = existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as Record<string, string[]>) : {};
  const seen = new Set<string>();
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const module = line.startsWith(rootUrl) ? line.slice(rootUrl.length) : line;
    seen.add(module);
    if (module.startsWith(BUNDLE_DIR)) for (const inner of chunks[module.slice(BUNDLE_DIR.length)] ?? []) seen.add(inner);
  }
  return [...seen];
}

/** The npm packages among `modules` (`fastify`, `@fastify/ajv-compiler`, …). */
export function packagesOf(modules: readonly string[]): string[] {
  const packages = new Set<string>();
  for (const module of modules) {
    // The innermost node_modules names the package (a nested dependency is its own package).
    const matches = [...module.matchAll(/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//g)];
    const last = matches.at(-1);
    if (last) packages.add(last[1] as string);
  }
  return [...packages].sort();
}
