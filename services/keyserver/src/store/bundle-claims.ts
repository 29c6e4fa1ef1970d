/**
 * Handing out one-time prekeys: the part of `SqliteKeyStore` that makes a
 * key leave exactly once. A key leaves `one_time_prekeys` through
 * `DELETE … RETURNING` inside a `BEGIN IMMEDIATE` transaction, so neither
 * concurrent fetches in this process nor other processes on the same file
 * can be handed the same key. Several fetches are taken in one transaction
 * (group commit, see bundle-batcher.ts), each getting exactly what it would
 * have got had they run one after another.
 *
 * A device whose one-time keys of a kind ran out is remembered as drained,
 * so the common drained-device fetch runs no write transaction at all. The
 * mark is dropped when keys are uploaded through this store and expires
 * after `drainedTtlMs` in any case (absence is never remembered for long:
 * another process may have uploaded meanwhile).
 *
 * Key material (1.6 KB per Kyber key) is deleted later, in batches
 * (`flushConsumed`); a handed-out key already left `one_time_prekeys`, so
 * pending material can never be served again, and material left by a crash
 * is swept when a store opens the file and on prune.
 */
import type Database from 'better-sqlite3';
import type { BundleRequest, DeviceBundle, SignedKeyKind, SignedPreKey } from './key-store.ts';
import { CACHE_LIMIT, type KeyReadCaches } from './read-caches.ts';
import { bytes, signedKey, type MaterialRow, type Statements, type TakenKey } from './sqlite-statements.ts';

/** One fetch's devices (those with both long-lived keys), before their one-time keys are taken. */
interface BundlePlan {
  devices: { accountId: string; deviceId: number; registrationId: number; keys: { signed: SignedPreKey; lastResort: SignedPreKey } }[];
  /** Whether any of them may still have one-time keys (so a write transaction is needed). */
  needsWrite: boolean;
}

/** Takes bundles out of the SQLite file. */
export class BundleClaims {
  /** `account.device.kind` of devices known to have no one-time keys of that kind → when the mark expires. */
  private readonly drained = new Map<string, number>();
  /** Material of handed-out one-time keys, deleted in batches by `flushConsumed`. */
  private consumed: number[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly caches: KeyReadCaches,
    private readonly drainedTtlMs: number,
    /** How many consumed materials to collect before deleting them. */
    private readonly consumedBatch = 512,
  ) {}

  /** Takes bundles for several fetches in one transaction (none when every device is drained). */
  take(requests: readonly BundleRequest[]): DeviceBundle[][] {
    const plans = requests.map((r) => this.plan(r.accountId, r.deviceId));
    // Decided before anything is taken: a drained device needs no transaction at all.
    if (!plans.some((p) => p.needsWrite)) return this.takeAll(plans);
    const mark = this.consumed.length;
    let bundles: DeviceBundle[][];
    try {
      // One transaction for the whole batch: every fetch's deletions commit together
      // (group commit), and a later fetch of the same device sees the earlier one's.
      bundles = this.db.transaction(() => this.takeAll(plans)).immediate();
    } catch (e) {
      // Rolled back: nothing was handed out, no device is known drained.
      this.consumed.length = mark;
      for (const p of plans) for (const d of p.devices) this.forgetDevice(d.accountId, d.deviceId);
      throw e;
    }
    if (this.consumed.length >= this.consumedBatch) this.flushConsumed();
    return bundles;
  }

  /** Bundles without one-time keys (signed prekey + last-resort key), consuming nothing. */
  peek(accountId: string, deviceId: number | undefined): DeviceBundle[] {
    return this.plan(accountId, deviceId).devices.map((d) => ({
      deviceId: d.deviceId,
      registrationId: d.registrationId,
      signedPreKey: d.keys.signed,
      preKey: undefined,
      pqPreKey: d.keys.lastResort,
      pqPreKeyIsLastResort: true,
    }));
  }

  /** Forgets the drained marks of a device (keys were uploaded, or it was removed). */
  forgetDevice(accountId: string, deviceId: number): void {
    this.drained.delete(`${accountId}.${deviceId}.ec`);
    this.drained.delete(`${accountId}.${deviceId}.kyber`);
  }

  clear(): void {
    this.drained.clear();
  }

  private isDrained(key: string): boolean {
    const until = this.drained.get(key);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.drained.delete(key);
    return false;
  }

