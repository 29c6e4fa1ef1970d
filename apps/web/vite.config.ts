/**
 * The page's bundle: plain browser code, no Node polyfills. Vite resolves
 * with the `browser` condition, so `@sealpost/protocol` picks its web
 * primitives backend (@noble/* and WebCrypto randomness). Anything that
 * reaches for a Node built-in (which Vite would quietly swap for an empty
 * stub) fails the build.
 */
import { defineConfig } from 'vite';

const externalized: string[] = [];

export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    // One chunk: the client and protocol are loaded at start anyway.
    chunkSizeWarningLimit: 2048,
    rolldownOptions: {
      onwarn(warning, handle) {
        if (/externalized for browser compatibility/.test(warning.message)) externalized.push(warning.message);
        handle(warning);
      },
    },
  },
  plugins: [
    {
      name: 'sealpost-no-node-builtins',
      generateBundle() {
        if (externalized.length > 0) this.error(`the page must not need Node built-ins:\n${externalized.join('\n')}`);
      },
    },
  ],
});
