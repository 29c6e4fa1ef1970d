/**
 * C2SP checkpoints, cosignature/v1 and tlog-policy quorums: strict
 * checkpoint text, a log-signed checkpoint cosigned by witnesses and
 * checked against k-of-n policies (nested groups, `none`, freshness with an
 * injected clock), and the policy file rules.
 */
import { describe, expect, it } from 'vitest';
import { toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import { type Checkpoint, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from '../src/checkpoint.ts';
import { cosignatureMessage, ed25519CosignatureVerifier, ed25519Cosigner } from '../src/cosignature.ts';
import { KeyTransparencyError } from '../src/errors.ts';
import { MemoryLeafStore, treeRoot } from '../src/log-tree.ts';
import { addNoteSignatures, ed25519NoteSigner, ed25519NoteVerifier, parseNote } from '../src/signed-note.ts';
import { parseWitnessPolicy, quorumSatisfied, verifyWitnessedCheckpoint } from '../src/witness-policy.ts';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KeyTransparencyError);
    return (e as KeyTransparencyError).code;
  }
}

const ORIGIN = 'sealpost.example/sealpost-kt/0123456789abcdef';
const log = ed25519NoteSigner(ORIGIN, seed(1));
const store = new MemoryLeafStore();
for (let i = 0; i < 13; i++) store.append(utf8Encode(`entry ${i}`));
const cp: Checkpoint = { origin: ORIGIN, size: 13, rootHash: treeRoot(store), extensions: [] };
const NOW = 1_800_000_000;
const witnesses = [1, 2, 3].map((i) => ed25519Cosigner(`witness${i}.example/w`, seed(10 + i), () => NOW - i));

describe('checkpoints', () => {
  it('formats and parses the three lines', () => {
    const text = formatCheckpoint(cp);
    expect(text).toBe(`${ORIGIN}\n13\n${toBase64(cp.rootHash)}\n`);
    expect(parseCheckpoint(text)).toEqual(cp);
    expect(parseCheckpoint(`${text}ext line\n`).extensions).toEqual(['ext line']);
  });
  it('refuses malformed checkpoint text', () => {
    const root = toBase64(cp.rootHash);
    for (const bad of [`${ORIGIN}\n13\n`, `${ORIGIN}\n013\n${root}\n`, `${ORIGIN}\n-1\n${root}\n`, `${ORIGIN}\n13\n${root}`, `${ORIGIN}\n13\n${root.slice(0, -4)}\n`, `\n13\n${root}\n`, `${ORIGIN}\n13\n${root}\n\n`, `${ORIGIN}\n281474976710657\n${root}\n`]) {
      expect(code(() => parseCheckpoint(bad))).toBe('CHECKPOINT_INVALID');
    }
  });
  it('opens a checkpoint signed by its log, for the pinned origin only', () => {
    const note = signCheckpoint(cp, log);
    expect(openCheckpoint(note, [ed25519NoteVerifier(log.vkey)], { origin: ORIGIN }).checkpoint).toEqual(cp);
    expect(code(() => openCheckpoint(note, [ed25519NoteVerifier(log.vkey)], { origin: 'other.example/log' }))).toBe('CHECKPOINT_INVALID');
    const other = ed25519NoteSigner('other.example/log', seed(9));
    expect(code(() => openCheckpoint(signCheckpoint(cp, other), [ed25519NoteVerifier(other.vkey)]))).toBe('SIGNATURE_INVALID');
  });
});

describe('cosignature/v1', () => {
  it('signs "cosignature/v1\\ntime T\\n" ‖ checkpoint text, timestamp first in the signature', () => {
    expect(new TextDecoder().decode(cosignatureMessage(1679315147, utf8Encode('a\n1\nb\n')))).toBe('cosignature/v1\ntime 1679315147\na\n1\nb\n');
    const note = addNoteSignatures(signCheckpoint(cp, log), [witnesses[0]!]);
    const sig = parseNote(note).signatures[1]!;
    expect(sig.signature).toHaveLength(72);
    expect(Number(new DataView(sig.signature.buffer, sig.signature.byteOffset).getBigUint64(0))).toBe(NOW - 1);
    expect(witnesses[0]!.vkey).toMatch(/^witness1\.example\/w\+[0-9a-f]{8}\+B/); // base64 of 0x04 ‖ key starts with "B"
    const v = ed25519CosignatureVerifier(witnesses[0]!.vkey);
    expect(v.verify(utf8Encode(formatCheckpoint(cp)), sig.signature)).toBe(true);
    expect(v.verify(utf8Encode(formatCheckpoint({ ...cp, size: 14 })), sig.signature)).toBe(false);
    const retimed = sig.signature.slice();
    retimed[7]! ^= 1;
    expect(v.verify(utf8Encode(formatCheckpoint(cp)), retimed)).toBe(false);
  });
  it('a cosignature vkey is not a note vkey and vice versa', () => {
    expect(code(() => ed25519NoteVerifier(witnesses[0]!.vkey))).toBe('MALFORMED');
    expect(code(() => ed25519CosignatureVerifier(log.vkey))).toBe('MALFORMED');
  });
});

