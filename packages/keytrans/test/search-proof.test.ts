/**
 * The client's combined check: label → (version, value, opening) against a
 * witnessed checkpoint. Property-tested over random logs (random labels,
 * batches, versions): every honest proof verifies with the right version
 * and value, at the latest and at older tree heads; every single-byte
 * mutation of an encoded proof is rejected; proofs do not transfer to
 * another label, VRF key or checkpoint; the clock window holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '@sealpost/protocol/primitives';
import { signCheckpoint } from '../src/checkpoint.ts';
import { ed25519Cosigner } from '../src/cosignature.ts';
import { KtDirectory } from '../src/directory.ts';
import { KeyTransparencyError } from '../src/errors.ts';
import { addNoteSignatures, ed25519NoteSigner } from '../src/signed-note.ts';
import { decodeSearchProof, encodeSearchProof, verifySearchProof } from '../src/search-proof.ts';
import { vrfPublicKey } from '../src/vrf.ts';
import { parseWitnessPolicy, verifyWitnessedCheckpoint } from '../src/witness-policy.ts';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const VRF_SK = seed(7);
const VRF_PK = vrfPublicKey(VRF_SK);
const ORIGIN = 'kt.sealpost.example/sealpost-kt/00112233aabbccdd';
const T0 = 1_790_000_000_000;

function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KeyTransparencyError);
    return (e as KeyTransparencyError).code;
  }
}

const label = (n: number): Uint8Array => utf8Encode(`a${String(n).padStart(16, '0')}`);
const value = (n: number, v: number): Uint8Array => utf8Encode(`identity key of ${n}, version ${v}`);

/** A directory built from batches of label numbers, each batch one log entry one second apart. */
function build(batches: number[][]): { dir: KtDirectory; versions: Map<number, number[]> } {
  const dir = new KtDirectory(VRF_SK);
  const versions = new Map<number, number[]>(); // label → entry position of each version
  batches.forEach((batch, pos) => {
    const updates = batch.map((n) => {
      const v = (versions.get(n) ?? []).length;
      versions.set(n, [...(versions.get(n) ?? []), pos]);
      return { label: label(n), value: value(n, v) };
    });
    dir.update(updates, T0 + pos * 1000);
  });
  return { dir, versions };
}

