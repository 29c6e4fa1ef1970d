/**
 * Issuing upload capabilities for the blob service (format in
 * @sealpost/protocol: upload-capability.ts). Signed with the relay-credential
 * Ed25519 key under its own domain-separation prefix, so the blob service
 * verifies with the same public key the relay already pins and no second key
 * needs distributing. The quota subject is a keyed hash of the device
 * (HMAC-SHA256 under a key derived from the signing seed), so the blob
 * service can count per device without learning which device it is.
 */
import { signUploadCapability, type UploadCapability } from '@sealpost/protocol';
import { hmacSha256, randomBytes, sha256, toBase64Url, utf8Encode } from '@sealpost/protocol/primitives';

/** Form settings (all optional in `buildKeyServer({ attachmentForms })`). */
export interface AttachmentFormSettings {
  /** Largest upload a form is issued for, bytes of ciphertext (default 100 MiB, as Signal). */
  maxUploadBytes: number;
  /** How long a capability stays valid (default 24 h, the resume window). */
  capabilityTtlMs: number;
  /** Forms per device: burst, then one per refillMs (Signal: 50, then 1 per 1.2 s). `false` disables it. */
  formRateLimit: { burst: number; refillMs: number } | false;
}

export const DEFAULT_ATTACHMENT_FORM_SETTINGS: AttachmentFormSettings = {
  maxUploadBytes: 100 * 1024 * 1024,
  capabilityTtlMs: 24 * 60 * 60 * 1000,
  formRateLimit: { burst: 50, refillMs: 1200 },
};

/** Signs upload capabilities for authenticated devices. */
export class UploadCapabilityIssuer {
  private readonly privateKey: Uint8Array;
  private readonly subjectKey: Uint8Array;

  constructor(privateKey: Uint8Array, private readonly random: (n: number) => Uint8Array = randomBytes) {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw new RangeError('upload capability key must be 32 bytes');
    this.privateKey = privateKey.slice();
    this.subjectKey = sha256(utf8Encode('sealpost-upload-subject-v1\n'), this.privateKey);
  }

  /** The opaque quota subject of a device. */
  subject(accountId: string, deviceId: number): string {
    return toBase64Url(hmacSha256(this.subjectKey, utf8Encode(`${accountId}.${deviceId}`)).subarray(0, 16));
  }

  /** A capability for one upload of at most `maxLength` bytes under a fresh random 120-bit blob key. */
  issue(accountId: string, deviceId: number, maxLength: number, now: number, ttlMs: number): { token: string; capability: UploadCapability } {
    const capability: UploadCapability = {
      blobKey: toBase64Url(this.random(15)),
      maxLength,
      expiresAt: now + ttlMs,
      subject: this.subject(accountId, deviceId),
    };
    return { token: signUploadCapability(capability, this.privateKey), capability };
  }
}
