/**
 * `KeyStore` on better-sqlite3 (WAL). better-sqlite3 is synchronous, so each
 * operation below runs start to finish without interleaving inside this
 * process; multi-row changes also run in `BEGIN IMMEDIATE` transactions so
 * that several processes sharing the file stay consistent too. A one-time
 * prekey leaves the table through `DELETE … RETURNING`, which is what makes
 * handing it out twice impossible.
 *
 * Read caches: identity keys never change, and a device's credentials and
 * current signed / last-resort keys change only through this object, so they
 * are cached in memory and dropped on every write that touches them. Likewise
 * a device whose one-time keys ran out is remembered as empty until keys are
 * uploaded again, so the drained-device path touches no table. This makes one
 * `SqliteKeyStore` the only writer of its file: run one key server process per
 * SQLite database (several processes on one file would still never hand out a
 * one-time key twice — that is the DELETE — but could serve a just-replaced
 * signed prekey until their caches turn over). Edits made directly through
 * `db` bypass the caches; call `clearCaches()` after them.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';
import type {
  BundleRequest,
  DeviceBundle,
  DeviceCredentials,
  DeviceInfo,
  EcPreKey,
  KeyStore,
  KeyUpload,
  LinkResult,
  NewAccount,
  NewLinkedDevice,
  SignedKeyKind,
  SignedKeyRecord,
  SignedPreKey,
  StoreKeysResult,
} from './key-store.ts';

/** Highest device id libsignal accepts (DeviceId is 1..=127). */
export const MAX_DEVICE_ID = 127;
/** The primary device's id. */
export const PRIMARY_DEVICE_ID = 1;

interface SignedRow {
  key_id: number;
  public_key: Buffer;
  signature: Buffer;
}

