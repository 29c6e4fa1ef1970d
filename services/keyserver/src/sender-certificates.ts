/**
 * Issuing sender certificates: the key server vouches, for a short time, that
 * a device of an account holds the account's identity key. The server
 * certificate (made offline by `sealpost-keyserver keygen`) is embedded,
 * so a client only needs to pin the trust root's public key.
 */
import {
  createSenderCertificate,
  parseServerCertificate,
  type ServerCertificate,
} from '@sealpost/protocol/sealed-sender';
import { xeddsaSign, xeddsaVerify } from '@sealpost/protocol/primitives';
import { SenderCertificateCache } from './sender-certificate-cache.ts';

/** Signs sender certificates with the server certificate's key. */
export class SenderCertificateIssuer {
  /** The parsed server certificate. */
  readonly serverCertificate: ServerCertificate;
  /** Certificates issued, per device, until near expiry. */
  readonly cache: SenderCertificateCache;

  /** `reuseMarginMs`: a cached certificate is served while more than this is left of it (default 2 h). */
  constructor(
    serverCertificate: Uint8Array,
    private readonly privateKey: Uint8Array,
    reuseMarginMs = 2 * 3600_000,
  ) {
    this.cache = new SenderCertificateCache(reuseMarginMs);
    this.serverCertificate = parseServerCertificate(serverCertificate);
    // Fail at startup, not at the first request, if the files do not belong together.
    const probe = new TextEncoder().encode('sealpost-keyserver-key-check');
    if (!xeddsaVerify(this.serverCertificate.key.subarray(1), probe, xeddsaSign(privateKey, probe))) {
      throw new Error('server certificate private key does not match the server certificate');
    }
  }

  /**
   * A serialized SenderCertificate for the device: the one issued before
   * while it is far from expiry and still names this registration id and
   * identity key, else a fresh one expiring at `now + ttlMs`.
   */
  issue(
    device: { accountId: string; deviceId: number; registrationId: number },
    identityKey: Uint8Array,
    now: number,
    ttlMs: number,
  ): { certificate: Uint8Array; expiresAt: number } {
    const { accountId, deviceId, registrationId } = device;
    const cached = this.cache.get(accountId, deviceId, registrationId, identityKey, now);
    if (cached !== undefined) return cached;
    const expiresAt = now + ttlMs;
    const cert = createSenderCertificate({
      senderUuid: accountId,
      senderDeviceId: deviceId,
      identityKey,
      expires: expiresAt,
      serverCertificate: this.serverCertificate,
      serverPrivateKey: this.privateKey,
    });
    const issued = { certificate: cert.serialized, expiresAt };
    this.cache.set(accountId, deviceId, registrationId, identityKey, issued);
    return issued;
  }
}
