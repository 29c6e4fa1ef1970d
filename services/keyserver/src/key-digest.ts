/**
 * The key-consistency digest a device compares with the server's, so that a
 * server (or insider) that swapped its long-lived keys is noticed. Same
 * encoding as Signal-Server's `/v2/keys/check`:
 *
 *     SHA-256( identityKey (33 bytes, 0x05 ‖ u)
 *            ‖ signedPreKeyId (8 bytes, big-endian) ‖ signedPreKey (33 bytes)
 *            ‖ lastResortKeyId (8 bytes, big-endian) ‖ lastResortKey (1569 bytes, 0x08 ‖ pk) )
 */
import { createHash } from 'node:crypto';

/** The keys the digest covers. */
export interface LongTermKeys {
  identityKey: Uint8Array;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  lastResortKeyId: number;
  lastResortKey: Uint8Array;
}

function u64be(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Computes the 32-byte key-consistency digest. */
export function longTermKeyDigest(k: LongTermKeys): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(k.identityKey)
      .update(u64be(k.signedPreKeyId))
      .update(k.signedPreKey)
      .update(u64be(k.lastResortKeyId))
      .update(k.lastResortKey)
      .digest(),
  );
}
