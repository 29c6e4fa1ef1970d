/** Client stores: one interface, SQLite and in-memory implementations. */
export * from './types.ts';
export { MemoryStore } from './memory.ts';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { MIGRATIONS } from './migrations.ts';
