/**
 * Keys: the single writer of a device's prekeys (initial keys at account
 * creation and linking are checked here too, then stored by the same atomic
 * store call that creates the device), their counts and rotation status,
 * the key-consistency check, and bundle fetches with their rate limit.
 */
import { constantTimeEqual } from '@sealpost/protocol/primitives';
import type { AuthenticatedDevice } from '@sealpost/service-kit';
import { enforceRateLimit } from '../rate-limiter.ts';
import { conflict, notFound } from '../errors.ts';
import { longTermKeyDigest } from '../key-digest.ts';
import { checkKeyUpload, type KeyUploadJson, type SignedPreKeyJson } from '../key-upload.ts';
import type { DeviceBundle, InitialKeys, SignedKeyRecord } from '../store/key-store.ts';
import type { DomainDeps } from './deps.ts';

/** The long-lived keys a new device may bring along (JSON). */
export interface InitialKeysJson {
  signedPreKey?: SignedPreKeyJson | undefined;
  pqLastResortPreKey?: SignedPreKeyJson | undefined;
}

/** Decodes and verifies a new device's initial keys against the account identity key (undefined when there are none). */
export function checkInitialKeys(json: InitialKeysJson, identityKey: Uint8Array): InitialKeys | undefined {
  if (json.signedPreKey === undefined && json.pqLastResortPreKey === undefined) return undefined;
  return checkKeyUpload({ signedPreKey: json.signedPreKey, pqLastResortPreKey: json.pqLastResortPreKey }, identityKey);
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

  /** Stores an upload of the device's own keys; answers the counts after it. */
  async upload(device: AuthenticatedDevice, json: KeyUploadJson): Promise<OneTimeKeyCounts> {
    const { store, settings, now } = this.deps;
    const upload = checkKeyUpload(json, (await store.identityKey(device.accountId))!);
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
   * undefined), each consuming at most one EC and one Kyber one-time key.
   * `target` names the fetch in the rate-limit key (the path's device part).
   */
  async bundles(requester: AuthenticatedDevice, accountId: string, deviceId: number | undefined): Promise<Bundles> {
    const { store, bundleLimiter, now } = this.deps;
    const target = `${accountId}.${deviceId ?? '*'}`;
    enforceRateLimit(bundleLimiter, `${requester.accountId}.${requester.deviceId}>${target}`, now(), 'prekey bundle fetches for this target');
    const identityKey = await store.identityKey(accountId);
    if (identityKey === undefined) throw notFound('UNKNOWN_ACCOUNT', 'no such account');
    const devices = await store.takeBundles(accountId, deviceId);
    if (devices.length === 0) {
      if (deviceId !== undefined && (await store.deviceCredentials(accountId, deviceId)) === undefined) {
        throw notFound('UNKNOWN_DEVICE', `account has no device ${deviceId}`);
      }
      throw notFound('NO_PREKEYS', 'no device of this account has a signed prekey and a last-resort key');
    }
    return { identityKey, devices };
  }
}
