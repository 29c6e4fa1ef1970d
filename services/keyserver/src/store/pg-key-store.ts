/**
 * `KeyStore` on PostgreSQL (`pg`), for running several key-server instances
 * on one database. Schema and sharding: pg-migrations.ts; SQL:
 * pg-statements.ts; one-time-key hand-out: pg-bundle-claims.ts.
 *
 * Atomicity is PostgreSQL's, not this process's: every method that changes
 * several rows runs in one transaction, and what must not race across
 * instances takes a row lock first — the account row (`FOR NO KEY UPDATE`)
 * for provisioning-code limits and device linking (so the device cap and
 * the never-reused id counter hold), the device row for key uploads (so the
 * per-device cap and duplicate checks hold). One-time keys are claimed with
 * `FOR UPDATE SKIP LOCKED` and deleted in the same statement.
 *
 * Caches: none. Identity keys were cached until accounts could be deleted:
 * a deletion through another instance must stop this one serving the key
 * at once. Device credentials, device lists and long-lived keys are read from the
 * database every time, so a change made through another instance (a device
 * removed, a key rotated) is seen by the very next request here (README:
 * "Several instances").
 *
 * Database failures that are the database's condition (unreachable, full,
 * too slow) surface as 503 `STORE_UNAVAILABLE` (pg-errors.ts).
 */
import type pg from 'pg';
import { equalBytes } from '@sealpost/protocol/primitives';
import { migratePostgres, openPgPool, pgSchemaVersion, withPgTransaction, type PgPoolOptions } from '@sealpost/service-kit/postgres';
import { BundleBatcher } from './bundle-batcher.ts';
import {
  MAX_DEVICE_ID,
  PRIMARY_DEVICE_ID,
  type AddCodeResult,
  type BundleRequest,
  type DeviceBundle,
  type DeviceCredentials,
  type DeviceInfo,
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
import { claimBundles, peekedBundles, planBundles } from './pg-bundle-claims.ts';
import { storeError } from './pg-errors.ts';
import { PG_COMPONENT, PG_MIGRATIONS } from './pg-migrations.ts';
import { bytes, int, pgSignedKey, SQL, type PgSignedRow } from './pg-statements.ts';

/** How to open a `PostgresKeyStore`. */
export interface PostgresKeyStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Most pooled connections (default 10). */
  maxConnections?: number;
  /** Statement timeout per connection, ms (default 5,000). */
  statementTimeoutMs?: number;
  /** Most bundle fetches served in one transaction (default 256). */
  maxBundleBatch?: number;
  /** Called with errors of idle pooled connections (the pool replaces them). */
  onPoolError?: (error: Error) => void;
}

/** Thrown inside a transaction to roll it back with a typed outcome. */
class Rollback<T> {
  constructor(readonly result: T) {}
}

/** A Uint8Array as the Buffer pg sends (no copy). */
function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** PostgreSQL-backed key store; open with `PostgresKeyStore.open`. */
export class PostgresKeyStore implements KeyStore {
  private readonly batcher: BundleBatcher;
  private closed = false;

  private constructor(
    /** The pool (shared with the rate limiters and spent-id sets of the same instance). */
    readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    maxBundleBatch: number | undefined,
  ) {
    this.batcher = new BundleBatcher({ takeBundlesMany: (requests) => this.takeBundlesMany(requests) }, maxBundleBatch);
  }

  /** Opens a pool and brings the schema up to date (safe to run from several instances at once). */
  static async open(options: PostgresKeyStoreOptions): Promise<PostgresKeyStore> {
    const poolOptions: PgPoolOptions = { url: options.url, applicationName: 'sealpost-keyserver' };
    if (options.maxConnections !== undefined) poolOptions.maxConnections = options.maxConnections;
    if (options.statementTimeoutMs !== undefined) poolOptions.statementTimeoutMs = options.statementTimeoutMs;
    const pool = openPgPool(poolOptions, options.onPoolError);
    try {
      await migratePostgres(pool, PG_MIGRATIONS, { component: PG_COMPONENT });
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw storeError(e);
    }
    return new PostgresKeyStore(pool, true, options.maxBundleBatch);
  }