describe('search proofs against a witnessed checkpoint', () => {
  it('end to end: log-signed, 2-of-3 cosigned checkpoint, then the lookup', () => {
    const { dir } = build([[1, 2], [3], [1], [4, 5, 1]]);
    const log = ed25519NoteSigner(ORIGIN, seed(1));
    const ws = [1, 2, 3].map((i) => ed25519Cosigner(`w${i}.example`, seed(20 + i), () => Math.floor((T0 + 4000) / 1000)));
    const policy = parseWitnessPolicy([`log ${log.vkey}`, ...ws.map((w, i) => `witness W${i} ${w.vkey}`), 'group g 2 W0 W1 W2', 'quorum g'].join('\n'));
    const note = addNoteSignatures(signCheckpoint(dir.checkpoint(ORIGIN), log), ws.slice(1));
    const { checkpoint } = verifyWitnessedCheckpoint(note, policy, { origin: ORIGIN, now: Math.floor((T0 + 5000) / 1000), maxAgeSeconds: 600 });
    const proof = encodeSearchProof(dir.searchProof(label(1)));
    const r = verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(1), proof, now: T0 + 5000 });
    expect(r.version).toBe(2);
    expect(new TextDecoder().decode(r.value)).toBe('identity key of 1, version 2');
    expect(r.position).toBe(3);
    expect(r.timestamp).toBe(T0 + 3000);
    expect(proof.length).toBeLessThan(700);
  });

  const batches = fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 });

  it('honest proofs verify at every tree head for every label present there (property)', () => {
    fc.assert(
      fc.property(batches, (bs) => {
        const { dir, versions } = build(bs);
        for (let size = 1; size <= dir.size; size++) {
          const checkpoint = dir.checkpoint(ORIGIN, size);
          for (const [n, positions] of versions) {
            const present = positions.filter((p) => p < size).length;
            if (present === 0) continue;
            const proof = encodeSearchProof(dir.searchProof(label(n), size));
            expect(decodeSearchProof(proof)).toEqual(dir.searchProof(label(n), size));
            const r = verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(n), proof });
            expect(r.version).toBe(present - 1);
            expect(r.value).toEqual(value(n, present - 1));
          }
        }
      }),
      { numRuns: 3 },
    );
  });

  it('every single-byte mutation of an encoded proof is rejected (property)', () => {
    fc.assert(
      fc.property(batches, fc.integer({ min: 1, max: 255 }), fc.nat(), (bs, xor, pick) => {
        const { dir, versions } = build(bs);
        const ns = [...versions.keys()];
        const n = ns[pick % ns.length]!;
        const checkpoint = dir.checkpoint(ORIGIN);
        const proof = encodeSearchProof(dir.searchProof(label(n)));
        verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(n), proof });
        for (let i = 0; i < proof.length; i++) {
          const m = proof.slice();
          m[i]! ^= xor;
          expect(code(() => verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(n), proof: m }))).toBeDefined();
        }
        expect(code(() => verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(n), proof: proof.subarray(1) }))).toBeDefined();
        expect(code(() => verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(n), proof: new Uint8Array([...proof, 0]) }))).toBe('MALFORMED');
      }),
      { numRuns: 2 },
    );
  });

  it('a proof does not transfer to another label, VRF key, checkpoint or clock', () => {
    const { dir } = build([[1, 2], [1], [2]]);
    const checkpoint = dir.checkpoint(ORIGIN);
    const proof = encodeSearchProof(dir.searchProof(label(1)));
    const ok = { checkpoint, vrfPublicKey: VRF_PK, label: label(1), proof };
    expect(verifySearchProof(ok).version).toBe(1);
    expect(code(() => verifySearchProof({ ...ok, label: label(2) }))).toBe('INCLUSION_PROOF_INVALID');
    expect(code(() => verifySearchProof({ ...ok, vrfPublicKey: vrfPublicKey(seed(8)) }))).toBe('VRF_PROOF_INVALID');
    expect(code(() => verifySearchProof({ ...ok, checkpoint: dir.checkpoint(ORIGIN, 2) }))).toBe('INCLUSION_PROOF_INVALID');
    expect(code(() => verifySearchProof({ ...ok, checkpoint: { ...checkpoint, size: 0 } }))).toBe('SEARCH_PROOF_INVALID');
    // the entry is at T0 + 2000
    expect(verifySearchProof({ ...ok, now: T0 + 2000 + 3_600_000 }).version).toBe(1);
    expect(code(() => verifySearchProof({ ...ok, now: T0 + 2000 + 3_600_001 }))).toBe('SEARCH_PROOF_INVALID');
    expect(code(() => verifySearchProof({ ...ok, now: T0 + 2000 - 300_001 }))).toBe('SEARCH_PROOF_INVALID');
    expect(verifySearchProof({ ...ok, now: T0, maxAheadMs: 2000 }).version).toBe(1);
  });

  it('an older version of the label (a rolled-back answer) is refused', () => {
    const { dir } = build([[1], [1]]);
    const stale = dir.searchProof(label(1), 1); // version 0, from the first tree head
    const checkpoint = dir.checkpoint(ORIGIN);
    // re-anchor the stale answer on the latest entry: version 1 is present there, so "version 0 is the greatest" fails
    const latest = dir.searchProof(label(1));
    const forged = encodeSearchProof({ ...stale, entry: latest.entry, inclusion: latest.inclusion });
    expect(code(() => verifySearchProof({ checkpoint, vrfPublicKey: VRF_PK, label: label(1), proof: forged }))).toBe('INCLUSION_PROOF_INVALID');
  });
});
