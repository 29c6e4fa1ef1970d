/**
 * A peer's published prekey bundle, in libsignal's serialized key forms
 * (EC keys 0x05-prefixed, 33 bytes; the Kyber key 0x08-prefixed, 1569 bytes).
 */
export interface PreKeyBundle {
  readonly registrationId: number;
  /** Device id (carried for the caller; not used by the key agreement). */
  readonly deviceId?: number;
  /** One-time EC prekey (id and public key), or null/undefined when none is left. */
  readonly preKeyId?: number | null | undefined;
  readonly preKeyPublic?: Uint8Array | null | undefined;
  readonly signedPreKeyId: number;
  readonly signedPreKeyPublic: Uint8Array;
  /** XEdDSA signature by the identity key over `signedPreKeyPublic` (serialized). */
  readonly signedPreKeySignature: Uint8Array;
  /** The peer's identity key, 0x05-prefixed. */
  readonly identityKey: Uint8Array;
  readonly kyberPreKeyId: number;
  readonly kyberPreKeyPublic: Uint8Array;
  /** XEdDSA signature by the identity key over `kyberPreKeyPublic` (serialized). */
  readonly kyberPreKeySignature: Uint8Array;
}
