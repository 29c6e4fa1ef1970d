import { describe, expect, it } from 'vitest';
import { macCiphertext, macHeader, newAuthenticator, verifyHeader } from '../../src/spqr/authenticator.ts';
import { chainAddEpoch, chainRecvKey, chainSendKey, newChain, type ChainState } from '../../src/spqr/chain.ts';
import { SpqrError } from '../../src/spqr/errors.ts';
import { LABEL_CHAIN_START } from '../../src/spqr/labels.ts';
import { initialState } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState, encodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { hex, repoVectors, unhex } from './support.ts';

interface KdfVectors {
  authKey: string;
  authenticator: { rootKey: string; macKey: string };
  chainA2B: { key1: string; key2: string; afterAddEpoch1: { secret: string; key1: string } };
  chainB2A: { key1: string; key2: string; afterAddEpoch1: { secret: string; key1: string } };
  initialStateA2B: string;
  initialStateB2A: string;
}
const V = repoVectors<{ kdf: KdfVectors }>('spqr-kdf-chain.json').kdf;
const AK = unhex(V.authKey);
const DEFAULT = { maxJump: 0, maxOooKeys: 0 };

describe('SPQR authenticator and chain known answers (auth_key 0x29×32)', () => {
  it('label with two spaces', () => {
    expect(LABEL_CHAIN_START).toBe('Signal PQ Ratchet V1 Chain  Start');
  });

  it('authenticator after init', () => {
    const a = newAuthenticator(AK, 1n);
    expect(hex(a.rootKey)).toBe(V.authenticator.rootKey);
    expect(hex(a.macKey)).toBe(V.authenticator.macKey);
    const hdr = new Uint8Array(64).fill(1);
    verifyHeader(a, 1n, hdr, macHeader(a, 1n, hdr));
    expect(() => verifyHeader(a, 2n, hdr, macHeader(a, 1n, hdr))).toThrow(SpqrError);
    expect(hex(macCiphertext(a, 1n, hdr))).not.toBe(hex(macHeader(a, 1n, hdr)));
  });

  for (const [name, dir, kv] of [
    ['A2B', 0, V.chainA2B],
    ['B2A', 1, V.chainB2A],
  ] as const) {
    it(`chain ${name}: epoch 0 keys 1 and 2, then epoch 1 key 1`, () => {
      const c0 = newChain(AK, dir, DEFAULT);
      const k1 = chainSendKey(c0, 0n);
      const k2 = chainSendKey(k1.chain, 0n);
      expect([k1.index, k2.index]).toEqual([1, 2]);
      expect(hex(k1.key)).toBe(kv.key1);
      expect(hex(k2.key)).toBe(kv.key2);
      const k3 = chainSendKey(chainAddEpoch(k2.chain, 1n, unhex(kv.afterAddEpoch1.secret)), 1n);
      expect(k3.index).toBe(1);
      expect(hex(k3.key)).toBe(kv.afterAddEpoch1.key1);
      // the peer's receive chain yields the same keys, in any order
      const peer = newChain(AK, 1 - dir, DEFAULT);
      const r2 = chainRecvKey(peer, 0n, 2);
      expect(hex(r2.key)).toBe(kv.key2);
      const r1 = chainRecvKey(r2.chain, 0n, 1);
      expect(hex(r1.key)).toBe(kv.key1);
      expect(() => chainRecvKey(r1.chain, 0n, 1)).toThrow(expect.objectContaining({ kind: 'KeyAlreadyRequested' }));
      expect(() => chainRecvKey(r1.chain, 1n, 1)).toThrow(expect.objectContaining({ kind: 'EpochOutOfRange' }));
    });
  }

  it('key history bounds: jumps, trimming, send epoch never decreases', () => {
    const small = { maxJump: 10, maxOooKeys: 10 };
    let c: ChainState = newChain(AK, 0, small);
    expect(() => chainRecvKey(c, 0n, 11)).toThrow(expect.objectContaining({ kind: 'KeyJump' }));
    c = chainRecvKey(c, 0n, 10).chain;
    expect(c.links[0]!.recv!.prev.length).toBe(9 * 36);
    c = chainRecvKey(c, 0n, 12).chain;
    expect(() => chainRecvKey(c, 0n, 1)).toThrow(expect.objectContaining({ kind: 'KeyTrimmed' }));
    const s = chainSendKey(chainAddEpoch(newChain(AK, 0, DEFAULT), 1n, new Uint8Array(32)), 1n).chain;
    expect(() => chainSendKey(s, 0n)).toThrow(expect.objectContaining({ kind: 'SendKeyEpochDecreased' }));
    expect(s.links[0]!.send!.next).toHaveLength(0); // older send chains are erased
  });

  it('initial states are byte-exact and re-encode identically', () => {
    const a = initialState({ direction: 0, version: 1, minVersion: 1, authKey: AK });
    const b = initialState({ direction: 1, version: 1, minVersion: 1, authKey: AK });
    expect(hex(a)).toBe(V.initialStateA2B);
    expect(hex(b)).toBe(V.initialStateB2A);
    expect(a).toHaveLength(118);
    expect(b).toHaveLength(158);
    expect(hex(encodePqRatchetState(decodePqRatchetState(a)))).toBe(hex(a));
    expect(hex(encodePqRatchetState(decodePqRatchetState(b)))).toBe(hex(b));
    expect(initialState({ direction: 0, version: 0, minVersion: 0, authKey: AK })).toHaveLength(0);
  });

  it('state decoding refuses malformed records with a typed error', () => {
    const a = initialState({ direction: 0, version: 1, minVersion: 1, authKey: AK });
    expect(() => decodePqRatchetState(a.subarray(0, 50))).toThrow(expect.objectContaining({ kind: 'StateDecode', code: 'INVALID_RECORD' }));
    const bad = unhex('1a020a00'); // V1 state whose keys_unsampled has no unchunked part
    expect(() => decodePqRatchetState(bad)).toThrow(expect.objectContaining({ kind: 'StateDecode' }));
    expect(() => decodePqRatchetState(unhex('1a00'))).toThrow(expect.objectContaining({ kind: 'StateDecode' }));
  });
});
