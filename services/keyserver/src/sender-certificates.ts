/**
 * Issuing sender certificates: the key server vouches, for a short time, that
 * a device of an account holds the account's identity key. The server
 * certificate (made offline by scripts/keyserver-trust-root.ts) is embedded,
 * so a client only needs to pin the trust root's public key.
 */
import {
  createSenderCertificate,
  parseServerCertificate,
  type ServerCertificate,
} from '@sealpost/protocol/sealed-sender';
import { xeddsaSign, xeddsaVerify } from '@sealpost/protocol/primitives';

/** Signs sender certificates with the server certificate's key. */
export class SenderCertificateIssuer {
  /** The parsed server certificate. */
  readonly serverCertificate: ServerCertificate;

  constructor(
    serverCertificate: Uint8Array,
    private readonly privateKey: Uint8Array,
  ) {
    this.serverCertificate = parseServerCertificate(serverCertificate);
    // Fail at startup, not at the first request, if the files do not belong together.
    const probe = new TextEncoder().encode('sealpost-keyserver-key-check');
    if (!xeddsaVerify(this.serverCertificate.key.subarray(1), probe, xeddsaSign(privateKey, probe))) {
      throw new Error('server certificate private key does not match the server certificate');
    }
  }

  /** A serialized SenderCertificate for the device, expiring at `now + ttlMs`. */
  issue(accountId: string, deviceId: number, identityKey: Uint8Array, now: number, ttlMs: number): { certificate: Uint8Array; expiresAt: number } {
    const expiresAt = now + ttlMs;
    const cert = createSenderCertificate({
      senderUuid: accountId,
      senderDeviceId: deviceId,
      identityKey,
      expires: expiresAt,
      serverCertificate: this.serverCertificate,
      serverPrivateKey: this.privateKey,
    });
    return { certificate: cert.serialized, expiresAt };
  }
}
