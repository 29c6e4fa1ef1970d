/**
 * `KeyStore` on better-sqlite3 (WAL). better-sqlite3 is synchronous, so each
 * operation below runs start to finish without interleaving inside this
 * process; multi-row changes also run in `BEGIN IMMEDIATE` transactions so
 * that several processes sharing the file stay consistent too. The methods
 * return Promises because the interface is shaped for asynchronous
 * databases; here they settle at once, except `takeBundles`, which waits
 * for the end of the event-loop turn to commit with the fetches queued in
 * the same turn (bundle-batcher.ts). One-time keys are handed out by
 * bundle-claims.ts; read caches are read-caches.ts.
 *
 * The caches make one `SqliteKeyStore` the only writer of its file: run one
 * key server process per SQLite database (several processes on one file
 * would still never hand out a one-time key twice — that is the DELETE —
 * but could serve a just-replaced signed prekey until their caches turn
 * over). Edits made directly through `db` bypass the caches; call
 * `clearCaches()` after them.
 */
import type Database from 'better-sqlite3';
import { equalBytes } from '@sealpost/protocol/primitives';
import { BundleBatcher } from './bundle-batcher.ts';
import { BundleClaims } from './bundle-claims.ts';
import {
  MAX_DEVICE_ID,
  PRIMARY_DEVICE_ID,
  type AddCodeResult,
  type BundleRequest,
  type DeviceBundle,
  type DeviceCredentials,
  type DeviceInfo,
  type EcPreKey,
  type InitialKeys,
  type KeyStore,
  type KeyUpload,
  type LinkResult,
  type NewAccount,
  type NewLinkedDevice,
  type OneTimeKeyStock,
  type SignedKeyKind,
  type SignedKeyRecord,
  type SignedPreKey,
  type StoreKeysResult,
} from './key-store.ts';
import { KeyReadCaches } from './read-caches.ts';
import { schemaVersion } from '@sealpost/service-kit/sqlite-migrations';
import { MIGRATIONS } from './migrations.ts';
import { openKeyDatabase, prepareStatements, signedKey, type SignedRow, type Statements } from './sqlite-statements.ts';

export { MAX_DEVICE_ID, PRIMARY_DEVICE_ID } from './key-store.ts';

/** Tunables of `SqliteKeyStore`. */
export interface SqliteKeyStoreOptions {
  /** How long a device is remembered as out of one-time keys (default 1000 ms); an upload through this store clears it at once. */
  drainedTtlMs?: number;
  /** Most bundle fetches committed in one transaction (default 256). */
  maxBundleBatch?: number;
}

/** Thrown inside a transaction to roll it back with a typed outcome. */
class Rollback<T> {
  constructor(readonly result: T) {}
}

/** Runs `fn` in an immediate transaction; a thrown `Rollback` undoes it and becomes the result. */
function atomically<T>(db: Database.Database, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (e) {
    if (e instanceof Rollback) return e.result as T;
    throw e;
  }
}

/** SQLite-backed key store. `path` is a file path or ':memory:'. */
export class SqliteKeyStore implements KeyStore {
  /** The database handle (exposed for operations tooling and tests). */
  readonly db: Database.Database;
  private readonly s: Statements;
  private readonly caches: KeyReadCaches;
  private readonly claims: BundleClaims;
  private readonly batcher: BundleBatcher;

  constructor(path: string, options: SqliteKeyStoreOptions = {}) {
    this.db = openKeyDatabase(path);
    this.s = prepareStatements(this.db);
    this.caches = new KeyReadCaches(this.s);
    this.claims = new BundleClaims(this.db, this.s, this.caches, options.drainedTtlMs ?? 1000);
    this.batcher = new BundleBatcher({ takeBundlesMany: (requests) => this.claims.take(requests) }, options.maxBundleBatch);
    // Material of keys handed out just before a crash (never flushed) goes now.
    this.s.sweepMaterial.run();
  }

  async createAccount(a: NewAccount): Promise<boolean> {
    return atomically(this.db, () => {
      // A deleted account's id is never issued again.
      if (this.s.tombstone.get(a.accountId) !== undefined) return false;
      if (this.s.insertAccount.run(a.accountId, a.identityKey, a.now).changes !== 1) return false;
      this.s.insertDevice.run(a.accountId, PRIMARY_DEVICE_ID, a.registrationId, a.secretHash, a.now);
      this.storeInitialKeys(a.accountId, PRIMARY_DEVICE_ID, a.initialKeys, a.now);
      // Crash-safe: the sequencer logs whatever is in kt_pending, however long after.
      if (a.ktUpdate !== undefined) this.s.insertKtPending.run(a.ktUpdate.label, a.ktUpdate.value, a.now);
      return true;
    });
  }

  async identityKey(accountId: string): Promise<Uint8Array | undefined> {
    return this.caches.identityKey(accountId);
  }