/** Thrown inside a transaction to roll it back with a typed outcome. */
class Rollback<T> {
  constructor(readonly result: T) {}
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function signedKey(row: SignedRow): SignedPreKey {
  return { keyId: row.key_id, publicKey: bytes(row.public_key), signature: bytes(row.signature) };
}

/** Most entries per cache; a full cache is simply emptied (they refill from SQLite). */
const CACHE_LIMIT = 100_000;

function cacheSet<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** A device's current long-lived keys, as bundles serve them. */
interface LongLivedKeys {
  signed: SignedPreKey | undefined;
  lastResort: SignedPreKey | undefined;
}

/** One fetch's devices (those with both long-lived keys), before its one-time keys are taken. */
interface BundlePlan {
  devices: { accountId: string; deviceId: number; registrationId: number; keys: { signed: SignedPreKey; lastResort: SignedPreKey } }[];
  /** Whether any of them may still have one-time keys (so a write transaction is needed). */
  needsWrite: boolean;
}

/** SQLite-backed key store. `path` is a file path or ':memory:'. */
export class SqliteKeyStore implements KeyStore {
  /** The database handle (exposed for operations tooling and tests). */
  readonly db: Database.Database;
  private readonly s;
  private readonly identityCache = new Map<string, Uint8Array>();
  private readonly credentialCache = new Map<string, DeviceCredentials>();
  private readonly longLivedCache = new Map<string, LongLivedKeys>();
  /** `account.device.kind` of devices known to have no one-time keys of that kind. */
  private readonly drained = new Set<string>();
  /** Material of handed-out one-time keys, deleted in batches by `flushConsumed`. */
  private consumed: number[] = [];
  /** How many consumed materials to collect before deleting them. */
  private readonly consumedBatch = 512;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    const db = this.db;
    this.s = {
      insertAccount: db.prepare('INSERT OR IGNORE INTO accounts (account_id, identity_key, created_at) VALUES (?, ?, ?)'),
      insertDevice: db.prepare(
        'INSERT INTO devices (account_id, device_id, registration_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      identityKey: db.prepare('SELECT identity_key FROM accounts WHERE account_id = ?').pluck(),
      credentials: db.prepare('SELECT registration_id, secret_hash FROM devices WHERE account_id = ? AND device_id = ?'),
      devices: db.prepare(
        'SELECT device_id, registration_id, created_at FROM devices WHERE account_id = ? ORDER BY device_id',
      ),
      deviceIds: db.prepare('SELECT device_id FROM devices WHERE account_id = ? ORDER BY device_id').pluck(),
      accountExists: db.prepare('SELECT 1 FROM accounts WHERE account_id = ?').pluck(),
      insertCode: db.prepare('INSERT INTO provisioning_codes (code_hash, account_id, expires_at) VALUES (?, ?, ?)'),
      peekCode: db.prepare('SELECT account_id FROM provisioning_codes WHERE code_hash = ? AND expires_at > ?').pluck(),
      takeCode: db.prepare('DELETE FROM provisioning_codes WHERE code_hash = ? RETURNING account_id, expires_at'),
      deleteDevice: db.prepare('DELETE FROM devices WHERE account_id = ? AND device_id = ?'),
      currentSigned: db.prepare(
        'SELECT key_id, public_key, signature FROM signed_prekeys WHERE account_id = ? AND device_id = ? AND kind = ? AND replaced_at IS NULL',
      ),
      retireSigned: db.prepare(
        'UPDATE signed_prekeys SET replaced_at = ? WHERE account_id = ? AND device_id = ? AND kind = ? AND replaced_at IS NULL',
      ),
      insertSigned: db.prepare(
        'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      signedHistory: db.prepare(
        `SELECT kind, key_id, public_key, signature, created_at, replaced_at FROM signed_prekeys
         WHERE account_id = ? AND device_id = ? ORDER BY (replaced_at IS NULL) DESC, created_at DESC, rowid DESC`,
      ),
      oneTimeExists: db
        .prepare('SELECT 1 FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND kind = ? AND key_id = ?')
        .pluck(),
      insertMaterial: db.prepare('INSERT INTO one_time_key_material (public_key, signature) VALUES (?, ?)'),
      insertOneTime: db.prepare(
        'INSERT INTO one_time_prekeys (account_id, device_id, kind, key_id, material_id) VALUES (?, ?, ?, ?, ?)',
      ),
      material: db.prepare('SELECT public_key, signature FROM one_time_key_material WHERE material_id = ?'),
      deleteMaterialRange: db.prepare('DELETE FROM one_time_key_material WHERE material_id BETWEEN ? AND ?'),
      deleteDeviceMaterial: db.prepare(
        'DELETE FROM one_time_key_material WHERE material_id IN (SELECT material_id FROM one_time_prekeys WHERE account_id = ? AND device_id = ?)',
      ),
      sweepMaterial: db.prepare(
        'DELETE FROM one_time_key_material WHERE material_id NOT IN (SELECT material_id FROM one_time_prekeys)',
      ),
      countOneTime: db
        .prepare('SELECT COUNT(*) FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND kind = ?')
        .pluck(),
      takeOneTimeBatch: db.prepare(
        `DELETE FROM one_time_prekeys
         WHERE account_id = @account AND device_id = @device AND kind = @kind AND key_id <= COALESCE((
           SELECT key_id FROM one_time_prekeys WHERE account_id = @account AND device_id = @device AND kind = @kind
           ORDER BY key_id LIMIT 1 OFFSET @n - 1), 9007199254740991)
         RETURNING key_id, material_id`,
      ),
      materialRange: db.prepare(
        'SELECT material_id, public_key, signature FROM one_time_key_material WHERE material_id BETWEEN ? AND ?',
      ),
      pruneSigned: db.prepare('DELETE FROM signed_prekeys WHERE replaced_at IS NOT NULL AND replaced_at < ?'),
      pruneCodes: db.prepare('DELETE FROM provisioning_codes WHERE expires_at <= ?'),
    };
    // Material of keys handed out just before a crash (never flushed) goes now.
    this.s.sweepMaterial.run();
  }

