/**
 * Sealed sender v2 key schedule (libsignal `sealed_sender_v2`), after
 * Barbosa's randomness-reuse multi-recipient KEM. With M the 32 random bytes:
 *   r = HKDF(ikm = M, salt = none, info = "Sealed Sender v2: r (2023-08)", 32);  E = X25519 key pair from r
 *   K = HKDF(ikm = M, salt = none, info = "Sealed Sender v2: K", 32)
 *   C_i  = HKDF(DH(E, R_i) ‖ E ‖ R_i, info = "Sealed Sender v2: DH", 32) XOR M
 *   AT_i = HKDF(DH(S, R_i) ‖ E ‖ C_i ‖ S ‖ R_i, info = "Sealed Sender v2: DH-sender", 16)
 * where public keys inside the HKDF inputs are serialized `0x05 ‖ u`.
 */
import { concatBytes } from '../primitives/bytes.ts';
import { hkdfSha256, x25519Agree, x25519PublicKey } from '../primitives/index.ts';
import { serializeCurvePublicKey } from '../keys/curve-key.ts';
import { V2_AUTH_TAG_LENGTH, V2_MESSAGE_KEY_LENGTH } from './v2-layout.ts';

const enc = new TextEncoder();
const LABEL_R = enc.encode('Sealed Sender v2: r (2023-08)');
const LABEL_K = enc.encode('Sealed Sender v2: K');
const LABEL_DH = enc.encode('Sealed Sender v2: DH');
const LABEL_DH_S = enc.encode('Sealed Sender v2: DH-sender');
// HKDF without a salt: RFC 5869 uses HashLen zero bytes, which HMAC treats like an empty key.
const NO_SALT = new Uint8Array(0);

/** The ephemeral key pair E derived from M. */
export function v2EphemeralFromM(m: Uint8Array): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const r = hkdfSha256(m, NO_SALT, LABEL_R, 32);
  return { privateKey: r, publicKey: x25519PublicKey(r) };
}

/** The one-use AES-256-GCM-SIV key K derived from M. */
export function v2CipherKeyFromM(m: Uint8Array): Uint8Array {
  return hkdfSha256(m, NO_SALT, LABEL_K, 32);
}

/**
 * C = KDF(DH ‖ E ‖ R) XOR input: encrypts M when sending, recovers M when receiving.
 * `agreement` is DH(E, R); keys are raw 32 bytes.
 */
export function v2AgreementXor(agreement: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, input: Uint8Array): Uint8Array {
  const pad = hkdfSha256(
    concatBytes(agreement, serializeCurvePublicKey(ephemeralPublic), serializeCurvePublicKey(recipientPublic)),
    NO_SALT,
    LABEL_DH,
    V2_MESSAGE_KEY_LENGTH,
  );
  const out = new Uint8Array(V2_MESSAGE_KEY_LENGTH);
  for (let i = 0; i < out.length; i++) out[i] = pad[i]! ^ input[i]!;
  return out;
}

/** AT = KDF(DH(S, R) ‖ E ‖ C ‖ S ‖ R), 16 bytes. Keys raw 32 bytes. */
export function v2AuthTag(
  agreement: Uint8Array,
  ephemeralPublic: Uint8Array,
  encryptedMessageKey: Uint8Array,
  senderPublic: Uint8Array,
  recipientPublic: Uint8Array,
): Uint8Array {
  return hkdfSha256(
    concatBytes(
      agreement,
      serializeCurvePublicKey(ephemeralPublic),
      encryptedMessageKey,
      serializeCurvePublicKey(senderPublic),
      serializeCurvePublicKey(recipientPublic),
    ),
    NO_SALT,
    LABEL_DH_S,
    V2_AUTH_TAG_LENGTH,
  );
}

/** DH helper shared by seal and open. */
export function v2Agree(privateKey: Uint8Array, publicRaw: Uint8Array): Uint8Array {
  return x25519Agree(privateKey, publicRaw);
}
