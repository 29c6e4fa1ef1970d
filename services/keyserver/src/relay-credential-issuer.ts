/**
 * Issuing relay credentials. Format, signing and verification are the
 * protocol's (`@sealpost/protocol`: relay-credential.ts), so the relay needs
 * nothing of the key server's. The signing key is an Ed25519 key pair of its
 * own, separate from the sender-certificate key, so that each key does
 * exactly one job.
 */
import { generateRelayCredentialKeyPair, signRelayCredential, type RelayCredential } from '@sealpost/protocol';

/** Signs relay credentials for authenticated devices. */
export class RelayCredentialIssuer {
  private readonly privateKey: Uint8Array;

  /** `privateKey`: the raw 32-byte Ed25519 seed (checked here, at startup). */
  constructor(privateKey: Uint8Array) {
    this.privateKey = generateRelayCredentialKeyPair(privateKey).privateKey;
  }

  /**
   * A token for the device (bound to its current registration id) and one
   * relay (`audience`), valid for `ttlMs` from `now`.
   */
  issue(
    device: { accountId: string; deviceId: number; registrationId: number },
    audience: string,
    now: number,
    ttlMs: number,
  ): { token: string; credential: RelayCredential } {
    const credential: RelayCredential = {
      accountId: device.accountId,
      deviceId: device.deviceId,
      registrationId: device.registrationId,
      expiresAt: now + ttlMs,
      audience,
    };
    return { token: signRelayCredential(credential, this.privateKey), credential };
  }
}
