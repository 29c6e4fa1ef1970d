/**
 * Secrets at rest (issue 11 item 16): the client's SQLite file and its WAL
 * and shared-memory files are 0600 whatever the umask, and with an
 * app-supplied key the file is encrypted (SQLCipher v4 format through
 * better-sqlite3-multiple-ciphers): no SQLite header, no plaintext on disk,
 * a wrong key is a typed error, the right key reopens the data.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { ClientError } from '../src/errors.ts';
import { SqliteStore } from '../src/sqlite.ts';
import type { RegisteredAccount } from '../src/store/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-at-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const CANARY = 'canary-plaintext-7f3a9c';
const mode = (file: string) => statSync(file).mode & 0o777;

function account(): RegisteredAccount {
  const identity = generateIdentityKeyPair();
  return {
    identityPrivateKey: identity.privateKey,
    identityPublicKey: identity.publicKey,
    registrationId: 4242,
    account: '6a1f8f0e-6a2b-4f55-9a0a-0b7d9e1f2c3d',
    device: 1,
    deviceSecret: Buffer.from(CANARY).toString('base64'),
    profileKey: randomBytes(32),
  };
}

/** Runs `fn` with the process umask set to `mask` (vitest runs this file in a forked process). */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

function expectStoreKeyError(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ClientError);
  expect((error as ClientError).code).toBe('STORE_KEY');
}

describe('client store files', () => {
  it('creates the database, -wal and -shm with mode 0600 even under umask 000', async () => {
    const path = join(dir, 'modes.db');
    await withUmask(0o000, async () => {
      const store = new SqliteStore(path);
      await store.settings.set('k', 'v');
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(f), f).toBe(true);
        expect(mode(f).toString(8), f).toBe('600');
      }
      await store.close();
    });
  });

  it('tightens a database (and WAL) that an older version left world-readable', async () => {
    const path = join(dir, 'old.db');
    await withUmask(0o000, async () => {
      const old = new Database(path);
      old.pragma('journal_mode = WAL');
      old.exec('CREATE TABLE t (x)');
      chmodSync(path, 0o644);
      expect(mode(path).toString(8)).toBe('644');
      chmodSync(`${path}-wal`, 0o644);
      const store = new SqliteStore(path);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f).toString(8), f).toBe('600');
      await store.close();
      old.close();
    });
  });
});

describe('client store encryption at rest', () => {
  it('keeps no SQLite header and no plaintext on disk; the right key reopens it; a wrong key is STORE_KEY', async () => {
    const path = join(dir, 'encrypted.db');
    const key = randomBytes(32);
    const local = account();
    const store = new SqliteStore(path, { encryptionKey: key });
    await store.identities.setLocalAccount(local);
    await store.settings.set('note', CANARY);
    const secretHex = Buffer.from(local.identityPrivateKey).toString('hex');
    // While open (committed pages in the WAL) and after close (checkpointed into the file).
    const check = () => {
      for (const f of [path, `${path}-wal`].filter(existsSync)) {
        const bytes = readFileSync(f);
        expect(bytes.subarray(0, 16).equals(SQLITE_HEADER), f).toBe(false);
        expect(bytes.includes(CANARY), f).toBe(false);
        expect(bytes.includes(Buffer.from(local.identityPrivateKey)), f).toBe(false);
        expect(bytes.toString('hex').includes(secretHex), f).toBe(false);
      }
    };
    expect(readFileSync(`${path}-wal`).length).toBeGreaterThan(0);
    check();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f).toString(8), f).toBe('600');
    await store.close();
    check();

    expectStoreKeyError(() => new SqliteStore(path, { encryptionKey: randomBytes(32) }));
    expectStoreKeyError(() => new SqliteStore(path));
    expectStoreKeyError(() => new SqliteStore(path, { encryptionKey: randomBytes(31) }));

    const reopened = new SqliteStore(path, { encryptionKey: key });
    expect(await reopened.settings.get('note')).toBe(CANARY);
    const back = await reopened.identities.localAccount();
    expect(back?.account).toBe(local.account);
    expect(Buffer.from(back!.identityPrivateKey).equals(Buffer.from(local.identityPrivateKey))).toBe(true);
    await reopened.close();
  });

  it('the plain store keeps working beside it, and a plain file opened with a key is STORE_KEY', async () => {
    const path = join(dir, 'plain.db');
    const store = new SqliteStore(path);
    await store.settings.set('note', CANARY);
    await store.close();
    expect(readFileSync(path).subarray(0, 16).equals(SQLITE_HEADER)).toBe(true);
    expectStoreKeyError(() => new SqliteStore(path, { encryptionKey: randomBytes(32) }));
    const again = new SqliteStore(path);
    expect(await again.settings.get('note')).toBe(CANARY);
    await again.close();
  });
});