  createAccount(a: NewAccount): boolean {
    return this.db
      .transaction(() => {
        const inserted = this.s.insertAccount.run(a.accountId, a.identityKey, a.now).changes === 1;
        if (!inserted) return false;
        this.s.insertDevice.run(a.accountId, PRIMARY_DEVICE_ID, a.registrationId, a.secretHash, a.now);
        return true;
      })
      .immediate();
  }

  identityKey(accountId: string): Uint8Array | undefined {
    const cached = this.identityCache.get(accountId);
    if (cached !== undefined) return cached;
    const key = this.s.identityKey.get(accountId) as Buffer | undefined;
    if (key === undefined) return undefined;
    const value = bytes(key);
    cacheSet(this.identityCache, accountId, value);
    return value;
  }

  deviceCredentials(accountId: string, deviceId: number): DeviceCredentials | undefined {
    const k = `${accountId}.${deviceId}`;
    const cached = this.credentialCache.get(k);
    if (cached !== undefined) return cached;
    const row = this.s.credentials.get(accountId, deviceId) as { registration_id: number; secret_hash: Buffer } | undefined;
    if (row === undefined) return undefined; // never cache absence: the device may be linked later
    const value = { registrationId: row.registration_id, secretHash: bytes(row.secret_hash) };
    cacheSet(this.credentialCache, k, value);
    return value;
  }

  /** Forgets every cached row (after editing `db` directly). */
  clearCaches(): void {
    this.identityCache.clear();
    this.credentialCache.clear();
    this.longLivedCache.clear();
    this.drained.clear();
  }

  private forgetDevice(accountId: string, deviceId: number): void {
    const k = `${accountId}.${deviceId}`;
    this.credentialCache.delete(k);
    this.longLivedCache.delete(k);
    this.drained.delete(`${k}.ec`);
    this.drained.delete(`${k}.kyber`);
  }

  private longLived(accountId: string, deviceId: number): LongLivedKeys {
    const k = `${accountId}.${deviceId}`;
    let keys = this.longLivedCache.get(k);
    if (keys === undefined) {
      const signed = this.s.currentSigned.get(accountId, deviceId, 'ec') as SignedRow | undefined;
      const lastResort = this.s.currentSigned.get(accountId, deviceId, 'kyber') as SignedRow | undefined;
      keys = { signed: signed && signedKey(signed), lastResort: lastResort && signedKey(lastResort) };
      cacheSet(this.longLivedCache, k, keys);
    }
    return keys;
  }

  /**
   * Takes the `n` lowest-id one-time keys of a kind (fewer if the device has
   * fewer; then it is remembered as drained), lowest id first, unless the
   * device is known to have none. One statement for all fetches of a batch
   * that want keys of this device: statement overhead, not the b-tree work,
   * dominated a per-fetch DELETE.
   */
  private takeOneTimeKeys(accountId: string, deviceId: number, kind: SignedKeyKind, n: number): { key_id: number; material_id: number }[] {
    const k = `${accountId}.${deviceId}.${kind}`;
    if (this.drained.has(k)) return [];
    const taken = this.s.takeOneTimeBatch.all({ account: accountId, device: deviceId, kind, n }) as { key_id: number; material_id: number }[];
    if (taken.length < n) {
      if (this.drained.size >= CACHE_LIMIT) this.drained.clear();
      this.drained.add(k);
    }
    // RETURNING order is unspecified: hand keys out lowest id first, as fetch by fetch would.
    return taken.sort((a, b) => a.key_id - b.key_id);
  }

  listDevices(accountId: string): DeviceInfo[] | undefined {
    const rows = this.s.devices.all(accountId) as { device_id: number; registration_id: number; created_at: number }[];
    if (rows.length === 0 && this.s.accountExists.get(accountId) === undefined) return undefined;
    return rows.map((r) => ({ deviceId: r.device_id, registrationId: r.registration_id, createdAt: r.created_at }));
  }

  addProvisioningCode(accountId: string, codeHash: Uint8Array, expiresAt: number): void {
    this.s.insertCode.run(codeHash, accountId, expiresAt);
  }

  provisioningCodeAccount(codeHash: Uint8Array, now: number): string | undefined {
    return this.s.peekCode.get(codeHash, now) as string | undefined;
  }

