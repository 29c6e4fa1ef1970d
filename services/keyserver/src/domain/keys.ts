/**
 * Keys: the single writer of a device's prekeys (initial keys at account
 * creation and linking are checked here too, then stored by the same atomic
 * store call that creates the device), their counts and rotation status,
 * the key-consistency check, and bundle fetches with their rate limit.
 */
import { constantTimeEqual } from '@sealpost/protocol/primitives';
import type { AuthenticatedDevice } from '@sealpost/service-kit';
import { enforceRateLimit } from '../rate-limiter.ts';
import { conflict, missingAccount, notFound } from '../errors.ts';
import { longTermKeyDigest } from '../key-digest.ts';
import { checkKeyUpload, decodeKeyUpload, noRepeatedIds, verifyKeyUpload, type KeyUploadJson, type SignedPreKeyJson } from '../key-upload.ts';
import type { DeviceBundle, InitialKeys, SignedKeyKind, SignedKeyRecord } from '../store/key-store.ts';
import type { DomainDeps, SignatureVerifier } from './deps.ts';

/** The long-lived keys a new device may bring along (JSON). */
export interface InitialKeysJson {
  signedPreKey?: SignedPreKeyJson | undefined;
  pqLastResortPreKey?: SignedPreKeyJson | undefined;
}

/** Decodes and verifies a new device's initial keys against the account identity key (undefined when there are none). */
export function checkInitialKeys(json: InitialKeysJson, identityKey: Uint8Array, verify?: SignatureVerifier): InitialKeys | undefined {
  if (json.signedPreKey === undefined && json.pqLastResortPreKey === undefined) return undefined;
  return checkKeyUpload({ signedPreKey: json.signedPreKey, pqLastResortPreKey: json.pqLastResortPreKey }, identityKey, verify);
}

/** One-time keys left on the server. */
export interface OneTimeKeyCounts {
  ec: number;
  kyber: number;
}

/** A long-lived key as `/v1/keys/rotation` reports it. */
export interface RotationEntry {
  kind: 'signedPreKey' | 'pqLastResortPreKey';
  record: SignedKeyRecord;
  current: boolean;
  ageMs: number;
  stale: boolean;
  /** When a replaced key is forgotten. */
  discardAt: number | undefined;
}

/** The device's long-lived keys with their ages. */
export interface RotationReport {
  now: number;
  staleAfterMs: number;
  rotationDue: { signedPreKey: boolean; pqLastResortPreKey: boolean };
  keys: RotationEntry[];
}

/** The bundles of one fetch. */
export interface Bundles {
  identityKey: Uint8Array;
  devices: DeviceBundle[];
}

/** Prekeys, as Signal-Server's KeysManager. */
export class Keys {
  constructor(private readonly deps: DomainDeps) {}

  /**
   * Stores an upload of the device's own keys; answers the counts after it.
   * Cheapest checks first: repeated ids, ids already stored and the
   * per-device cap (from the JSON, with reads), then strict decoding, and
   * only then the signatures — a replayed or oversized upload costs no
   * decoding and no verification.
   */
  async upload(device: AuthenticatedDevice, json: KeyUploadJson): Promise<OneTimeKeyCounts> {
    const { store, settings, now } = this.deps;
    const { accountId, deviceId } = device;
    // Ids straight from the JSON (the schema bounded counts and sizes): repeats, stored ids and the cap cost no decoding.
    const oneTime: [SignedKeyKind, string, readonly { keyId: number }[] | undefined][] = [
      ['ec', 'preKeys', json.preKeys],
      ['kyber', 'pqPreKeys', json.pqPreKeys],
    ];
    const counts = await store.countOneTimeKeys(accountId, deviceId);
    for (const [kind, field, keys] of oneTime) {
      if (keys === undefined || keys.length === 0) continue;
      noRepeatedIds(field, keys);
      const stored = await store.storedOneTimeKeyIds(accountId, deviceId, kind, keys.map((k) => k.keyId));
      if (stored.length > 0) throw conflict('DUPLICATE_KEY_ID', `${kind} one-time key ids already stored: ${stored.slice(0, 10).join(', ')}`);
      if (counts[kind] + keys.length > settings.maxOneTimeKeysPerDevice) {
        throw conflict('TOO_MANY_KEYS', `a device may hold at most ${settings.maxOneTimeKeysPerDevice} ${kind} one-time keys`);
      }
    }
    const decoded = decodeKeyUpload(json);
    const upload = verifyKeyUpload(decoded, (await store.identityKey(accountId))!, this.deps.verifySignature);
    // The store checks ids and the cap again, atomically (a concurrent upload may have raced us).
    const result = await store.storeKeys(device.accountId, device.deviceId, upload, now(), settings.maxOneTimeKeysPerDevice);
    if (!result.ok) {
      if (result.reason === 'DUPLICATE_KEY_ID') {
        throw conflict('DUPLICATE_KEY_ID', `${result.kind} one-time key ids already stored: ${result.keyIds.slice(0, 10).join(', ')}`);
      }
      throw conflict('TOO_MANY_KEYS', `a device may hold at most ${result.limit} ${result.kind} one-time keys`);
    }
    return this.counts(device);
  }

