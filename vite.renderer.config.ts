// Builds the renderer (src-renderer) into dist-renderer/, which `ich serve` serves. A relative base, so the
// assets resolve wherever the page is served from.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist-renderer', import.meta.url)),
    emptyOutDir: true,
    // The wado loader bundle (codecs as embedded wasm) is one large chunk by design.
    chunkSizeWarningLimit: 4096,
  },
});