  linkDevice(d: NewLinkedDevice): LinkResult {
    try {
      return this.db
        .transaction((): LinkResult => {
          const code = this.s.takeCode.get(d.codeHash) as { account_id: string; expires_at: number } | undefined;
          // An expired code is deleted (committed) and reported like an unknown one.
          if (code === undefined || code.expires_at <= d.now) return { ok: false, reason: 'UNKNOWN_CODE' };
          const ids = new Set(this.s.deviceIds.all(code.account_id) as number[]);
          let deviceId = PRIMARY_DEVICE_ID + 1;
          while (ids.has(deviceId)) deviceId++;
          // Roll back so the code survives: the user can remove a device and retry.
          if (ids.size >= d.maxDevices || deviceId > MAX_DEVICE_ID) throw new Rollback<LinkResult>({ ok: false, reason: 'DEVICE_LIMIT' });
          this.s.insertDevice.run(code.account_id, deviceId, d.registrationId, d.secretHash, d.now);
          return { ok: true, accountId: code.account_id, deviceId };
        })
        .immediate();
    } catch (e) {
      if (e instanceof Rollback) return e.result as LinkResult;
      throw e;
    }
  }

  removeDevice(accountId: string, deviceId: number): boolean {
    // ON DELETE CASCADE takes the device's prekeys with it; their material first.
    const removed = this.db
      .transaction(() => {
        this.s.deleteDeviceMaterial.run(accountId, deviceId);
        return this.s.deleteDevice.run(accountId, deviceId).changes === 1;
      })
      .immediate();
    this.forgetDevice(accountId, deviceId);
    return removed;
  }

  storeKeys(accountId: string, deviceId: number, upload: KeyUpload, now: number, maxOneTimeKeys: number): StoreKeysResult {
    // Dropped whatever the outcome; the next read reloads from the table.
    this.forgetDevice(accountId, deviceId);
    try {
      return this.db
        .transaction((): StoreKeysResult => {
          const oneTime: [SignedKeyKind, (EcPreKey & { signature?: Uint8Array })[] | undefined][] = [
            ['ec', upload.preKeys],
            ['kyber', upload.pqPreKeys],
          ];
          for (const [kind, keys] of oneTime) {
            if (keys === undefined || keys.length === 0) continue;
            const duplicates = keys
              .filter((k) => this.s.oneTimeExists.get(accountId, deviceId, kind, k.keyId) !== undefined)
              .map((k) => k.keyId);
            if (duplicates.length > 0) throw new Rollback<StoreKeysResult>({ ok: false, reason: 'DUPLICATE_KEY_ID', kind, keyIds: duplicates });
            const count = this.s.countOneTime.get(accountId, deviceId, kind) as number;
            if (count + keys.length > maxOneTimeKeys) {
              throw new Rollback<StoreKeysResult>({ ok: false, reason: 'TOO_MANY_KEYS', kind, limit: maxOneTimeKeys });
            }
            for (const k of keys) {
              const materialId = this.s.insertMaterial.run(k.publicKey, k.signature ?? null).lastInsertRowid;
              this.s.insertOneTime.run(accountId, deviceId, kind, k.keyId, materialId);
            }
          }
          const signed: [SignedKeyKind, SignedPreKey | undefined][] = [
            ['ec', upload.signedPreKey],
            ['kyber', upload.pqLastResortPreKey],
          ];
          for (const [kind, key] of signed) {
            if (key === undefined) continue;
            const current = this.s.currentSigned.get(accountId, deviceId, kind) as SignedRow | undefined;
            // Re-uploading the current key unchanged is a no-op, not a rotation.
            if (
              current !== undefined &&
              current.key_id === key.keyId &&
              Buffer.compare(current.public_key, key.publicKey) === 0 &&
              Buffer.compare(current.signature, key.signature) === 0
            ) {
              continue;
            }
            this.s.retireSigned.run(now, accountId, deviceId, kind);
            this.s.insertSigned.run(accountId, deviceId, kind, key.keyId, key.publicKey, key.signature, now);
          }
          return { ok: true };
        })
        .immediate();
    } catch (e) {
      if (e instanceof Rollback) return e.result as StoreKeysResult;
      throw e;
    }
  }

