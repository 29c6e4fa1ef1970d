/**
 * Prekey upkeep: keeps the key server stocked with one-time prekeys and
 * rotates the long-lived signed keys, without the app knowing.
 *
 * - One-time EC and Kyber prekeys: when the server holds fewer than
 *   `minimumCount` of a kind, upload `batchSize` fresh ones. Ids come from
 *   the store's monotonic counters, so they never collide with keys in use.
 * - Signed EC prekey and last-resort Kyber prekey: replaced every
 *   `rotationIntervalMs` (Signal's clients: ~2 days). A replaced key's
 *   private half is kept for `gracePeriodMs` (messages sealed to it may still
 *   be queued) and then deleted.
 *
 * The private keys are stored before the public halves are uploaded: the
 * server can never hand out a key whose private half we do not have.
 */
import type { IdentityKeyPair } from '@sealpost/protocol';
import { ClientError } from './errors.ts';
import { generateKyberPreKey, generateOneTimePreKey, generateSignedPreKey, type PublicPreKey, type SignedPublicPreKey } from './keys.ts';
import { preKeyTable, type ClientStore, type StoredPreKey } from './store/types.ts';

/** One upload to the key server (any subset). */
export interface PreKeyUpload {
  signedPreKey?: SignedPublicPreKey;
  pqLastResortPreKey?: SignedPublicPreKey;
  preKeys?: PublicPreKey[];
  pqPreKeys?: SignedPublicPreKey[];
}

/** What upkeep needs from the key server (implemented by `KeyServerClient`). */
export interface PreKeyServer {
  /** One-time prekeys the server still holds for this device. */
  preKeyCounts(): Promise<{ ec: number; kyber: number }>;
  /** Uploads keys for this device. */
  uploadPreKeys(upload: PreKeyUpload): Promise<void>;
}

/** Upkeep schedule and sizes. */
export interface UpkeepPolicy {
  /** Keys generated per refill (Signal: 100; also the server's batch cap). */
  batchSize: number;
  /** Refill when the server holds fewer than this many (Signal: 10). */
  minimumCount: number;
  /** Age at which the signed and last-resort keys are replaced, ms (default 2 days). */
  rotationIntervalMs: number;
  /** How long a replaced key's private half is kept, ms (default 30 days). */
  gracePeriodMs: number;
  /** How often the automatic timer checks, ms (default 1 hour). */
  checkIntervalMs: number;
}

/** Defaults modelled on Signal's clients. */
export const DEFAULT_UPKEEP_POLICY: UpkeepPolicy = {
  batchSize: 100,
  minimumCount: 10,
  rotationIntervalMs: 2 * 24 * 3600_000,
  gracePeriodMs: 30 * 24 * 3600_000,
  checkIntervalMs: 3600_000,
};

/** What one upkeep run did (for logs and tests). */
export interface UpkeepReport {
  uploadedEc: number;
  uploadedKyber: number;
  rotatedSigned: boolean;
  rotatedLastResort: boolean;
  deleted: number;
}

const CURRENT_SETTING: Record<'signed' | 'kyber', string> = { signed: 'upkeep.current.signed', kyber: 'upkeep.current.lastResort' };

/** Runs prekey upkeep for one device; `run()` on demand, `start()` for the timer. */
export class PreKeyUpkeep {
  readonly policy: UpkeepPolicy;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<UpkeepReport> | undefined;

  constructor(
    private readonly store: ClientStore,
    private readonly server: PreKeyServer,
    private readonly identity: IdentityKeyPair,
    policy: Partial<UpkeepPolicy> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.policy = { ...DEFAULT_UPKEEP_POLICY, ...policy };
    if (this.policy.minimumCount > this.policy.batchSize) throw new ClientError('INVALID_DATA', 'minimumCount must not exceed batchSize');
  }

  /** The current (uploaded, not replaced) signed EC prekey or last-resort Kyber prekey. */
  async current(kind: 'signed' | 'kyber'): Promise<StoredPreKey | undefined> {
    const id = await this.store.settings.get(CURRENT_SETTING[kind]);
    return id === undefined ? undefined : preKeyTable(this.store, kind).load(Number(id));
  }

