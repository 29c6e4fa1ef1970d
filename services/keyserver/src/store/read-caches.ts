/**
 * The SQLite store's read caches. Identity keys never change, and a device's
 * credentials and current signed / last-resort keys change only through the
 * store that holds these caches, which drops a device's entries on every
 * write that touches it; so entries need no expiry while that store is the
 * only writer of its file. Absence is never cached (an unknown device may
 * be linked a moment later). A full cache is simply emptied; it refills
 * from SQLite.
 */
import type { DeviceCredentials, SignedPreKey } from './key-store.ts';
import { bytes, signedKey, type SignedRow, type Statements } from './sqlite-statements.ts';

/** Most entries per cache. */
export const CACHE_LIMIT = 100_000;

/** A device's current long-lived keys, as bundles serve them. */
export interface LongLivedKeys {
  signed: SignedPreKey | undefined;
  lastResort: SignedPreKey | undefined;
}

function cacheSet<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** Cached reads of identity keys, device credentials and long-lived keys. */
export class KeyReadCaches {
  private readonly identities = new Map<string, Uint8Array>();
  private readonly credentials = new Map<string, DeviceCredentials>();
  private readonly longLivedKeys = new Map<string, LongLivedKeys>();

  constructor(private readonly s: Statements) {}

  identityKey(accountId: string): Uint8Array | undefined {
    const cached = this.identities.get(accountId);
    if (cached !== undefined) return cached;
    const key = this.s.identityKey.get(accountId) as Buffer | undefined;
    if (key === undefined) return undefined;
    const value = bytes(key);
    cacheSet(this.identities, accountId, value);
    return value;
  }

  deviceCredentials(accountId: string, deviceId: number): DeviceCredentials | undefined {
    const k = `${accountId}.${deviceId}`;
    const cached = this.credentials.get(k);
    if (cached !== undefined) return cached;
    const row = this.s.credentials.get(accountId, deviceId) as { registration_id: number; secret_hash: Buffer } | undefined;
    if (row === undefined) return undefined;
    const value = { registrationId: row.registration_id, secretHash: bytes(row.secret_hash) };
    cacheSet(this.credentials, k, value);
    return value;
  }

  /** The device's current signed prekey and last-resort key; cached only when both exist (a missing one is absence). */
  longLived(accountId: string, deviceId: number): LongLivedKeys {
    const k = `${accountId}.${deviceId}`;
    let keys = this.longLivedKeys.get(k);
    if (keys === undefined) {
      const signed = this.s.currentSigned.get(accountId, deviceId, 'ec') as SignedRow | undefined;
      const lastResort = this.s.currentSigned.get(accountId, deviceId, 'kyber') as SignedRow | undefined;
      keys = { signed: signed && signedKey(signed), lastResort: lastResort && signedKey(lastResort) };
      if (keys.signed !== undefined && keys.lastResort !== undefined) cacheSet(this.longLivedKeys, k, keys);
    }
    return keys;
  }

  /** Drops what is cached about one device (after any write to it). */
  forgetDevice(accountId: string, deviceId: number): void {
    const k = `${accountId}.${deviceId}`;
    this.credentials.delete(k);
    this.longLivedKeys.delete(k);
  }

  /** Drops the account's identity key (the account was deleted). */
  forgetAccount(accountId: string): void {
    this.identities.delete(accountId);
  }

  clear(): void {
    this.identities.clear();
    this.credentials.clear();
    this.longLivedKeys.clear();
  }
}