  countOneTimeKeys(accountId: string, deviceId: number): { ec: number; kyber: number } {
    return {
      ec: this.s.countOneTime.get(accountId, deviceId, 'ec') as number,
      kyber: this.s.countOneTime.get(accountId, deviceId, 'kyber') as number,
    };
  }

  takeBundles(accountId: string, deviceId: number | undefined): DeviceBundle[] {
    return this.takeBundlesMany([{ accountId, deviceId }])[0]!;
  }

  takeBundlesMany(requests: readonly BundleRequest[]): DeviceBundle[][] {
    const plans = requests.map((r) => this.planBundle(r.accountId, r.deviceId));
    // Decided before anything is taken: a drained device needs no transaction at all.
    const needsWrite = plans.some((p) => p.needsWrite);
    const run = () => this.takeAll(plans);
    if (!needsWrite) return run();
    const mark = this.consumed.length;
    let bundles: DeviceBundle[][];
    try {
      // One transaction for the whole batch: every fetch's deletions commit together
      // (group commit), and a later fetch of the same device sees the earlier one's.
      bundles = this.db.transaction(run).immediate();
    } catch (e) {
      // Rolled back: nothing was handed out, no device is known drained.
      this.consumed.length = mark;
      for (const p of plans) for (const d of p.devices) this.forgetDevice(d.accountId, d.deviceId);
      throw e;
    }
    if (this.consumed.length >= this.consumedBatch) this.flushConsumed();
    return bundles;
  }

  /** Which devices a fetch covers, with their cached long-lived keys, and how to take their one-time keys. */
  private planBundle(accountId: string, deviceId: number | undefined): BundlePlan {
    let devices: { deviceId: number; registrationId: number }[];
    if (deviceId === undefined) {
      devices = (this.s.devices.all(accountId) as { device_id: number; registration_id: number }[]).map((d) => ({
        deviceId: d.device_id,
        registrationId: d.registration_id,
      }));
    } else {
      const creds = this.deviceCredentials(accountId, deviceId);
      devices = creds === undefined ? [] : [{ deviceId, registrationId: creds.registrationId }];
    }
    // Without both long-lived keys no session can start: such devices are left out and consume nothing.
    const ready = devices
      .map((d) => ({ ...d, accountId, keys: this.longLived(accountId, d.deviceId) }))
      .filter(
        (d): d is typeof d & { keys: { signed: SignedPreKey; lastResort: SignedPreKey } } =>
          d.keys.signed !== undefined && d.keys.lastResort !== undefined,
      );
    return {
      devices: ready,
      needsWrite: ready.some(
        (d) => !this.drained.has(`${accountId}.${d.deviceId}.ec`) || !this.drained.has(`${accountId}.${d.deviceId}.kyber`),
      ),
    };
  }

