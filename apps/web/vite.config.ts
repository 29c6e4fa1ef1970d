/**
 * The page's bundle: plain browser code, no Node polyfills. Vite resolves
 * with the `browser` condition, so `@sealpost/protocol` picks its web
 * primitives backend (@noble/* and WebCrypto randomness).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    // One chunk: the client and protocol are loaded at start anyway.
    chunkSizeWarningLimit: 2048,
  },
});
