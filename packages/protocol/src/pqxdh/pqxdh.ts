/**
 * PQXDH key agreement as libsignal v0.90.0 performs it (ratchet.rs):
 *
 *   secret input = 0xFF * 32                      ("discontinuity bytes")
 *                || DH(IK_A, SPK_B) || DH(EK_A, IK_B) || DH(EK_A, SPK_B)
 *                [|| DH(EK_A, OPK_B)]              (if a one-time prekey was used)
 *                || SS                             (Kyber1024 shared secret)
 *
 *   R_0 (32) || C_0 (32) || PQR auth key (32)
 *     = HKDF-SHA256(salt = none, ikm = secret input,
 *                   info = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024", 96)
 *
 * The third output keys SPQR, which we do not run; it is returned for
 * completeness (vectors) and otherwise unused.
 */
import { checkBytes, concatBytes, hkdfSha256 } from '../primitives/index.ts';
import { curveAgree } from '../keys/curve-key.ts';

const PQXDH_INFO = new TextEncoder().encode('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024');
const NO_SALT = new Uint8Array(0);
const DISCONTINUITY = new Uint8Array(32).fill(0xff);

/** The keys PQXDH yields: initial root key R_0, chain key C_0, SPQR auth key. */
export interface PqxdhKeys {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly pqrKey: Uint8Array;
}

/** Initiator (Alice) inputs; public keys 0x05-prefixed, private keys 32 bytes. */
export interface PqxdhInitiatorInputs {
  readonly ourIdentityPrivate: Uint8Array;
  readonly ourBasePrivate: Uint8Array;
  readonly theirIdentityKey: Uint8Array;
  readonly theirSignedPreKey: Uint8Array;
  readonly theirOneTimePreKey?: Uint8Array | undefined;
  /** The Kyber1024 shared secret from encapsulating to their Kyber prekey. */
  readonly kemSharedSecret: Uint8Array;
}

/** Responder (Bob) inputs; public keys 0x05-prefixed, private keys 32 bytes. */
export interface PqxdhResponderInputs {
  readonly ourIdentityPrivate: Uint8Array;
  readonly ourSignedPreKeyPrivate: Uint8Array;
  readonly ourOneTimePreKeyPrivate?: Uint8Array | undefined;
  readonly theirIdentityKey: Uint8Array;
  readonly theirBaseKey: Uint8Array;
  /** The Kyber1024 shared secret from decapsulating their ciphertext. */
  readonly kemSharedSecret: Uint8Array;
}

/** The initiator's PQXDH secret input (before HKDF). */
export function pqxdhInitiatorSecretInput(i: PqxdhInitiatorInputs): Uint8Array {
  checkBytes('KEM shared secret', i.kemSharedSecret, 32);
  const parts = [
    DISCONTINUITY,
    curveAgree(i.ourIdentityPrivate, i.theirSignedPreKey),
    curveAgree(i.ourBasePrivate, i.theirIdentityKey),
    curveAgree(i.ourBasePrivate, i.theirSignedPreKey),
  ];
  if (i.theirOneTimePreKey !== undefined) parts.push(curveAgree(i.ourBasePrivate, i.theirOneTimePreKey));
  parts.push(i.kemSharedSecret);
  return concatBytes(...parts);
}

/** The responder's PQXDH secret input (equal to the initiator's). */
export function pqxdhResponderSecretInput(r: PqxdhResponderInputs): Uint8Array {
  checkBytes('KEM shared secret', r.kemSharedSecret, 32);
  const parts = [
    DISCONTINUITY,
    curveAgree(r.ourSignedPreKeyPrivate, r.theirIdentityKey),
    curveAgree(r.ourIdentityPrivate, r.theirBaseKey),
    curveAgree(r.ourSignedPreKeyPrivate, r.theirBaseKey),
  ];
  if (r.ourOneTimePreKeyPrivate !== undefined) parts.push(curveAgree(r.ourOneTimePreKeyPrivate, r.theirBaseKey));
  parts.push(r.kemSharedSecret);
  return concatBytes(...parts);
}

/** HKDF of a secret input into R_0, C_0 and the SPQR key. */
export function derivePqxdhKeys(secretInput: Uint8Array): PqxdhKeys {
  checkBytes('PQXDH secret input', secretInput);
  const okm = hkdfSha256(secretInput, NO_SALT, PQXDH_INFO, 96);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64), pqrKey: okm.slice(64, 96) };
}

/** Initiator agreement: inputs -> keys. */
export function pqxdhInitiator(i: PqxdhInitiatorInputs): PqxdhKeys {
  return derivePqxdhKeys(pqxdhInitiatorSecretInput(i));
}

/** Responder agreement: inputs -> keys. */
export function pqxdhResponder(r: PqxdhResponderInputs): PqxdhKeys {
  return derivePqxdhKeys(pqxdhResponderSecretInput(r));
}
