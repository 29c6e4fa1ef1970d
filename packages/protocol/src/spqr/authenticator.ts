/**
 * The braid's authenticator: a root key and a MAC key, re-keyed every epoch,
 * that MAC the ML-KEM header (before the epoch's update) and the ciphertext
 * (after it). Values are immutable; update returns a new authenticator.
 */
import { ascii, concat, ctEqual, hkdf, hmac, u64be, ZERO32 } from './crypto.ts';
import { SpqrError } from './errors.ts';
import { LABEL_AUTH_UPDATE, LABEL_CT_MAC, LABEL_HDR_MAC } from './labels.ts';

export const MAC_SIZE = 32;

export interface Authenticator {
  rootKey: Uint8Array;
  macKey: Uint8Array;
}

/** HKDF(salt=0³², ikm=root‖k, info=label‖u64be(epoch), 64) → root ‖ mac. */
export function authenticatorUpdate(auth: Authenticator, epoch: bigint, k: Uint8Array): Authenticator {
  const out = hkdf(ZERO32, concat(auth.rootKey, k), concat(ascii(LABEL_AUTH_UPDATE), u64be(epoch)), 64);
  return { rootKey: out.slice(0, 32), macKey: out.slice(32, 64) };
}

/** The authenticator at the start of a braid: zero keys updated with auth_key. */
export function newAuthenticator(authKey: Uint8Array, epoch: bigint): Authenticator {
  return authenticatorUpdate({ rootKey: ZERO32, macKey: ZERO32 }, epoch, authKey);
}

export function macHeader(auth: Authenticator, epoch: bigint, hdr: Uint8Array): Uint8Array {
  return hmac(auth.macKey, ascii(LABEL_HDR_MAC), u64be(epoch), hdr);
}

export function macCiphertext(auth: Authenticator, epoch: bigint, ct: Uint8Array): Uint8Array {
  return hmac(auth.macKey, ascii(LABEL_CT_MAC), u64be(epoch), ct);
}

export function verifyHeader(auth: Authenticator, epoch: bigint, hdr: Uint8Array, mac: Uint8Array): void {
  if (!ctEqual(macHeader(auth, epoch, hdr), mac)) throw new SpqrError('MacVerifyFailed', 'header MAC does not verify');
}

export function verifyCiphertext(auth: Authenticator, epoch: bigint, ct: Uint8Array, mac: Uint8Array): void {
  if (!ctEqual(macCiphertext(auth, epoch, ct), mac)) throw new SpqrError('MacVerifyFailed', 'ciphertext MAC does not verify');
}
