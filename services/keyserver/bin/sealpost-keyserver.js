#!/usr/bin/env node
// `sealpost-keyserver`: the compiled key server (dist/main.js) under plain node, no tsx.
// `--help` lists the flags and KEYSERVER_* variables (main.ts prints them from start-config.ts).
// For installed packages: in the workspace the @sealpost/* exports point at .ts sources, so run
// src/main.ts with tsx there instead (npx tsx services/keyserver/src/main.ts).
await import('../dist/main.js');
