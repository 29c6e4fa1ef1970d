import { describe, expect, it } from 'vitest';
import { NoSessionError } from '../../src/errors.ts';
import { deserializeSessionRecord, serializeSessionRecord } from '../../src/index.ts';
import { SeededRandom as Prng } from '@sealpost/devkit/prng';
import { Device, text, utf8 } from './helpers.ts';
import { Network } from './network.ts';

describe('ours <-> ours conversations', () => {
  for (const withOneTime of [true, false]) {
    it(`1,000 messages each way, interleaved, reordered, dropped and duplicated (one-time prekey: ${withOneTime})`, () => {
      const rng = new Prng(withOneTime ? 0xc0ffee : 0xbeef);
      const alice = new Device('alice');
      const bob = new Device('bob');
      alice.startSession('bob', bob.bundle(withOneTime));
      const net = new Network(rng);
      const sent = { alice: 0, bob: 0 };
      // Bob can only send once Alice's first message has reached him.
      while (sent.alice < 1000 || sent.bob < 1000 || net.inFlight.length > 0) {
        const r = rng.next();
        const bobCan = bob.sessions.has('alice') && sent.bob < 1000;
        if (r < 0.3 && sent.alice < 1000) net.send(alice, bob, `a${sent.alice++}`);
        else if (r < 0.6 && bobCan) net.send(bob, alice, `b${sent.bob++}`);
        else if (net.inFlight.length > 0) net.deliverRandom();
        else if (sent.alice < 1000) net.send(alice, bob, `a${sent.alice++}`);
        else if (bobCan) net.send(bob, alice, `b${sent.bob++}`);
        // Now and then, persist and reload a record (the shell does this per message).
        if (rng.next() < 0.05) {
          for (const [d, peer] of [[alice, 'bob'], [bob, 'alice']] as const) {
            const rec = d.sessions.get(peer);
            if (rec) d.sessions.set(peer, deserializeSessionRecord(serializeSessionRecord(rec)));
          }
        }
      }
      const aToB = net.tally.delivered.get('alice->bob') ?? 0;
      const bToA = net.tally.delivered.get('bob->alice') ?? 0;
      console.log(
        `ours<->ours (one-time prekey: ${withOneTime}): alice->bob ${aToB}, bob->alice ${bToA}, dropped ${net.tally.dropped}, ` +
          `duplicates rejected ${net.tally.duplicatesRejected}, out of order ${net.tally.outOfOrder}`,
      );
      expect(aToB + bToA + net.tally.dropped).toBe(2000);
      expect(aToB).toBeGreaterThan(900);
      expect(bToA).toBeGreaterThan(900);
      expect(net.tally.duplicatesRejected).toBeGreaterThan(10);
      expect(net.tally.outOfOrder).toBeGreaterThan(100);
    });
  }

  it('a peer that resets (loses its session) and re-establishes', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(true));
    expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('hi'))))).toBe('hi');
    expect(text(alice.decrypt('bob', bob.encrypt('alice', utf8('hey'))))).toBe('hey');

    // Bob reinstalls: his session with Alice is gone.
    bob.sessions.delete('alice');
    const stale = alice.encrypt('bob', utf8('lost'));
    expect(() => bob.decrypt('alice', stale)).toThrow(NoSessionError);

    // Bob starts over from Alice's bundle; Alice's record archives the old state.
    bob.startSession('alice', alice.bundle(true));
    const m = bob.encrypt('alice', utf8('I am back'));
    expect(m.type).toBe('prekey');
    expect(text(alice.decrypt('bob', m))).toBe('I am back');
    expect(alice.sessions.get('bob')!.previous.length).toBe(1);
    const reply = alice.encrypt('bob', utf8('welcome back'));
    expect(reply.type).toBe('whisper');
    expect(text(bob.decrypt('alice', reply))).toBe('welcome back');
    const rng = new Prng(7);
    const net = new Network(rng, 0, 0);
    for (let i = 0; i < 50; i++) {
      net.send(alice, bob, `a${i}`);
      net.send(bob, alice, `b${i}`);
      if (rng.next() < 0.5) net.deliverRandom();
    }
    net.deliverAll();
    expect(net.tally.delivered.get('alice->bob')).toBe(50);
    expect(net.tally.delivered.get('bob->alice')).toBe(50);
  });

  it('the initiator resets and re-establishes; the responder promotes the new session', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(false));
    expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('one'))))).toBe('one');
    alice.sessions.delete('bob');
    alice.startSession('bob', bob.bundle(true));
    expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('two'))))).toBe('two');
    expect(text(alice.decrypt('bob', bob.encrypt('alice', utf8('three'))))).toBe('three');
    expect(bob.sessions.get('alice')!.previous.length).toBe(1);
  });

  it('both sides initiate at the same time and converge', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(true));
    bob.startSession('alice', alice.bundle(true));
    const a1 = alice.encrypt('bob', utf8('from alice'));
    const b1 = bob.encrypt('alice', utf8('from bob'));
    expect(a1.type).toBe('prekey');
    expect(b1.type).toBe('prekey');
    expect(text(bob.decrypt('alice', a1))).toBe('from alice');
    expect(text(alice.decrypt('bob', b1))).toBe('from bob');
    // Each side now holds the other's session as current and its own archived;
    // whichever state the peer's message names gets promoted.
    const rng = new Prng(99);
    const net = new Network(rng, 0, 0.05);
    for (let i = 0; i < 200; i++) {
      const r = rng.next();
      if (r < 0.35) net.send(alice, bob, `a${i}`);
      else if (r < 0.7) net.send(bob, alice, `b${i}`);
      else net.deliverRandom();
    }
    net.deliverAll();
    // After a quiet round trip both use the same session.
    expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('x'))))).toBe('x');
    expect(text(alice.decrypt('bob', bob.encrypt('alice', utf8('y'))))).toBe('y');
    expect(alice.sessions.get('bob')!.current!.aliceBaseKey).toEqual(bob.sessions.get('alice')!.current!.aliceBaseKey);
    expect(alice.encrypt('bob', utf8('z')).type).toBe('whisper');
  });
});