  /** Which devices a fetch covers, with their cached long-lived keys, and whether it must write. */
  private plan(accountId: string, deviceId: number | undefined): BundlePlan {
    let devices: { deviceId: number; registrationId: number }[];
    if (deviceId === undefined) {
      devices = (this.s.devices.all(accountId) as { device_id: number; registration_id: number }[]).map((d) => ({
        deviceId: d.device_id,
        registrationId: d.registration_id,
      }));
    } else {
      const creds = this.caches.deviceCredentials(accountId, deviceId);
      devices = creds === undefined ? [] : [{ deviceId, registrationId: creds.registrationId }];
    }
    // Without both long-lived keys no session can start: such devices are left out and consume nothing.
    const ready = devices
      .map((d) => ({ ...d, accountId, keys: this.caches.longLived(accountId, d.deviceId) }))
      .filter(
        (d): d is typeof d & { keys: { signed: SignedPreKey; lastResort: SignedPreKey } } =>
          d.keys.signed !== undefined && d.keys.lastResort !== undefined,
      );
    return {
      devices: ready,
      needsWrite: ready.some((d) => !this.isDrained(`${accountId}.${d.deviceId}.ec`) || !this.isDrained(`${accountId}.${d.deviceId}.kyber`)),
    };
  }

  /**
   * Hands out one-time keys for planned fetches, in order: each device's keys
   * are taken in one statement per kind (as many as fetches cover it) and
   * dealt out fetch by fetch. Runs inside the batch's transaction.
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
    const queues = new Map<string, { ec: TakenKey[]; kyber: TakenKey[] }>();
    const materialIds: number[] = [];
    for (const [k, { accountId, deviceId, n }] of demand) {
      const ec = this.takeOneTimeKeys(accountId, deviceId, 'ec', n);
      const kyber = this.takeOneTimeKeys(accountId, deviceId, 'kyber', n);
      for (const t of ec) materialIds.push(t.material_id);
      for (const t of kyber) materialIds.push(t.material_id);
      queues.set(k, { ec, kyber });
    }
    const material = this.readMaterial(materialIds);
    const next = (q: TakenKey[], i: number) => {
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

  /** Reads the material of taken keys and queues it for deletion. */
  private readMaterial(materialIds: number[]): Map<number, MaterialRow> {
    const material = new Map<number, MaterialRow>();
    if (materialIds.length === 0) return material;
    // Keys uploaded together have consecutive material ids and leave in id
    // order, so the ids are mostly a few runs: one range read per run.
    const ids = materialIds.sort((a, b) => a - b);
    let start = ids[0]!;
    for (let i = 1; i <= ids.length; i++) {
      const id = ids[i];
      if (id === ids[i - 1]! + 1) continue;
      for (const m of this.s.materialRange.all(start, ids[i - 1]) as MaterialRow[]) material.set(m.material_id, m);
      if (id !== undefined) start = id;
    }
    for (const id of ids) this.consumed.push(id);
    return material;
  }

  /**
   * Takes the `n` lowest-id one-time keys of a kind (fewer if the device has
   * fewer; then it is marked drained), lowest id first, unless it is marked
   * drained. One statement for all fetches of a batch that want keys of this
   * device: statement overhead, not the b-tree work, dominated a per-fetch DELETE.
   */
  private takeOneTimeKeys(accountId: string, deviceId: number, kind: SignedKeyKind, n: number): TakenKey[] {
    const k = `${accountId}.${deviceId}.${kind}`;
    if (this.isDrained(k)) return [];
    const taken = this.s.takeOneTimeBatch.all({ account: accountId, device: deviceId, kind, n }) as TakenKey[];
    if (taken.length < n) {
      if (this.drained.size >= CACHE_LIMIT) this.drained.clear();
      this.drained.set(k, Date.now() + this.drainedTtlMs);
    }
    // RETURNING order is unspecified: hand keys out lowest id first, as fetch by fetch would.
    return taken.sort((a, b) => a.key_id - b.key_id);
  }

  /** Deletes the key material of handed-out one-time keys (see the module comment). */
  flushConsumed(): void {
    if (this.consumed.length === 0) return;
    const batch = this.consumed.sort((a, b) => a - b);
    this.consumed = [];
    // Mostly a few runs of consecutive ids: one range delete per run.
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
}
