/**
 * `@sealpost/client/sqlite` — the SQLite store (better-sqlite3, Node). Kept
 * out of the package root so browser builds never see better-sqlite3.
 */
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite.ts';
export { MIGRATIONS } from './store/migrations.ts';
export { DATABASE_FILE_MODE, DATABASE_KEY_LENGTH } from './store/sqlite-open.ts';
