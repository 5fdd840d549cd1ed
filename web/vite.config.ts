// The operator dashboard (web/), built by `npm run build` into dist/web and served by the backend at `/`.
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The bundle budget (≤ 250 KB gzipped) is reported by `npm run bench`; this only keeps Vite's warning meaningful.
    chunkSizeWarningLimit: 900,
    sourcemap: false,
    // Rolldown's note on plugin timings is about build speed on a busy machine, not about the output.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