  /**
   * Checks and fixes everything once. Concurrent calls share one run.
   * Network errors propagate (the timer logs and retries next interval).
   */
  run(): Promise<UpkeepReport> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<UpkeepReport> {
    const now = this.now();
    const report: UpkeepReport = { uploadedEc: 0, uploadedKyber: 0, rotatedSigned: false, rotatedLastResort: false, deleted: 0 };
    const upload: PreKeyUpload = {};
    const fresh: StoredPreKey[] = [];

    const signed = await this.current('signed');
    if (signed === undefined || now - signed.createdAt >= this.policy.rotationIntervalMs) {
      const [id] = await this.store.signedPreKeys.allocateIds(1);
      const k = generateSignedPreKey(this.identity, id!, now);
      fresh.push(k.stored);
      upload.signedPreKey = k.upload;
    }
    const lastResort = await this.current('kyber');
    if (lastResort === undefined || now - lastResort.createdAt >= this.policy.rotationIntervalMs) {
      const [id] = await this.store.kyberPreKeys.allocateIds(1);
      const k = generateKyberPreKey(this.identity, id!, now, true);
      fresh.push(k.stored);
      upload.pqLastResortPreKey = k.upload;
    }

    const counts = await this.server.preKeyCounts();
    if (counts.ec < this.policy.minimumCount) {
      upload.preKeys = (await this.store.preKeys.allocateIds(this.policy.batchSize)).map((id) => {
        const k = generateOneTimePreKey(id, now);
        fresh.push(k.stored);
        return k.upload;
      });
    }
    if (counts.kyber < this.policy.minimumCount) {
      upload.pqPreKeys = (await this.store.kyberPreKeys.allocateIds(this.policy.batchSize)).map((id) => {
        const k = generateKyberPreKey(this.identity, id, now, false);
        fresh.push(k.stored);
        return k.upload;
      });
    }

    if (fresh.length > 0) {
      // Private halves first, so the server never serves a key we cannot use.
      await this.store.transaction(async (tx) => {
        for (const k of fresh) await preKeyTable(tx, k.kind).store(k);
      });
      try {
        await this.server.uploadPreKeys(upload);
      } catch (e) {
        await this.store.transaction(async (tx) => {
          for (const k of fresh) await preKeyTable(tx, k.kind).remove(k.id);
        });
        throw e;
      }
      await this.store.transaction(async (tx) => {
        if (upload.signedPreKey !== undefined) {
          if (signed !== undefined) await tx.signedPreKeys.markReplaced(signed.id, now);
          await tx.settings.set(CURRENT_SETTING.signed, String(upload.signedPreKey.keyId));
          report.rotatedSigned = true;
        }
        if (upload.pqLastResortPreKey !== undefined) {
          if (lastResort !== undefined) await tx.kyberPreKeys.markReplaced(lastResort.id, now);
          await tx.settings.set(CURRENT_SETTING.kyber, String(upload.pqLastResortPreKey.keyId));
          report.rotatedLastResort = true;
        }
      });
      report.uploadedEc = upload.preKeys?.length ?? 0;
      report.uploadedKyber = upload.pqPreKeys?.length ?? 0;
    }
    report.deleted = await this.prune(now);
    return report;
  }

  /**
   * Deletes private halves of replaced long-lived keys older than the grace
   * period, and long-lived keys that never became current (an upload that a
   * crash interrupted). Returns how many were deleted.
   */
  prune(now: number = this.now()): Promise<number> {
    const cutoff = now - this.policy.gracePeriodMs;
    return this.store.transaction(async (tx) => {
      let deleted = 0;
      for (const kind of ['signed', 'kyber'] as const) {
        const table = preKeyTable(tx, kind);
        const currentId = await tx.settings.get(CURRENT_SETTING[kind]);
        for (const k of await table.list()) {
          if (kind === 'kyber' && !k.lastResort) continue;
          if (String(k.id) === currentId) continue;
          const since = k.replacedAt ?? k.createdAt;
          if (since <= cutoff) {
            await table.remove(k.id);
            deleted++;
          }
        }
      }
      return deleted;
    });
  }

  /** Starts the automatic timer (first check right away). `onError` sees failed runs. */
  start(onError: (error: unknown) => void = () => {}): void {
    if (this.#timer !== undefined) return;
    const tick = () => void this.run().catch(onError);
    tick();
    this.#timer = setInterval(tick, this.policy.checkIntervalMs);
    // Node: do not keep the process alive for the timer (browsers have no unref).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