  /** Runs `fn` and maps the database's failures (pg-errors.ts). */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw storeError(e);
    }
  }

  /** One transaction; a thrown `Rollback` undoes it and becomes the result. */
  private atomically<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(async () => {
      try {
        return await withPgTransaction(this.pool, fn);
      } catch (e) {
        if (e instanceof Rollback) return e.result as T;
        throw e;
      }
    });
  }

  async createAccount(a: NewAccount): Promise<boolean> {
    return this.atomically(async (c) => {
      if ((await c.query(SQL.insertAccount, [a.accountId, buf(a.identityKey), a.now])).rowCount !== 1) return false;
      await c.query(SQL.insertDevice, [a.accountId, PRIMARY_DEVICE_ID, a.registrationId, buf(a.secretHash), a.now]);
      await storeLongLived(c, a.accountId, PRIMARY_DEVICE_ID, a.initialKeys, a.now);
      // Crash-safe, as on SQLite: whichever instance sequences logs whatever is in kt_pending (kt/pg-kt-store.ts).
      if (a.ktUpdate !== undefined) await c.query(SQL.insertKtPending, [buf(a.ktUpdate.label), buf(a.ktUpdate.value), a.now]);
      return true;
    });
  }

  async identityKey(accountId: string): Promise<Uint8Array | undefined> {
    // Not cached: another instance may delete the account, and then every instance must stop serving its key at once.
    const { rows } = await this.run(() => this.pool.query<{ identity_key: Buffer }>(SQL.identityKey, [accountId]));
    if (rows[0] === undefined) return undefined;
    return bytes(rows[0].identity_key);
  }

  async deviceCredentials(accountId: string, deviceId: number): Promise<DeviceCredentials | undefined> {
    const { rows } = await this.run(() => this.pool.query<{ registration_id: number; secret_hash: Buffer }>(SQL.credentials, [accountId, deviceId]));
    const r = rows[0];
    return r === undefined ? undefined : { registrationId: r.registration_id, secretHash: bytes(r.secret_hash) };
  }

  async listDevices(accountId: string): Promise<DeviceInfo[] | undefined> {
    const { rows } = await this.run(() =>
      this.pool.query<{ device_id: number | null; registration_id: number; created_at: string }>(SQL.devices, [accountId]),
    );
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.device_id !== null).map((r) => ({ deviceId: r.device_id!, registrationId: r.registration_id, createdAt: int(r.created_at) }));
  }

  async addProvisioningCode(accountId: string, codeHash: Uint8Array, expiresAt: number, now: number, maxOutstanding: number): Promise<AddCodeResult> {
    return this.atomically(async (c): Promise<AddCodeResult> => {
      // The account row lock orders concurrent requests from all instances: count and insert as one.
      await c.query(SQL.lockAccount, [accountId]);
      const { rows } = await c.query<{ n: number; oldest: string | null }>(SQL.countCodes, [accountId, now]);
      if (rows[0]!.n >= maxOutstanding) return { ok: false, reason: 'TOO_MANY_CODES', oldestExpiresAt: int(rows[0]!.oldest!) };
      await c.query(SQL.insertCode, [accountId, buf(codeHash), expiresAt]);
      return { ok: true };
    });
  }

  async provisioningCodeAccount(codeHash: Uint8Array, now: number): Promise<string | undefined> {
    const { rows } = await this.run(() => this.pool.query<{ account_id: string }>(SQL.peekCode, [buf(codeHash), now]));
    return rows[0]?.account_id;
  }

  async linkDevice(d: NewLinkedDevice): Promise<LinkResult> {
    return this.atomically(async (c): Promise<LinkResult> => {
      // A second link with the same code waits on this row and then finds it gone.
      const { rows } = await c.query<{ account_id: string; expires_at: string }>(SQL.takeCode, [buf(d.codeHash)]);
      const code = rows[0];
      // An expired code is deleted (committed) and reported like an unknown one.
      if (code === undefined || int(code.expires_at) <= d.now) return { ok: false, reason: 'UNKNOWN_CODE' };
      // Links to one account serialize here (every instance): the cap and the id counter hold.
      const locked = await c.query<{ next_device_id: number }>(SQL.lockAccount, [code.account_id]);
      const count = (await c.query<{ n: number }>(SQL.countDevices, [code.account_id])).rows[0]!.n;
      // Roll back so the code survives: the user can remove a device and retry.
      if (count >= d.maxDevices) throw new Rollback<LinkResult>({ ok: false, reason: 'DEVICE_LIMIT' });
      // Never the id of a removed device (see SqliteKeyStore.linkDevice).
      const deviceId = locked.rows[0]!.next_device_id;
      if (deviceId > MAX_DEVICE_ID) throw new Rollback<LinkResult>({ ok: false, reason: 'DEVICE_IDS_EXHAUSTED' });
      await c.query(SQL.setNextDeviceId, [code.account_id, deviceId + 1]);
      await c.query(SQL.insertDevice, [code.account_id, deviceId, d.registrationId, buf(d.secretHash), d.now]);
      await storeLongLived(c, code.account_id, deviceId, d.initialKeys, d.now);
      return { ok: true, accountId: code.account_id, deviceId };
    });
  }

  async removeDevice(accountId: string, deviceId: number): Promise<boolean> {
    // ON DELETE CASCADE takes the device's prekeys (and their material) with it, in the same statement.
    const result = await this.run(() => this.pool.query(SQL.deleteDevice, [accountId, deviceId]));
    return result.rowCount === 1;
  }

  async deleteAccount(accountId: string, now: number): Promise<number | undefined> {
    const deleted = await this.atomically(async (c) => {
      if ((await c.query(SQL.lockAccountForDelete, [accountId])).rowCount !== 1) return undefined;
      const devices = (await c.query<{ n: number }>(SQL.countDevices, [accountId])).rows[0]!.n;
      await c.query(SQL.deleteAccount, [accountId]);
      await c.query(SQL.insertTombstone, [accountId, now]);
      await c.query(SQL.deleteAccountBuckets, [accountId]);
      return devices;
    });
    return deleted;
  }

  async accountDeleted(accountId: string): Promise<boolean> {
    const { rowCount } = await this.run(() => this.pool.query(SQL.tombstone, [accountId]));
    return rowCount === 1;
  }

  async storeKeys(accountId: string, deviceId: number, upload: KeyUpload, now: number, maxOneTimeKeys: number): Promise<StoreKeysResult> {
    return this.atomically(async (c): Promise<StoreKeysResult> => {
      // Uploads to one device serialize here (every instance): duplicate and cap checks see each other.
      await c.query(SQL.lockDevice, [accountId, deviceId]);
      const oneTime: [SignedKeyKind, { keyId: number; publicKey: Uint8Array; signature?: Uint8Array }[] | undefined][] = [
        ['ec', upload.preKeys],
        ['kyber', upload.pqPreKeys],
      ];
      const counts = (await c.query<{ ec: number; kyber: number }>(SQL.countOneTime, [accountId, deviceId])).rows[0]!;
      for (const [kind, keys] of oneTime) {
        if (keys === undefined || keys.length === 0) continue;
        const ids = keys.map((k) => k.keyId);
        const stored = await c.query<{ key_id: string }>(SQL.storedOneTimeIds, [accountId, deviceId, kind, ids]);
        if (stored.rows.length > 0) {
          const dup = new Set(stored.rows.map((r) => int(r.key_id)));
          throw new Rollback<StoreKeysResult>({ ok: false, reason: 'DUPLICATE_KEY_ID', kind, keyIds: ids.filter((id) => dup.has(id)) });
        }
        if (counts[kind] + keys.length > maxOneTimeKeys) throw new Rollback<StoreKeysResult>({ ok: false, reason: 'TOO_MANY_KEYS', kind, limit: maxOneTimeKeys });
        await c.query(SQL.insertOneTime, [accountId, deviceId, kind, ids, keys.map((k) => k.publicKey && buf(k.publicKey)), keys.map((k) => (k.signature === undefined ? null : buf(k.signature)))]);
      }
      await storeLongLived(c, accountId, deviceId, upload, now);
      return { ok: true };
    });
  }

  async storedOneTimeKeyIds(accountId: string, deviceId: number, kind: SignedKeyKind, keyIds: readonly number[]): Promise<number[]> {
    const { rows } = await this.run(() => this.pool.query<{ key_id: string }>(SQL.storedOneTimeIds, [accountId, deviceId, kind, [...keyIds]]));
    const stored = new Set(rows.map((r) => int(r.key_id)));
    return keyIds.filter((id) => stored.has(id));
  }

  async countOneTimeKeys(accountId: string, deviceId: number): Promise<{ ec: number; kyber: number }> {
    const { rows } = await this.run(() => this.pool.query<{ ec: number; kyber: number }>(SQL.countOneTime, [accountId, deviceId]));
    return { ec: rows[0]!.ec, kyber: rows[0]!.kyber };
  }

  /** Group-committed with the other fetches of this event-loop turn (bundle-batcher.ts). */
  takeBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    return this.batcher.take(accountId, deviceId);
  }

  async peekBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    const [devices] = await this.run(() => planBundles(this.pool, [{ accountId, deviceId }]));
    return peekedBundles(devices!);
  }

  async takeBundlesMany(requests: readonly BundleRequest[]): Promise<DeviceBundle[][]> {
    if (requests.length === 0) return [];
    // As SqliteKeyStore: the devices and their long-lived keys are read first, then every
    // one-time key of the batch is claimed by one statement (atomic on its own: no BEGIN/COMMIT round trips).
    return this.run(async () => claimBundles(this.pool, await planBundles(this.pool, requests)));
  }

  async signedKeyHistory(accountId: string, deviceId: number): Promise<SignedKeyRecord[]> {
    const { rows } = await this.run(() =>
      this.pool.query<PgSignedRow & { kind: SignedKeyKind; created_at: string; replaced_at: string | null }>(SQL.signedHistory, [accountId, deviceId]),
    );
    return rows.map((r) => ({ ...pgSignedKey(r), kind: r.kind, createdAt: int(r.created_at), replacedAt: r.replaced_at === null ? undefined : int(r.replaced_at) }));
  }

  async prune(replacedBefore: number, now: number): Promise<void> {
    await this.atomically(async (c) => {
      await c.query(SQL.pruneSigned, [replacedBefore]);
      await c.query(SQL.pruneCodes, [now]);
    });
  }

  /** Nothing is cached (kept so tests and tooling can call it on either store). */
  clearCaches(): void {}

  /** Readiness: the database answers and its schema is the newest this code knows (`/ready`). */
  async ready(): Promise<void> {
    if (this.closed) throw new Error('the database is closed');
    const version = await pgSchemaVersion(this.pool, PG_COMPONENT);
    if (version !== PG_MIGRATIONS.length) throw new Error(`schema version ${version}, expected ${PG_MIGRATIONS.length}`);
  }

  /** One-time keys on the server, all devices together (metrics). */
  async oneTimeKeyStock(): Promise<OneTimeKeyStock> {
    const rows = (await this.pool.query<{ kind: 'ec' | 'kyber'; n: number }>('SELECT kind, count(*)::int AS n FROM one_time_prekeys GROUP BY kind')).rows;
    const stock: OneTimeKeyStock = { ec: 0, kyber: 0 };
    for (const r of rows) stock[r.kind] = r.n;
    return stock;
  }

  /** The pool whose numbers the metrics report. */
  connectionPool(): pg.Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.drain();
    if (this.ownsPool) await this.pool.end();
  }
}

/** Makes the given long-lived keys current (inside the caller's transaction); re-uploading the current key unchanged is no rotation. */
async function storeLongLived(c: pg.PoolClient, accountId: string, deviceId: number, keys: InitialKeys | undefined, now: number): Promise<void> {
  const signed: [SignedKeyKind, SignedPreKey | undefined][] = [
    ['ec', keys?.signedPreKey],
    ['kyber', keys?.pqLastResortPreKey],
  ];
  for (const [kind, key] of signed) {
    if (key === undefined) continue;
    const current = (await c.query<PgSignedRow>(SQL.currentSigned, [accountId, deviceId, kind])).rows[0];
    if (current !== undefined && int(current.key_id) === key.keyId && equalBytes(current.public_key, key.publicKey) && equalBytes(current.signature, key.signature)) {
      continue;
    }
    await c.query(SQL.retireSigned, [accountId, deviceId, kind, now]);
    await c.query(SQL.insertSigned, [accountId, deviceId, kind, key.keyId, key.publicKey && buf(key.publicKey), buf(key.signature), now]);
  }
}