  async deviceCredentials(accountId: string, deviceId: number): Promise<DeviceCredentials | undefined> {
    return this.caches.deviceCredentials(accountId, deviceId);
  }

  async listDevices(accountId: string): Promise<DeviceInfo[] | undefined> {
    const rows = this.s.devices.all(accountId) as { device_id: number; registration_id: number; created_at: number }[];
    if (rows.length === 0 && this.s.accountExists.get(accountId) === undefined) return undefined;
    return rows.map((r) => ({ deviceId: r.device_id, registrationId: r.registration_id, createdAt: r.created_at }));
  }

  async addProvisioningCode(accountId: string, codeHash: Uint8Array, expiresAt: number, now: number, maxOutstanding: number): Promise<AddCodeResult> {
    return atomically(this.db, (): AddCodeResult => {
      if ((this.s.countCodes.get(accountId, now) as number) >= maxOutstanding) {
        return { ok: false, reason: 'TOO_MANY_CODES', oldestExpiresAt: this.s.oldestCodeExpiry.get(accountId, now) as number };
      }
      this.s.insertCode.run(codeHash, accountId, expiresAt);
      return { ok: true };
    });
  }

  async provisioningCodeAccount(codeHash: Uint8Array, now: number): Promise<string | undefined> {
    return this.s.peekCode.get(codeHash, now) as string | undefined;
  }

  async linkDevice(d: NewLinkedDevice): Promise<LinkResult> {
    return atomically(this.db, (): LinkResult => {
      const code = this.s.takeCode.get(d.codeHash) as { account_id: string; expires_at: number } | undefined;
      // An expired code is deleted (committed) and reported like an unknown one.
      if (code === undefined || code.expires_at <= d.now) return { ok: false, reason: 'UNKNOWN_CODE' };
      const count = (this.s.deviceIds.all(code.account_id) as number[]).length;
      // Roll back so the code survives: the user can remove a device and retry.
      if (count >= d.maxDevices) throw new Rollback<LinkResult>({ ok: false, reason: 'DEVICE_LIMIT' });
      // Never the id of a removed device: its old credentials, certificates and
      // sessions at contacts must never name the new one.
      const deviceId = this.s.nextDeviceId.get(code.account_id) as number;
      if (deviceId > MAX_DEVICE_ID) throw new Rollback<LinkResult>({ ok: false, reason: 'DEVICE_IDS_EXHAUSTED' });
      this.s.setNextDeviceId.run(deviceId + 1, code.account_id);
      this.s.insertDevice.run(code.account_id, deviceId, d.registrationId, d.secretHash, d.now);
      this.forgetDevice(code.account_id, deviceId);
      this.storeInitialKeys(code.account_id, deviceId, d.initialKeys, d.now);
      return { ok: true, accountId: code.account_id, deviceId };
    });
  }

  async removeDevice(accountId: string, deviceId: number): Promise<boolean> {
    // ON DELETE CASCADE takes the device's prekeys with it; their material first.
    const removed = atomically(this.db, () => {
      this.s.deleteDeviceMaterial.run(accountId, deviceId);
      return this.s.deleteDevice.run(accountId, deviceId).changes === 1;
    });
    this.forgetDevice(accountId, deviceId);
    return removed;
  }

  async deleteAccount(accountId: string, now: number): Promise<number | undefined> {
    const deviceIds = this.s.deviceIds.all(accountId) as number[];
    const deleted = atomically(this.db, () => {
      this.s.deleteAccountMaterial.run(accountId);
      // Signed keys cascade from their devices; deleted explicitly too so no orphan can survive.
      this.s.deleteAccountSigned.run(accountId);
      if (this.s.deleteAccount.run(accountId).changes !== 1) return false;
      this.s.insertTombstone.run(accountId, now);
      return true;
    });
    this.caches.forgetAccount(accountId);
    for (const id of deviceIds) this.forgetDevice(accountId, id);
    return deleted ? deviceIds.length : undefined;
  }

  async accountDeleted(accountId: string): Promise<boolean> {
    return this.s.tombstone.get(accountId) !== undefined;
  }

  async storeKeys(accountId: string, deviceId: number, upload: KeyUpload, now: number, maxOneTimeKeys: number): Promise<StoreKeysResult> {
    // Dropped whatever the outcome; the next read reloads from the table.
    this.forgetDevice(accountId, deviceId);
    return atomically(this.db, (): StoreKeysResult => {
      const oneTime: [SignedKeyKind, (EcPreKey & { signature?: Uint8Array })[] | undefined][] = [
        ['ec', upload.preKeys],
        ['kyber', upload.pqPreKeys],
      ];
      for (const [kind, keys] of oneTime) {
        if (keys === undefined || keys.length === 0) continue;
        const duplicates = keys.filter((k) => this.s.oneTimeExists.get(accountId, deviceId, kind, k.keyId) !== undefined).map((k) => k.keyId);
        if (duplicates.length > 0) throw new Rollback<StoreKeysResult>({ ok: false, reason: 'DUPLICATE_KEY_ID', kind, keyIds: duplicates });
        const count = this.s.countOneTime.get(accountId, deviceId, kind) as number;
        if (count + keys.length > maxOneTimeKeys) throw new Rollback<StoreKeysResult>({ ok: false, reason: 'TOO_MANY_KEYS', kind, limit: maxOneTimeKeys });
        for (const k of keys) {
          const materialId = this.s.insertMaterial.run(k.publicKey, k.signature ?? null).lastInsertRowid;
          this.s.insertOneTime.run(accountId, deviceId, kind, k.keyId, materialId);
        }
      }
      this.storeInitialKeys(accountId, deviceId, upload, now);
      return { ok: true };
    });
  }

