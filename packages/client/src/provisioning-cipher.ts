/**
 * Signal's ProvisioningCipher: how a primary device seals the provisioning
 * message (identity key pair, account, key-server code) to the one-time
 * public key a new device shows, so the relay that carries it learns
 * nothing.
 *
 *   shared   = X25519(ephemeral private, recipient public)
 *   aesKey ‖ macKey = HKDF-SHA256(shared, salt = 32 zero bytes, info = "TextSecure Provisioning Message", 64)
 *   body     = 0x01 ‖ iv ‖ AES-256-CBC/PKCS7(aesKey, iv, message) ‖ HMAC-SHA256(macKey, 0x01 ‖ iv ‖ ciphertext)
 *   envelope = ProvisionEnvelope { public_key = 0x05 ‖ ephemeral public, body }
 *
 * (libsignal-service-java `ProvisioningCipher`, Signal-Desktop
 * `ProvisioningCipher.decrypt`: the MAC covers version, iv and ciphertext and
 * is checked before anything is decrypted.) Every primitive comes from the
 * protocol's primitives facade; the ephemeral key and the iv are inputs.
 */
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { curveAgree, curveKeyPairFromPrivate } from '@sealpost/protocol';
import { aes256CbcDecrypt, aes256CbcEncrypt, concatBytes, constantTimeEqual, hkdfSha256, hmacSha256, utf8Encode } from '@sealpost/protocol/primitives';
import { ClientError } from './errors.ts';
import { ProvisionEnvelopeSchema } from './gen/provisioning_pb.ts';

/** The body's version byte. */
export const PROVISIONING_CIPHER_VERSION = 0x01;
const INFO = utf8Encode('TextSecure Provisioning Message');
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
/** Shortest body: version, iv, one AES block, MAC. */
const MIN_BODY = 1 + IV_LENGTH + 16 + MAC_LENGTH;

/** A provisioning envelope that fails its format, version or MAC check. */
export class ProvisioningMessageError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_PROVISIONING_MESSAGE', message, options);
  }
}

/** What sealing needs besides the message: fresh randomness, supplied by the caller. */
export interface ProvisioningRandomness {
  /** 32 random bytes: the ephemeral X25519 private key (clamped here). */
  ephemeralPrivateKey: Uint8Array;
  /** 16 random bytes: the AES-CBC iv. */
  iv: Uint8Array;
}

function deriveKeys(shared: Uint8Array): { aesKey: Uint8Array; macKey: Uint8Array } {
  const okm = hkdfSha256(shared, new Uint8Array(32), INFO, 64);
  return { aesKey: okm.slice(0, 32), macKey: okm.slice(32, 64) };
}

/**
 * Seals `message` to `recipientPublicKey` (serialized, 0x05 ‖ 32 bytes) and
 * returns the serialized `ProvisionEnvelope`.
 */
export function sealProvisioningMessage(recipientPublicKey: Uint8Array, message: Uint8Array, randomness: ProvisioningRandomness): Uint8Array {
  const ephemeral = curveKeyPairFromPrivate(randomness.ephemeralPrivateKey);
  const { aesKey, macKey } = deriveKeys(curveAgree(ephemeral.privateKey, recipientPublicKey));
  const versionIvCiphertext = concatBytes(Uint8Array.of(PROVISIONING_CIPHER_VERSION), randomness.iv, aes256CbcEncrypt(aesKey, randomness.iv, message));
  const body = concatBytes(versionIvCiphertext, hmacSha256(macKey, versionIvCiphertext));
  return toBinary(ProvisionEnvelopeSchema, create(ProvisionEnvelopeSchema, { publicKey: ephemeral.publicKey, body }));
}

/**
 * Opens a serialized `ProvisionEnvelope` with the new device's one-time
 * private key. Throws `ProvisioningMessageError` for a malformed envelope, a
 * wrong version, a wrong MAC (checked in constant time before decrypting)
 * or bad padding. The result is a fresh copy.
 */
export function openProvisioningMessage(ourPrivateKey: Uint8Array, envelopeBytes: Uint8Array): Uint8Array {
  let envelope;
  try {
    envelope = fromBinary(ProvisionEnvelopeSchema, envelopeBytes);
  } catch (e) {
    throw new ProvisioningMessageError('provisioning envelope is not a valid ProvisionEnvelope', { cause: e });
  }
  const body = envelope.body;
  if (body.length < MIN_BODY) throw new ProvisioningMessageError(`provisioning body is too short (${body.length} bytes)`);
  if (body[0] !== PROVISIONING_CIPHER_VERSION) throw new ProvisioningMessageError(`provisioning body has version ${body[0]}, expected ${PROVISIONING_CIPHER_VERSION}`);
  let shared: Uint8Array;
  try {
    shared = curveAgree(ourPrivateKey, envelope.publicKey);
  } catch (e) {
    throw new ProvisioningMessageError('provisioning envelope carries an invalid public key', { cause: e });
  }
  const { aesKey, macKey } = deriveKeys(shared);
  const versionIvCiphertext = body.subarray(0, body.length - MAC_LENGTH);
  if (!constantTimeEqual(hmacSha256(macKey, versionIvCiphertext), body.subarray(body.length - MAC_LENGTH))) {
    throw new ProvisioningMessageError('provisioning message MAC does not match');
  }
  try {
    return aes256CbcDecrypt(aesKey, body.slice(1, 1 + IV_LENGTH), body.slice(1 + IV_LENGTH, body.length - MAC_LENGTH));
  } catch (e) {
    throw new ProvisioningMessageError('provisioning message does not decrypt', { cause: e });
  }
}