describe('witness policies', () => {
  const policyText = (quorum: string): string =>
    [`# test policy`, `log ${log.vkey}`, ...witnesses.map((w, i) => `witness W${i + 1} ${w.vkey}`), `group w ${quorum} W1 W2 W3`, `quorum w`, ''].join('\n');

  it('2-of-3: two fresh cosignatures pass, one does not', () => {
    const policy = parseWitnessPolicy(policyText('2'));
    const base = signCheckpoint(cp, log);
    const two = addNoteSignatures(base, witnesses.slice(0, 2));
    const r = verifyWitnessedCheckpoint(two, policy, { origin: ORIGIN, now: NOW, maxAgeSeconds: 600 });
    expect(r.checkpoint).toEqual(cp);
    expect([...r.cosignatures]).toEqual([['W1', NOW - 1], ['W2', NOW - 2]]);
    expect(code(() => verifyWitnessedCheckpoint(addNoteSignatures(base, [witnesses[2]!]), policy, { origin: ORIGIN }))).toBe('QUORUM_NOT_MET');
    expect(code(() => verifyWitnessedCheckpoint(base, policy))).toBe('QUORUM_NOT_MET');
  });
  it('stale cosignatures do not count (injected clock)', () => {
    const policy = parseWitnessPolicy(policyText('2'));
    const note = addNoteSignatures(signCheckpoint(cp, log), witnesses);
    expect(verifyWitnessedCheckpoint(note, policy, { now: NOW, maxAgeSeconds: 5 }).cosignatures.size).toBe(3);
    // cosigned at NOW-1, NOW-2, NOW-3: at NOW+598 two are within 600 s, at NOW+599 one
    expect([...verifyWitnessedCheckpoint(note, policy, { now: NOW + 598, maxAgeSeconds: 600 }).cosignatures.keys()]).toEqual(['W1', 'W2']);
    expect(code(() => verifyWitnessedCheckpoint(note, policy, { now: NOW + 599, maxAgeSeconds: 600 }))).toBe('QUORUM_NOT_MET');
    expect(code(() => verifyWitnessedCheckpoint(note, policy, { now: NOW - 1000 }))).toBe('QUORUM_NOT_MET'); // from the future
  });
  it('a failing cosignature of a policy witness rejects the checkpoint; unknown cosigners are ignored', () => {
    const policy = parseWitnessPolicy(policyText('any'));
    const stranger = ed25519Cosigner('stranger.example/w', seed(40), () => NOW);
    const forged = { name: witnesses[1]!.name, keyId: witnesses[1]!.keyId, sign: () => new Uint8Array(72) };
    const base = signCheckpoint(cp, log);
    expect(code(() => verifyWitnessedCheckpoint(addNoteSignatures(base, [witnesses[0]!, forged]), policy))).toBe('SIGNATURE_INVALID');
    expect([...verifyWitnessedCheckpoint(addNoteSignatures(base, [stranger, witnesses[2]!]), policy).cosignatures.keys()]).toEqual(['W3']);
  });
  it('nested groups, all, any and none', () => {
    const p = parseWitnessPolicy(
      [`log ${log.vkey}`, ...witnesses.map((w, i) => `witness W${i + 1} ${w.vkey}`), 'group A all W1 W2', 'group B any W3', 'group AB all A B', 'quorum AB'].join('\n'),
    );
    expect(quorumSatisfied(p, new Set(['W1', 'W2', 'W3']))).toBe(true);
    expect(quorumSatisfied(p, new Set(['W1', 'W3']))).toBe(false);
    expect(quorumSatisfied(p, new Set(['W1', 'W2']))).toBe(false);
    const none = parseWitnessPolicy(`log ${log.vkey}\nquorum none\n`);
    expect(verifyWitnessedCheckpoint(signCheckpoint(cp, log), none).checkpoint.size).toBe(13);
  });
  it('refuses invalid policy files', () => {
    const w = witnesses.map((x, i) => `witness W${i + 1} ${x.vkey}`);
    for (const bad of [
      `log ${log.vkey}\n`,                                        // no quorum
      `${w[0]}\nquorum W1\nquorum W1\n`,                          // two quorums
      `${w[0]}\ngroup g 2 W1\nquorum g\n`,                        // k > n
      `${w[0]}\ngroup g 0 W1\nquorum g\n`,                        // k = 0
      `${w[0]}\ngroup g any W1 W1\nquorum g\n`,                   // member twice
      `group g any W1\n${w[0]}\nquorum g\n`,                      // used before defined
      `${w[0]}\n${w[0]}\nquorum W1\n`,                            // name twice
      `${w[0]}\nwitness W9 ${witnesses[0]!.vkey}\nquorum W1\n`,   // duplicate key
      `witness W1 ${log.vkey}\nquorum W1\n`,                      // note key as witness key
      `${w[0]}\ngroup g any none\nquorum g\n`,                    // none as member
      `${w[0]}\nquorum W2\n`,                                     // undefined quorum
      `${w[0]}\nfrobnicate\nquorum W1\n`,                         // unknown keyword
      `${w[0]}\r\nquorum W1\n`,                                   // control character
    ]) {
      expect(code(() => parseWitnessPolicy(bad))).toBe('POLICY_INVALID');
    }
  });
});
