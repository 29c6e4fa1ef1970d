import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isCanonicalCurvePublicKey, serializeCurvePublicKey } from '../../src/keys/curve-key.ts';
import { bytesToNumberLE, numberToBytesLE32, randomBytes, x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { clampPrivateKey } from '../../src/primitives/x25519.ts';
import {
  CURVE25519_L as L,
  isTorsionFreeULadder,
  isTorsionFreeUReference,
  TORSION_CHECK_SCALAR,
} from '../../src/primitives/curve25519-subgroup.ts';

const Point = ed25519.Point;
const Fp = Point.Fp;
const P = Fp.ORDER;
const A = 486662n;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}
function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}
/** Miller-Rabin with fixed bases: enough to confirm a published prime. */
function probablyPrime(n: bigint): boolean {
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) [d, s] = [d >> 1n, s + 1];
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

/** u = (1 + y) / (1 − y) of an Edwards point (not the identity). */
function uOf(point: InstanceType<typeof Point>): Uint8Array {
  const { y } = point.toAffine();
  return numberToBytesLE32(Fp.mul(Fp.add(1n, y), Fp.inv(Fp.sub(1n, y))));
}

/** A generator of E[8]: [L]R for random points R until the result has order 8. */
function torsionGenerator(): InstanceType<typeof Point> {
  for (;;) {
    const y = randomBytes(32);
    y[31]! &= 0x7f;
    let r;
    try {
      r = Point.fromBytes(y, true);
    } catch {
      continue;
    }
    const t = r.multiplyUnsafe(L - 1n).add(r); // [L]R (noble refuses the scalar L itself)
    if (!t.multiplyUnsafe(4n).is0()) return t;
  }
}

describe('prime-order subgroup check of a Montgomery u (curve25519-subgroup.ts)', () => {
  it('the number facts its proof rests on', () => {
    const k = bytesToNumberLE(TORSION_CHECK_SCALAR);
    expect(k).toBe(5n * L - 1n);
    expect(Array.from(clampPrivateKey(TORSION_CHECK_SCALAR))).toEqual(Array.from(TORSION_CHECK_SCALAR)); // clamping keeps it
    expect(k % 8n).toBe(0n);
    expect((k + 1n) % L).toBe(0n);
    // The twist has 2(p + 1) − 8L points = 4·L' with L' prime.
    const twistOrder = 2n * (P + 1n) - 8n * L;
    expect(twistOrder % 4n).toBe(0n);
    const lPrime = twistOrder / 4n;
    expect(probablyPrime(lPrime)).toBe(true);
    expect(probablyPrime(L)).toBe(true);
    expect(gcd(twistOrder, k + 1n)).toBe(1n);
    expect(gcd(twistOrder, k - 1n)).toBe(1n);
    // u = −1 is on the twist: u³ + Au² + u = A − 2 is not a square.
    expect(modPow(A - 2n, (P - 1n) / 2n, P)).toBe(P - 1n);
  });

  it('ladder and Edwards reference agree: real keys, keys plus every torsion point, small-order u, random u, u = −1', () => {
    const t8 = torsionGenerator();
    const cases: { u: Uint8Array; expected?: boolean }[] = [];
    for (let i = 0; i < 12; i++) {
      const pub = x25519GenerateKeyPair().publicKey;
      cases.push({ u: pub, expected: true });
      const edwards = Point.fromBytes(numberToBytesLE32(Fp.mul(Fp.sub(bytesToNumberLE(pub), 1n), Fp.inv(Fp.add(bytesToNumberLE(pub), 1n)))), true);
      for (let j = 1n; j < 8n; j++) cases.push({ u: uOf(edwards.add(t8.multiplyUnsafe(j))), expected: false });
    }
    for (let j = 1n; j < 8n; j++) cases.push({ u: uOf(t8.multiplyUnsafe(j)), expected: false }); // u = 0, 1 and the order-8 u's
    for (let i = 0; i < 120; i++) {
      const u = randomBytes(32);
      u[31]! &= 0x7f;
      if (bytesToNumberLE(u) < P) cases.push({ u });
    }
    cases.push({ u: numberToBytesLE32(P - 1n), expected: false });
    let accepted = 0;
    for (const { u, expected } of cases) {
      const reference = isTorsionFreeUReference(u);
      expect(isTorsionFreeULadder(u)).toBe(reference);
      if (expected !== undefined) expect(reference).toBe(expected);
      if (reference) accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(12);
    expect(accepted).toBeLessThan(cases.length / 2);
  });

  it('isCanonicalCurvePublicKey keeps its answers (range checks first, then the subgroup)', () => {
    const pub = x25519GenerateKeyPair().publicKey;
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(pub))).toBe(true);
    const high = pub.slice();
    high[31]! |= 0x80;
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(high))).toBe(false);
    // u + p (only possible for u < 19): not reduced, refused before the subgroup check.
    const nine = numberToBytesLE32(9n); // the base point's u: in the subgroup
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(nine))).toBe(true);
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(numberToBytesLE32(9n + P)))).toBe(false);
  });
});
