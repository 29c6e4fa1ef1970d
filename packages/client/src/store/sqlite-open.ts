/**
 * Opening the client's SQLite file: private file modes and, optionally,
 * at-rest encryption.
 *
 * The file holds the identity private key, the device secret and the
 * history, so it, its `-wal` and `-shm` files are mode 0600 whatever the
 * process umask: the database file is created (or an existing one
 * tightened) with an explicit mode before SQLite opens it, and the WAL and
 * shared-memory files are chmod-ed once SQLite has created them (SQLite
 * already gives them the database file's mode; the chmod makes it hold
 * even for files an older version left behind).
 *
 * Encryption (`encryptionKey`, 32 bytes the app supplies, e.g. from the OS
 * keychain) uses better-sqlite3-multiple-ciphers (SQLite3MultipleCiphers)
 * in its SQLCipher v4 scheme — AES-256-CBC pages with HMAC-SHA512, the
 * format SQLCipher tools read — with the key given raw (`x'…'`), so no
 * passphrase KDF runs at open. That binding is an optional dependency,
 * loaded only on this path: the plain better-sqlite3 store never needs it.
 * A wrong key (or an encrypted file opened without one) fails at open with
 * `ClientError('STORE_KEY')`.
 */
import { chmodSync, closeSync, constants, existsSync, fchmodSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { ClientError } from '../errors.ts';

/** The file mode of the database and its companions. */
export const DATABASE_FILE_MODE = 0o600;
/** Length of an at-rest encryption key, bytes. */
export const DATABASE_KEY_LENGTH = 32;
const CIPHER_MODULE = 'better-sqlite3-multiple-ciphers';

/** What `openClientDatabase` takes. */
export interface DatabaseOpenOptions {
  /** 32-byte key: encrypt the file at rest (SQLCipher v4 format). Absent: a plain SQLite file. */
  encryptionKey?: Uint8Array | undefined;
}

/** True for a path that names a file on disk (not `:memory:`, a temporary database or a URI). */
function isFilePath(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/** Creates `path` if absent and sets mode 0600 on it (an existing file is tightened too). */
function restrictFile(path: string, create: boolean): void {
  if (!create && !existsSync(path)) return;
  const fd = openSync(path, constants.O_RDWR | (create ? constants.O_CREAT : 0), DATABASE_FILE_MODE);
  try {
    fchmodSync(fd, DATABASE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Sets mode 0600 on the database's `-wal`, `-shm` and `-journal` files that exist now. */
export function restrictCompanionFiles(path: string): void {
  if (!isFilePath(path)) return;
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      chmodSync(path + suffix, DATABASE_FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

let cipherDatabase: typeof Database | undefined;

function loadCipherDatabase(): typeof Database {
  if (cipherDatabase !== undefined) return cipherDatabase;
  try {
    cipherDatabase = createRequire(import.meta.url)(CIPHER_MODULE) as typeof Database;
  } catch (e) {
    throw new ClientError('STORE_ENCRYPTION_UNAVAILABLE', `an encrypted store needs the optional dependency ${CIPHER_MODULE}, which could not be loaded`, { cause: e });
  }
  return cipherDatabase;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Opens (creating if needed) the database at `path` with private file modes, keyed when asked. */
export function openClientDatabase(path: string, options: DatabaseOpenOptions = {}): Database.Database {
  const key = options.encryptionKey;
  if (key !== undefined && (!(key instanceof Uint8Array) || key.length !== DATABASE_KEY_LENGTH)) {
    throw new ClientError('STORE_KEY', `the store encryption key must be ${DATABASE_KEY_LENGTH} bytes`);
  }
  if (isFilePath(path)) restrictFile(path, true);
  const db = key === undefined ? new Database(path) : new (loadCipherDatabase())(path);
  try {
    if (key !== undefined) {
      db.pragma("cipher = 'sqlcipher'");
      db.pragma('legacy = 4');
      db.pragma(`key = "x'${hex(key)}'"`);
    }
    // The first read of the schema is where a wrong key (or a non-database file) shows.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    db.close();
    if ((e as { code?: unknown }).code === 'SQLITE_NOTADB') {
      throw new ClientError('STORE_KEY', key === undefined ? 'the store file is not a plain SQLite database (encrypted? pass its encryptionKey)' : 'the store encryption key is wrong, or the file is not a Sealpost database', { cause: e });
    }
    throw e;
  }
  return db;
}
