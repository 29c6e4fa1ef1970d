/** `@sealpost/devkit/services`: a local key server + relay, test clients of it, and an insider. */
export * from './local-services.ts';
export * from './test-client.ts';
export * from './insider.ts';
export * from './relay-process.ts';
export * from './relay-receiver.ts';
export * from './relay-cluster.ts';
export * from './measure.ts';
export * from './raw-http.ts';
export * from './tmpfs.ts';
export * from './key-rotation.ts';
