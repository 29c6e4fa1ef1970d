/**
 * x25519.ts memoizes imported KeyObjects per private-key array and for the
 * last few public keys. A memo must never change a result: these tests
 * rewrite arrays in place and cycle through more public keys than the memo
 * holds, checking every agreement against RFC 7748's §6.1 vector and
 * against the other direction.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, x25519Agree, x25519GenerateKeyPair, x25519PublicKey } from '../../src/primitives/index.ts';

interface DhVector {
  alicePrivate: string;
  alicePublic: string;
  bobPrivate: string;
  bobPublic: string;
  shared: string;
}
// RFC 7748 §6.1, from the published vector file.
const vectorFile = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../../test-vectors/rfc7748-x25519.json', import.meta.url)), 'utf8'),
) as { diffieHellman: DhVector[] };
const {
  alicePrivate: ALICE_PRIVATE,
  alicePublic: ALICE_PUBLIC,
  bobPrivate: BOB_PRIVATE,
  bobPublic: BOB_PUBLIC,
  shared: SHARED,
} = vectorFile.diffieHellman[0]!;

describe('x25519 KeyObject memo', () => {
  it('follows a private-key array rewritten in place', () => {
    const key = fromHex(ALICE_PRIVATE);
    expect(toHex(x25519PublicKey(key))).toBe(ALICE_PUBLIC);
    expect(toHex(x25519Agree(key, fromHex(BOB_PUBLIC)))).toBe(SHARED);
    key.set(fromHex(BOB_PRIVATE));
    expect(toHex(x25519PublicKey(key))).toBe(BOB_PUBLIC);
    expect(toHex(x25519Agree(key, fromHex(ALICE_PUBLIC)))).toBe(SHARED);
  });

  it('gives the right agreement while cycling through more public keys than it keeps', () => {
    const ours = x25519GenerateKeyPair();
    const peers = Array.from({ length: 7 }, () => x25519GenerateKeyPair());
    for (let round = 0; round < 3; round++) {
      for (const peer of peers) {
        expect(toHex(x25519Agree(ours.privateKey, peer.publicKey))).toBe(toHex(x25519Agree(peer.privateKey, ours.publicKey)));
      }
    }
  });

  it('treats equal bytes in different arrays as the same key', () => {
    const a = fromHex(ALICE_PRIVATE);
    const b = fromHex(ALICE_PRIVATE);
    expect(toHex(x25519Agree(a, fromHex(BOB_PUBLIC)))).toBe(SHARED);
    expect(toHex(x25519Agree(b, fromHex(BOB_PUBLIC)))).toBe(SHARED);
  });

  it('fresh pairs are clamped and consistent with their re-imported bytes', () => {
    for (let i = 0; i < 20; i++) {
      const pair = x25519GenerateKeyPair();
      expect(pair.privateKey[0]! & 7).toBe(0);
      expect(pair.privateKey[31]! & 0xc0).toBe(0x40);
      // A copy is a different array, so this derives the public key from the bytes alone.
      expect(toHex(x25519PublicKey(Uint8Array.from(pair.privateKey)))).toBe(toHex(pair.publicKey));
      const peer = x25519GenerateKeyPair();
      expect(toHex(x25519Agree(pair.privateKey, peer.publicKey))).toBe(toHex(x25519Agree(Uint8Array.from(peer.privateKey), pair.publicKey)));
    }
  });
});
