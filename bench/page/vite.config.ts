/**
 * Vite config of the benchmark page (bench/page), kept apart from the app's vite.config.ts so the
 * shipped app never contains the benchmark or TF.js. bench/browser.ts builds it into a temporary
 * folder and serves it with `vite preview`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Cross-origin isolation: SharedArrayBuffer for TF.js's multi-threaded wasm, fine-grained timers. */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  worker: { format: 'es' },
  // No minification: TF.js's threaded wasm worker is built from source text that minifiers break.
  build: { target: 'es2022', emptyOutDir: true, minify: false, chunkSizeWarningLimit: 8192 },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
});