  /**
   * Hands out one-time keys for planned fetches, in order: each device's keys
   * are taken in one statement per kind (as many as fetches cover it) and
   * dealt out fetch by fetch, so every fetch gets exactly what it would have
   * got had the fetches run one after another. Runs inside the batch's transaction.
   */
  private takeAll(plans: readonly BundlePlan[]): DeviceBundle[][] {
    const demand = new Map<string, { accountId: string; deviceId: number; n: number }>();
    for (const p of plans) {
      for (const d of p.devices) {
        const k = `${d.accountId}.${d.deviceId}`;
        const entry = demand.get(k);
        if (entry === undefined) demand.set(k, { accountId: d.accountId, deviceId: d.deviceId, n: 1 });
        else entry.n++;
      }
    }
    const queues = new Map<string, { ec: { key_id: number; material_id: number }[]; kyber: { key_id: number; material_id: number }[] }>();
    const materialIds: number[] = [];
    for (const [k, { accountId, deviceId, n }] of demand) {
      const ec = this.takeOneTimeKeys(accountId, deviceId, 'ec', n);
      const kyber = this.takeOneTimeKeys(accountId, deviceId, 'kyber', n);
      for (const t of ec) materialIds.push(t.material_id);
      for (const t of kyber) materialIds.push(t.material_id);
      queues.set(k, { ec, kyber });
    }
    const material = new Map<number, { public_key: Buffer; signature: Buffer | null }>();
    if (materialIds.length > 0) {
      // Keys uploaded together have consecutive material ids and leave in id
      // order, so the ids are mostly a few runs: one range read per run.
      const ids = materialIds.sort((a, b) => a - b);
      let start = ids[0]!;
      for (let i = 1; i <= ids.length; i++) {
        const id = ids[i];
        if (id === ids[i - 1]! + 1) continue;
        for (const m of this.s.materialRange.all(start, ids[i - 1]) as { material_id: number; public_key: Buffer; signature: Buffer | null }[]) {
          material.set(m.material_id, m);
        }
        if (id !== undefined) start = id;
      }
      for (const id of ids) this.consumed.push(id);
    }
    const next = (q: { key_id: number; material_id: number }[], i: number) => {
      const t = q[i];
      if (t === undefined) return undefined;
      const m = material.get(t.material_id)!;
      return { key_id: t.key_id, public_key: m.public_key, signature: m.signature ?? Buffer.alloc(0) };
    };
    const dealt = new Map<string, number>();
    return plans.map((p) =>
      p.devices.map((d): DeviceBundle => {
        const k = `${d.accountId}.${d.deviceId}`;
        const i = dealt.get(k) ?? 0;
        dealt.set(k, i + 1);
        const q = queues.get(k)!;
        const ec = next(q.ec, i);
        const kyber = next(q.kyber, i);
        return {
          deviceId: d.deviceId,
          registrationId: d.registrationId,
          signedPreKey: d.keys.signed,
          preKey: ec === undefined ? undefined : { keyId: ec.key_id, publicKey: bytes(ec.public_key) },
          pqPreKey: kyber === undefined ? d.keys.lastResort : signedKey(kyber),
          pqPreKeyIsLastResort: kyber === undefined,
        };
      }),
    );
  }

  /**
   * Deletes the key material of handed-out one-time keys. Done in batches
   * because deleting 1.6 KB rows one at a time costs several page writes per
   * fetch; the keys themselves left one_time_prekeys when handed out, so a
   * pending batch can never be served again. Material left behind by a crash
   * is swept by `prune`.
   */
  flushConsumed(): void {
    if (this.consumed.length === 0) return;
    const batch = this.consumed.sort((a, b) => a - b);
    this.consumed = [];
    // Keys uploaded together have consecutive material ids and leave in id order,
    // so the batch is mostly a few runs: one range delete per run.
    this.db
      .transaction(() => {
        let start = batch[0]!;
        let prev = start;
        for (let i = 1; i <= batch.length; i++) {
          const id = batch[i];
          if (id === prev + 1) {
            prev = id;
            continue;
          }
          this.s.deleteMaterialRange.run(start, prev);
          if (id !== undefined) start = prev = id;
        }
      })
      .immediate();
  }

  signedKeyHistory(accountId: string, deviceId: number): SignedKeyRecord[] {
    const rows = this.s.signedHistory.all(accountId, deviceId) as (SignedRow & {
      kind: SignedKeyKind;
      created_at: number;
      replaced_at: number | null;
    })[];
    return rows.map((r) => ({
      ...signedKey(r),
      kind: r.kind,
      createdAt: r.created_at,
      replacedAt: r.replaced_at ?? undefined,
    }));
  }

  prune(replacedBefore: number, now: number): void {
    this.flushConsumed();
    this.db
      .transaction(() => {
        this.s.pruneSigned.run(replacedBefore);
        this.s.pruneCodes.run(now);
        this.s.sweepMaterial.run();
      })
      .immediate();
  }

  close(): void {
    if (this.db.open) this.flushConsumed();
    this.clearCaches();
    if (this.db.open) this.db.close();
  }
}
