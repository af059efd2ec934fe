import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) unlocks SharedArrayBuffer (multi-threaded WASM) and
 * full-resolution performance.now() for timings. Orchard loads nothing cross-origin, so it costs
 * nothing; any static host serving dist/ should send the same two headers.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // Workers are module workers (`new Worker(url, { type: 'module' })`), bundled as ES modules.
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
});
