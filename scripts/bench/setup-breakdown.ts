/**
 * Per-call costs of the pieces of one session setup (issue 19): Kyber1024
 * keygen / encapsulation / decapsulation, SPQR's ML-KEM-768 pieces, the
 * base-key canonical check, X25519, and the whole bench setup for scale.
 * Median and min of 5 rounds, wall clock; run under the same load as the
 * numbers it is compared with.
 *
 *   npx tsx scripts/bench/setup-breakdown.ts
 */
import { performance } from 'node:perf_hooks';
import { kyber1024KeyGen, kyber1024Encapsulate, kyber1024Decapsulate } from '../../packages/protocol/src/primitives/kem-kyber1024.ts';
import { generateKeys, encaps1, encaps2, decaps } from '../../packages/protocol/src/spqr/incremental-mlkem768.ts';
import { generateCurveKeyPair, isCanonicalCurvePublicKey, curveAgree } from '../../packages/protocol/src/keys/curve-key.ts';
import { sealpost } from './ours.ts';
import { randomBytes } from 'node:crypto';

function time(name: string, n: number, f: () => unknown) {
  for (let i = 0; i < Math.min(n, 20); i++) f();
  const rs: number[] = [];
  for (let r = 0; r < 5; r++) { const t = performance.now(); for (let i = 0; i < n; i++) f(); rs.push((performance.now() - t) / n * 1000); }
  rs.sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} ${rs[2]!.toFixed(1)} µs (min ${rs[0]!.toFixed(1)})`);
}
const kp = kyber1024KeyGen();
const enc = kyber1024Encapsulate(kp.publicKey);
time('kyber1024 keygen', 50, () => kyber1024KeyGen());
time('kyber1024 encaps', 50, () => kyber1024Encapsulate(kp.publicKey));
time('kyber1024 decaps', 50, () => kyber1024Decapsulate(kp.secretKey, enc.ciphertext));
const seed = new Uint8Array(randomBytes(64));
const keys = generateKeys(seed);
time('mlkem768 generateKeys', 50, () => generateKeys(new Uint8Array(randomBytes(64))));
const m = new Uint8Array(randomBytes(32));
const e1 = encaps1(keys.hdr, m);
time('mlkem768 encaps1', 50, () => encaps1(keys.hdr, m));
time('mlkem768 encaps2', 50, () => encaps2(keys.ek, e1.es));
const ct2 = encaps2(keys.ek, e1.es);
time('mlkem768 decaps', 50, () => decaps(keys.dk, e1.ct1, ct2));
const a = generateCurveKeyPair(); const b = generateCurveKeyPair();
time('isCanonicalCurvePublicKey', 100, () => isCanonicalCurvePublicKey(a.publicKey));
time('curveAgree (cached)', 100, () => curveAgree(a.privateKey, b.publicKey));
time('curveAgree (fresh pub)', 100, () => curveAgree(a.privateKey, generateCurveKeyPair().publicKey));
time('generateCurveKeyPair', 100, () => generateCurveKeyPair());
const impl = sealpost(true);
await impl.prepareSetups!(2000);
let idx = 0;
time('full setupOnce (spqr)', 100, () => impl.setupOnce!(idx++));
