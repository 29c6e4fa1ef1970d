/** Client stores: the role interfaces and the in-memory implementation (SQLite: `@sealpost/client/sqlite`). */
export * from './types.ts';
export { MemoryStore } from './memory.ts';
export { SerialQueue } from './serial.ts';