  /** Makes the given long-lived keys current (inside the caller's transaction). */
  private storeInitialKeys(accountId: string, deviceId: number, keys: InitialKeys | undefined, now: number): void {
    const signed: [SignedKeyKind, SignedPreKey | undefined][] = [
      ['ec', keys?.signedPreKey],
      ['kyber', keys?.pqLastResortPreKey],
    ];
    for (const [kind, key] of signed) {
      if (key === undefined) continue;
      const current = this.s.currentSigned.get(accountId, deviceId, kind) as SignedRow | undefined;
      // Re-uploading the current key unchanged is a no-op, not a rotation.
      if (current !== undefined && current.key_id === key.keyId && equalBytes(current.public_key, key.publicKey) && equalBytes(current.signature, key.signature)) {
        continue;
      }
      this.s.retireSigned.run(now, accountId, deviceId, kind);
      this.s.insertSigned.run(accountId, deviceId, kind, key.keyId, key.publicKey, key.signature, now);
    }
  }

  async storedOneTimeKeyIds(accountId: string, deviceId: number, kind: SignedKeyKind, keyIds: readonly number[]): Promise<number[]> {
    return keyIds.filter((id) => this.s.oneTimeExists.get(accountId, deviceId, kind, id) !== undefined);
  }

  async countOneTimeKeys(accountId: string, deviceId: number): Promise<{ ec: number; kyber: number }> {
    return {
      ec: this.s.countOneTime.get(accountId, deviceId, 'ec') as number,
      kyber: this.s.countOneTime.get(accountId, deviceId, 'kyber') as number,
    };
  }

  /** Group-committed with the other fetches of this event-loop turn. */
  takeBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    return this.batcher.take(accountId, deviceId);
  }

  async peekBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    return this.claims.peek(accountId, deviceId);
  }

  async takeBundlesMany(requests: readonly BundleRequest[]): Promise<DeviceBundle[][]> {
    return this.claims.take(requests);
  }

  /** Deletes the key material of handed-out one-time keys now (it is otherwise deleted in batches). */
  flushConsumed(): void {
    this.claims.flushConsumed();
  }

  async signedKeyHistory(accountId: string, deviceId: number): Promise<SignedKeyRecord[]> {
    const rows = this.s.signedHistory.all(accountId, deviceId) as (SignedRow & { kind: SignedKeyKind; created_at: number; replaced_at: number | null })[];
    return rows.map((r) => ({ ...signedKey(r), kind: r.kind, createdAt: r.created_at, replacedAt: r.replaced_at ?? undefined }));
  }

  async prune(replacedBefore: number, now: number): Promise<void> {
    this.claims.flushConsumed();
    atomically(this.db, () => {
      this.s.pruneSigned.run(replacedBefore);
      this.s.pruneCodes.run(now);
      this.s.sweepMaterial.run();
    });
  }

  /** Forgets every cached row (after editing `db` directly). */
  clearCaches(): void {
    this.caches.clear();
    this.claims.clear();
  }

  private forgetDevice(accountId: string, deviceId: number): void {
    this.caches.forgetDevice(accountId, deviceId);
    this.claims.forgetDevice(accountId, deviceId);
  }

  /** Readiness: the database answers and its schema is the newest this code knows (`/ready`). */
  async ready(): Promise<void> {
    if (!this.db.open) throw new Error('the database is closed');
    const version = schemaVersion(this.db);
    if (version !== MIGRATIONS.length) throw new Error(`schema version ${version}, expected ${MIGRATIONS.length}`);
  }

  /** One-time keys on the server, all devices together (metrics). */
  async oneTimeKeyStock(): Promise<OneTimeKeyStock> {
    const rows = this.db.prepare('SELECT kind, COUNT(*) AS n FROM one_time_prekeys GROUP BY kind').all() as { kind: 'ec' | 'kyber'; n: number }[];
    const stock: OneTimeKeyStock = { ec: 0, kyber: 0 };
    for (const r of rows) stock[r.kind] = r.n;
    return stock;
  }

  async close(): Promise<void> {
    if (this.db.open) {
      this.batcher.flush();
      this.claims.flushConsumed();
    }
    this.clearCaches();
    if (this.db.open) this.db.close();
  }
}
