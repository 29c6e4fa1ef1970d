/**
 * ECVRF-EDWARDS25519-SHA512-TAI against RFC 9381 Appendix B.3 (every value
 * of test/vectors/rfc9381-ecvrf.json, intermediates included), and its
 * rejections: every single-bit flip of a proof, another alpha, another
 * key, small-order keys, a non-canonical Gamma, an unreduced s.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, primitivesBackend, toHex } from '@sealpost/protocol/primitives';
import { KeyTransparencyError } from '../src/errors.ts';
import { VRF_PROOF_SIZE, vrfOutput, vrfProofToHash, vrfProve, vrfProveTrace, vrfPublicKey, vrfVerify } from '../src/vrf.ts';

interface VrfCase { name: string; sk: string; pk: string; alpha: string; x: string; ctr: number; h: string; kString: string; u: string; v: string; pi: string; beta: string }
const file = JSON.parse(readFileSync(new URL('./vectors/rfc9381-ecvrf.json', import.meta.url), 'utf8')) as { source: string; cases: VrfCase[] };

function rejects(run: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KeyTransparencyError);
  expect((error as KeyTransparencyError).code).toBe('VRF_PROOF_INVALID');
  if (message !== undefined) expect((error as Error).message).toMatch(message);
}

describe('RFC 9381 Appendix B.3 known answers', () => {
  it('run on the primitives backend the project selected (node, or web in the web-primitives project)', () => {
    expect(primitivesBackend).toBe(process.env['SEALPOST_EXPECT_PRIMITIVES_BACKEND'] ?? 'node');
  });
  it('names its source and holds Examples 16–18', () => {
    expect(file.source).toMatch(/^RFC 9381 .*Appendix B\.3/);
    expect(file.cases.map((c) => c.name)).toEqual(['Example 16', 'Example 17', 'Example 18']);
  });
  for (const c of file.cases) {
    it(`${c.name}: every intermediate value, pi and beta byte-exact; verify returns beta`, () => {
      const sk = fromHex(c.sk);
      const alpha = fromHex(c.alpha);
      expect(toHex(vrfPublicKey(sk))).toBe(c.pk);
      const t = vrfProveTrace(sk, alpha);
      expect({ x: toHex(t.x), ctr: t.ctr, h: toHex(t.h), kString: toHex(t.kString), u: toHex(t.u), v: toHex(t.v), pi: toHex(t.pi) }).toEqual({
        x: c.x, ctr: c.ctr, h: c.h, kString: c.kString, u: c.u, v: c.v, pi: c.pi,
      });
      expect(toHex(vrfProve(sk, alpha))).toBe(c.pi);
      expect(toHex(vrfProofToHash(fromHex(c.pi)))).toBe(c.beta);
      expect(toHex(vrfVerify(fromHex(c.pk), alpha, fromHex(c.pi)))).toBe(c.beta);
      expect(toHex(vrfOutput(fromHex(c.beta)))).toBe(c.beta.slice(0, 64));
    });
  }
});

describe('rejections', () => {
  const [c16, c17, c18] = file.cases as [VrfCase, VrfCase, VrfCase];
  // One bit flipped at every byte of every proof (a different bit at each position); the
  // web-primitives rerun does Example 16 only; both also flip all 8 bits of the edge bytes of Gamma, c and s.
  const web = process.env['SEALPOST_EXPECT_PRIMITIVES_BACKEND'] === 'web';
  it('a flipped bit at every byte of each proof is rejected', () => {
    let rejected = 0;
    for (const c of web ? [c16] : [c16, c17, c18]) {
      for (let i = 0; i < VRF_PROOF_SIZE; i++) {
        const m = fromHex(c.pi);
        m[i]! ^= 1 << (i % 8);
        rejects(() => vrfVerify(fromHex(c.pk), fromHex(c.alpha), m));
        rejected++;
      }
    }
    expect(rejected).toBe(web ? 80 : 240);
  });
  it('all 8 single-bit flips of the first byte of Gamma, c and s and of the last byte are rejected', () => {
    for (const i of [0, 31, 32, 47, 48, 79]) {
      for (let bit = 0; bit < 8; bit++) {
        const m = fromHex(c16.pi);
        m[i]! ^= 1 << bit;
        rejects(() => vrfVerify(fromHex(c16.pk), fromHex(c16.alpha), m));
      }
    }
  });
  it('a proof does not verify for another alpha or under another key', () => {
    rejects(() => vrfVerify(fromHex(c16.pk), fromHex('00'), fromHex(c16.pi)), /does not verify/);
    rejects(() => vrfVerify(fromHex(c17.pk), fromHex(c16.alpha), fromHex(c16.pi)), /does not verify/);
  });
  it('small-order public keys are refused (validate_key)', () => {
    for (const pk of [
      '0100000000000000000000000000000000000000000000000000000000000000',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      '0000000000000000000000000000000000000000000000000000000000000000',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    ]) {
      rejects(() => vrfVerify(fromHex(pk), fromHex(c16.alpha), fromHex(c16.pi)), /small order/);
    }
  });
  it('a non-canonical Gamma encoding (y ≥ p) is refused, by proof-to-hash too', () => {
    const pi = fromHex(c16.pi);
    // y = p + 1 = 2^255 − 18: the identity's y, not reduced
    pi.set(fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 0);
    rejects(() => vrfProofToHash(pi), /Gamma is not a point/);
    rejects(() => vrfVerify(fromHex(c16.pk), fromHex(c16.alpha), pi), /Gamma is not a point/);
  });
  it('an unreduced s (s + q) is refused', () => {
    const pi = fromHex(c16.pi);
    let s = 0n;
    for (let i = 79; i >= 48; i--) s = (s << 8n) | BigInt(pi[i]!);
    s += 2n ** 252n + 27742317777372353535851937790883648493n;
    for (let i = 48; i < 80; i++) {
      pi[i] = Number(s & 0xffn);
      s >>= 8n;
    }
    rejects(() => vrfVerify(fromHex(c16.pk), fromHex(c16.alpha), pi), /not reduced/);
  });
  it('wrong lengths are typed errors', () => {
    rejects(() => vrfVerify(fromHex(c16.pk).subarray(1), new Uint8Array(0), fromHex(c16.pi)));
    rejects(() => vrfVerify(fromHex(c16.pk), new Uint8Array(0), fromHex(c16.pi).subarray(1)));
    expect(() => vrfProve(new Uint8Array(31), new Uint8Array(0))).toThrow(KeyTransparencyError);
  });
});