  counts(device: AuthenticatedDevice): Promise<OneTimeKeyCounts> {
    return this.deps.store.countOneTimeKeys(device.accountId, device.deviceId);
  }

  /** Current and recently replaced long-lived keys, with ages and whether rotation is due. */
  async rotation(device: AuthenticatedDevice): Promise<RotationReport> {
    const now = this.deps.now();
    const { staleKeyAgeMs, replacedKeyGraceMs } = this.deps.settings;
    const keys = (await this.deps.store.signedKeyHistory(device.accountId, device.deviceId))
      // Not yet pruned but past the grace period: no longer part of the answer.
      .filter((k) => k.replacedAt === undefined || k.replacedAt + replacedKeyGraceMs > now)
      .map(
        (k): RotationEntry => ({
          kind: k.kind === 'ec' ? 'signedPreKey' : 'pqLastResortPreKey',
          record: k,
          current: k.replacedAt === undefined,
          ageMs: Math.max(0, now - k.createdAt),
          stale: now - k.createdAt > staleKeyAgeMs,
          discardAt: k.replacedAt === undefined ? undefined : k.replacedAt + replacedKeyGraceMs,
        }),
      );
    const due = (kind: RotationEntry['kind']) => !keys.some((k) => k.kind === kind && k.current && !k.stale);
    return { now, staleAfterMs: staleKeyAgeMs, rotationDue: { signedPreKey: due('signedPreKey'), pqLastResortPreKey: due('pqLastResortPreKey') }, keys };
  }

  /** Compares the device's digest of its long-lived keys with the server's (null when the server lacks one of them). */
  async check(device: AuthenticatedDevice, digest: Uint8Array): Promise<{ match: boolean; serverDigest: Uint8Array | null }> {
    const { store } = this.deps;
    const current = (await store.signedKeyHistory(device.accountId, device.deviceId)).filter((k) => k.replacedAt === undefined);
    const signed = current.find((k) => k.kind === 'ec');
    const lastResort = current.find((k) => k.kind === 'kyber');
    if (signed === undefined || lastResort === undefined) return { match: false, serverDigest: null };
    const serverDigest = longTermKeyDigest({
      identityKey: (await store.identityKey(device.accountId))!,
      signedPreKeyId: signed.keyId,
      signedPreKey: signed.publicKey,
      lastResortKeyId: lastResort.keyId,
      lastResortKey: lastResort.publicKey,
    });
    return { match: constantTimeEqual(serverDigest, digest), serverDigest };
  }

  /**
   * Bundles for one device of an account, or all of them (`deviceId`
   * undefined). The target is checked to exist BEFORE anything is charged,
   * so requests for unknown targets create no limiter state. Then one
   * permit from the (requester device, target account) bucket — the same
   * bucket whatever the device selector — and, per target device, one from
   * that device's budget across all requesters: a device whose budget is
   * spent is served without one-time keys (signed prekey + last-resort key,
   * as when it is drained), so its one-time keys cannot be drained by a crowd.
   */
  async bundles(requester: AuthenticatedDevice, accountId: string, deviceId: number | undefined): Promise<Bundles> {
    const { store, bundleLimiter, now } = this.deps;
    const identityKey = await store.identityKey(accountId);
    if (identityKey === undefined) throw await missingAccount(store, accountId);
    if (deviceId !== undefined && (await store.deviceCredentials(accountId, deviceId)) === undefined) {
      throw notFound('UNKNOWN_DEVICE', `account has no device ${deviceId}`);
    }
    const t = now();
    await enforceRateLimit(bundleLimiter, `${requester.accountId}.${requester.deviceId}>${accountId}`, t, 'prekey bundle fetches for this account');
    const devices = await this.takeWithinBudget(accountId, deviceId, t);
    if (devices.length === 0) throw notFound('NO_PREKEYS', 'no device of this account has a signed prekey and a last-resort key');
    return { identityKey, devices };
  }

  /** Takes one-time keys only from target devices whose budget allows it; the others are peeked. */
  private async takeWithinBudget(accountId: string, deviceId: number | undefined, t: number): Promise<DeviceBundle[]> {
    const { store, targetBudget } = this.deps;
    if (targetBudget === undefined) return store.takeBundles(accountId, deviceId);
    const ids = deviceId !== undefined ? [deviceId] : ((await store.listDevices(accountId)) ?? []).map((d) => d.deviceId);
    const allowed: number[] = [];
    for (const id of ids) if ((await targetBudget.take(`${accountId}.${id}`, t)).allowed) allowed.push(id);
    if (allowed.length === ids.length) return store.takeBundles(accountId, deviceId);
    if (allowed.length === 0) return store.peekBundles(accountId, deviceId);
    const taken = (await Promise.all(allowed.map((id) => store.takeBundles(accountId, id)))).flat();
    const peeked = (await store.peekBundles(accountId, undefined)).filter((b) => !allowed.includes(b.deviceId));
    return [...taken, ...peeked].sort((a, b) => a.deviceId - b.deviceId);
  }
}
