/**
 * The `ktrdr` bin: tsc's type-checked output (dist/src/cli/main.js) bundled with its dependencies into dist/cli/.
 * A worker's start was mostly Node resolving, reading and compiling ~370 small files (zod alone is 95, Fastify and
 * its dependencies about 100); in a few chunks it costs about 40 % less CPU (docs/architecture.md §1.1, README).
 * Code splitting keeps every `await import()` a chunk of its own, loaded when it runs.
 *
 * dist/cli/modules.json lists the modules in each chunk, so that test/cli/lazy-loading.test.ts can still tell which
 * modules (by their dist/src/ and node_modules/ paths) a process loaded.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Plugin } from 'rolldown';

/**
 * Left to Node's own loader, as installed in node_modules:
 * - packages that find files of their own beside their code (PGlite's WebAssembly and data files, the Swagger UI's
 *   and @fastify/static's assets) or load optional native code (pg);
 * - libraries only the backend loads, whose start is not what the bundle is for: prom-client (its /metrics) and
 *   OpenTelemetry (only with telemetry on);
 * - cli-progress, which render/progress.ts requires through createRequire;
 * - Fastify's default schema compilers, which its code requires but never calls with the zod compilers set
 *   (src/http/create-server.ts): bundled they would be parsed at every start, external they load only if called,
 *   and then the lazy-loading test sees them.
 */
const EXTERNAL = [
  '@electric-sql/pglite',
  'pg',
  '@fastify/static',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@opentelemetry/',
  'prom-client',
  'cli-progress',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'ajv',
];

function isExternal(id: string): boolean {
  return EXTERNAL.some((name) => (name.endsWith('/') ? id.startsWith(name) : id === name || id.startsWith(`${name}/`)));
}

/** dist/cli/modules.json: each chunk's modules, as paths relative to the package (dist/src/…, node_modules/…). */
function moduleMap(): Plugin {
  return {
    name: 'ktrdr-module-map',
    generateBundle(_options, bundle) {
      const root = `${process.cwd()}/`;
      const map: Record<string, string[]> = {};
      for (const [file, output] of Object.entries(bundle)) {
        if (output.type === 'chunk') map[file] = output.moduleIds.map((id) => (id.startsWith(root) ? id.slice(root.length) : id));
      }
      this.emitFile({ type: 'asset', fileName: 'modules.json', source: `${JSON.stringify(map, null, 1)}\n` });
    },
  };
}

/**
 * The entry is written anew on each build, without the executable bit npm gives the bins of installed packages:
 * `npx ktrdr` in this repository runs the file itself, so the build sets the bit (as `chmod 755`).
 */
function executableEntry(): Plugin {
  return {
    name: 'ktrdr-executable-entry',
    writeBundle(options, bundle) {
      for (const [file, output] of Object.entries(bundle)) {
        if (output.type === 'chunk' && output.isEntry) chmodSync(join(options.dir ?? '.', file), 0o755);
      }
    },
  };
}

export default defineConfig({
  input: { ktrdr: 'dist/src/cli/main.js' },
  platform: 'node',
  external: isExternal,
  plugins: [moduleMap(), executableEntry()],
  // Rolldown's note on plugin timings is about build speed on a busy machine, not about the output.
  checks: { pluginTimings: false },
  output: {
    dir: 'dist/cli',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    cleanDir: true,
    sourcemap: false,
  },
});
