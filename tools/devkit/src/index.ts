/**
 * @sealpost/devkit — development infrastructure shared by the tests, the
 * benchmark, the demo and the chat script. Private: never published, never
 * imported by a shipped package (libsignal-client, which it wraps, is AGPL).
 *
 * Prefer the subpath entries, which load only what they need:
 *   `@sealpost/devkit/services`   startLocalServices, newTestClient, impersonate, RelayProcess
 *   `@sealpost/devkit/libsignal`  LibsignalPeer, LibsignalEndpoint, in-memory libsignal stores, fixed keys
 *   `@sealpost/devkit/ours`       OursPeer, OursEndpoint
 *   `@sealpost/devkit/prng`       SeededRandom (the one seeded PRNG)
 *   `@sealpost/devkit/vectors`    the vector runner, session vectors, the KEM-1024 table
 */
export * from './services.ts';
export * from './libsignal/index.ts';
export * from './ours/index.ts';
export * from './prng.ts';
export * from './vectors/index.ts';
