/**
 * The dev kit's own behaviour that the interop tests do not already pin:
 * the benchmark's `live` record keeping, last-resort bundles, and the seeded
 * PRNG's determinism.
 */
import { ProtocolAddress } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';
import { OursPeer } from '@sealpost/devkit/ours';
import { SeededRandom } from '@sealpost/devkit/prng';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('dev kit', () => {
  for (const keeping of ['serialized', 'live'] as const) {
    it(`ours and libsignal talk both ways with ${keeping} records and last-resort bundles`, async () => {
      const ours = new OursPeer({ name: 'ours', registrationId: 7, keeping });
      const ls = new LibsignalPeer({ name: 'ls', registrationId: 8, keeping });
      const first = ls.generateBundle({ withOneTimePreKey: true, lastResort: true });
      const second = ls.generateBundle({ withOneTimePreKey: true, lastResort: true });
      expect([second.signedPreKeyId, second.kyberPreKeyId]).toEqual([first.signedPreKeyId, first.kyberPreKeyId]);
      expect(second.preKeyId).not.toBe(first.preKeyId);

      ours.startSession('ls.1', first);
      const oursAddress = ProtocolAddress.new('ours', 1);
      expect(str(await ls.decrypt(oursAddress, ours.encrypt('ls.1', text('hello'))))).toBe('hello');
      expect(str(ours.decrypt('ls.1', await ls.encrypt(oursAddress, text('hi back'))))).toBe('hi back');
      expect(ours.hasSession('ls.1')).toBe(true);
      expect(ours.recordBytes('ls.1')!.length).toBeGreaterThan(0);
      expect(ls.sessionStore.rawSession(oursAddress)!.length).toBeGreaterThan(0);
    });
  }

  it('a failed decrypt leaves a live record in place', () => {
    const alice = new OursPeer({ name: 'alice', keeping: 'live' });
    const bob = new OursPeer({ name: 'bob', keeping: 'live' });
    alice.startSession('bob', bob.bundle({ withOneTimePreKey: false }));
    const message = alice.encrypt('bob', text('once'));
    expect(str(bob.decrypt('alice', message))).toBe('once');
    const before = bob.sessions.load('alice');
    expect(() => bob.decrypt('alice', message)).toThrow();
    expect(bob.sessions.load('alice')).toBe(before);
  });

  it('SeededRandom repeats its sequence for a seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const seqA = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(seqA);
    for (const v of seqA) expect(v >= 0 && v < 1).toBe(true);
    const r = new SeededRandom(1);
    expect(r.bytes(16)).toHaveLength(16);
    expect(r.int(10)).toBeLessThan(10);
  });
});
