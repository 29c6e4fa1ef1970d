/**
 * The key-consistency digest a device compares with the server's, so that a
 * server (or insider) that swapped its long-lived keys is noticed. Same
 * encoding as Signal-Server's `/v2/keys/check`:
 *
 *     SHA-256( identityKey (33 bytes, 0x05 ‖ u)
 *            ‖ signedPreKeyId (8 bytes, big-endian) ‖ signedPreKey (33 bytes)
 *            ‖ lastResortKeyId (8 bytes, big-endian) ‖ lastResortKey (1569 bytes, 0x08 ‖ pk) )
 */
import { sha256 } from '@sealpost/protocol/primitives';

/** The keys the digest covers. */
export interface LongTermKeys {
  identityKey: Uint8Array;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  lastResortKeyId: number;
  lastResortKey: Uint8Array;
}

function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** Computes the 32-byte key-consistency digest. */
export function longTermKeyDigest(k: LongTermKeys): Uint8Array {
  return sha256(k.identityKey, u64be(k.signedPreKeyId), k.signedPreKey, u64be(k.lastResortKeyId), k.lastResortKey);
}
