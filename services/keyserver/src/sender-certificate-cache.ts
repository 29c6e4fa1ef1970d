/**
 * Issued sender certificates, remembered per device until near expiry, so a
 * device that asks again (every client start, every retry) costs a map
 * lookup instead of an XEdDSA signature. An entry is bound to what the
 * certificate vouches for — the device's registration id and the account's
 * identity key — and is dropped when the device is removed; device ids are
 * never reused, so an entry can never be served to a different device.
 */
import { equalBytes } from '@sealpost/protocol/primitives';

/** A certificate as issued. */
export interface IssuedCertificate {
  certificate: Uint8Array;
  expiresAt: number;
}

interface Entry extends IssuedCertificate {
  registrationId: number;
  identityKey: Uint8Array;
}

/** Most devices remembered; a full cache is emptied (it refills by issuing). */
export const SENDER_CERTIFICATE_CACHE_LIMIT = 100_000;

/** Per-device cache of issued sender certificates. */
export class SenderCertificateCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param reuseMarginMs a cached certificate is served only while more than
   *   this is left of its lifetime (so clients never get one about to expire).
   */
  constructor(
    private readonly reuseMarginMs: number,
    private readonly maxEntries = SENDER_CERTIFICATE_CACHE_LIMIT,
  ) {}

  private static key(accountId: string, deviceId: number): string {
    return `${accountId}.${deviceId}`;
  }

  /** The device's cached certificate if it still names this registration id and identity key and is not near expiry. */
  get(accountId: string, deviceId: number, registrationId: number, identityKey: Uint8Array, now: number): IssuedCertificate | undefined {
    const k = SenderCertificateCache.key(accountId, deviceId);
    const e = this.entries.get(k);
    if (e === undefined) return undefined;
    if (e.registrationId !== registrationId || !equalBytes(e.identityKey, identityKey) || e.expiresAt - now <= this.reuseMarginMs) {
      this.entries.delete(k);
      return undefined;
    }
    return { certificate: e.certificate, expiresAt: e.expiresAt };
  }

  /** Remembers a freshly issued certificate. */
  set(accountId: string, deviceId: number, registrationId: number, identityKey: Uint8Array, issued: IssuedCertificate): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(SenderCertificateCache.key(accountId, deviceId), { ...issued, registrationId, identityKey: identityKey.slice() });
  }

  /** Drops a device's certificate (on removal). */
  forget(accountId: string, deviceId: number): void {
    this.entries.delete(SenderCertificateCache.key(accountId, deviceId));
  }

  /** Number of devices remembered (tests, health). */
  get size(): number {
    return this.entries.size;
  }
}
