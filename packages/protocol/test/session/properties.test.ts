import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DuplicateMessageError,
  NoSessionError,
  SealpostError,
  TooFarInFutureError,
  UnknownPreKeyError,
  UntrustedIdentityError,
} from '../../src/errors.ts';
import {
  type CiphertextMessage,
  MAX_FORWARD_JUMPS,
  MAX_MESSAGE_KEYS,
  decodePreKeySignalMessage,
  decryptMessage,
  decryptPreKeyMessage,
  encryptMessage,
  serializeSessionRecord,
} from '../../src/index.ts';
import { SpqrError } from '../../src/spqr/errors.ts';
import { SeededRandom as Prng } from '@sealpost/devkit/prng';
import { Device, text, utf8 } from './helpers.ts';
import { Network } from './network.ts';

const SEED = 0x5ea1;

/** An established pair (both sides have acknowledged the session). */
function establishedPair(options: { spqr?: boolean } = {}): { alice: Device; bob: Device } {
  const alice = new Device('alice', undefined, options);
  const bob = new Device('bob', undefined, options);
  alice.startSession('bob', bob.bundle(true));
  bob.decrypt('alice', alice.encrypt('bob', utf8('hello')));
  alice.decrypt('bob', bob.encrypt('alice', utf8('ack')));
  return { alice, bob };
}

function snapshot(d: Device, peer: string): Uint8Array {
  const r = d.sessions.get(peer);
  return r === undefined ? new Uint8Array(0) : serializeSessionRecord(r);
}

describe('session properties (fast-check, seeded)', () => {
  it('any delivery order within the bounds decrypts every message exactly once; replays are duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 25 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        (burst1, burst2, sortKeys) => {
          const { alice, bob } = establishedPair();
          const msgs: { m: CiphertextMessage; p: string }[] = [];
          for (let i = 0; i < burst1; i++) msgs.push({ m: alice.encrypt('bob', utf8(`1:${i}`)), p: `1:${i}` });
          // Bob hears one message, answers; Alice ratchets to a new chain for burst 2.
          const first = msgs.shift()!;
          expect(text(bob.decrypt('alice', first.m))).toBe(first.p);
          alice.decrypt('bob', bob.encrypt('alice', utf8('turn')));
          for (let i = 0; i < burst2; i++) msgs.push({ m: alice.encrypt('bob', utf8(`2:${i}`)), p: `2:${i}` });
          const order = msgs.map((x, i) => ({ x, k: sortKeys[i] ?? i })).sort((a, b) => a.k - b.k);
          for (const { x } of order) expect(text(bob.decrypt('alice', x.m))).toBe(x.p);
          for (const { x } of order.slice(0, 3)) {
            const before = snapshot(bob, 'alice');
            expect(() => bob.decrypt('alice', x.m)).toThrow(DuplicateMessageError);
            expect(snapshot(bob, 'alice')).toEqual(before);
          }
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('any two-way schedule of sends, deliveries, drops and duplicates within the chain window decrypts exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (seed) => {
        const rng = new Prng(seed);
        const alice = new Device('alice');
        const bob = new Device('bob');
        alice.startSession('bob', bob.bundle(rng.next() < 0.5));
        const net = new Network(rng, 0.05, 0.1);
        const sent = { a: 0, b: 0 };
        while (sent.a < 60 || sent.b < 60) {
          const r = rng.next();
          if (r < 0.3 && sent.a < 60) net.send(alice, bob, `a${sent.a++}`);
          else if (r < 0.6 && sent.b < 60 && bob.sessions.has('alice')) net.send(bob, alice, `b${sent.b++}`);
          else if (net.inFlight.length > 0) net.deliverRandom();
          else if (sent.a < 60) net.send(alice, bob, `a${sent.a++}`);
        }
        net.deliverAll();
        const delivered = (net.tally.delivered.get('alice->bob') ?? 0) + (net.tally.delivered.get('bob->alice') ?? 0);
        expect(delivered + net.tally.dropped).toBe(120);
      }),
      { seed: SEED, numRuns: 12 },
    );
  });

  it('one flipped bit anywhere in a SignalMessage gives an error and leaves the record byte-identical', () => {
    const { alice, bob } = establishedPair();
    // Message on an existing chain, and one that opens a new chain (ratchet step).
    const sameChain = alice.encrypt('bob', utf8('same chain'));
    alice.decrypt('bob', bob.encrypt('alice', utf8('turn')));
    const newChain = alice.encrypt('bob', utf8('new chain'));
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (useNew, pos, bit) => {
        const m = useNew ? newChain : sameChain;
        const flipped = m.serialized.slice();
        flipped[pos % flipped.length]! ^= 1 << bit;
        const before = snapshot(bob, 'alice');
        let err: unknown;
        try {
          bob.decrypt('alice', { type: 'whisper', serialized: flipped });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SealpostError);
        expect(snapshot(bob, 'alice')).toEqual(before);
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The untouched originals still decrypt afterwards.
    expect(text(bob.decrypt('alice', newChain))).toBe('new chain');
    expect(text(bob.decrypt('alice', sameChain))).toBe('same chain');
  });

  it('one flipped bit in a PreKeySignalMessage gives an error (record unchanged), except in the unauthenticated registration id / version low nibble', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(true));
    const original = alice.encrypt('bob', utf8('first'));
    const parsedOriginal = decodePreKeySignalMessage(original.serialized);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
        const flipped = original.serialized.slice();
        flipped[pos % flipped.length]! ^= 1 << bit;
        const before = snapshot(bob, 'alice');
        const preKeysBefore = bob.oneTime.size;
        try {
          const out = decryptPreKeyMessage({
            record: bob.sessions.get('alice'),
            ourIdentity: bob.identity,
            ourRegistrationId: bob.registrationId,
            message: flipped,
            loadSignedPreKey: (id) => bob.signed.get(id),
            loadPreKey: (id) => bob.oneTime.get(id),
            loadKyberPreKey: (id) => bob.kyber.get(id),
          });
          // libsignal does not authenticate these either: everything else must be identical.
          const p = decodePreKeySignalMessage(flipped);
          expect({ ...p, registrationId: 0, serialized: 0 }).toEqual({ ...parsedOriginal, registrationId: 0, serialized: 0 });
          expect(text(out.plaintext)).toBe('first');
        } catch (e) {
          expect(e).toBeInstanceOf(SealpostError);
          expect(snapshot(bob, 'alice')).toEqual(before);
          expect(bob.oneTime.size).toBe(preKeysBefore);
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('too far in the future: a jump of exactly MAX_FORWARD_JUMPS works, one more is refused; skipped keys are capped', () => {
    // The Double Ratchet's own bound, on a session without SPQR (whose chain
    // has its own jump bound; see the SPQR case below).
    const { alice, bob } = establishedPair({ spqr: false });
    const messages: CiphertextMessage[] = [];
    for (let i = 0; i <= MAX_FORWARD_JUMPS + 1; i++) messages.push(alice.encrypt('bob', utf8(`m${i}`)));
    // Bob's chain is at index 1 (he read "hello" at 0): message 1 + 25001 is too far.
    const before = snapshot(bob, 'alice');
    expect(() => bob.decrypt('alice', messages[MAX_FORWARD_JUMPS + 1]!)).toThrow(TooFarInFutureError);
    expect(snapshot(bob, 'alice')).toEqual(before);
    expect(text(bob.decrypt('alice', messages[MAX_FORWARD_JUMPS]!))).toBe(`m${MAX_FORWARD_JUMPS}`);
    const chain = bob.sessions.get('alice')!.current!.receiverChains.at(-1)!;
    expect(chain.messageKeys.length).toBe(MAX_MESSAGE_KEYS);
    // The newest skipped key is kept; the oldest ones were trimmed (so they read as duplicates).
    expect(text(bob.decrypt('alice', messages[MAX_FORWARD_JUMPS - 1]!))).toBe(`m${MAX_FORWARD_JUMPS - 1}`);
    expect(() => bob.decrypt('alice', messages[0]!)).toThrow(DuplicateMessageError);
    expect(text(bob.decrypt('alice', messages[MAX_FORWARD_JUMPS + 1]!))).toBe(`m${MAX_FORWARD_JUMPS + 1}`);
  });

  it('SPQR bounds the jump too: its chain index counts from the session start, so a DR jump of MAX_FORWARD_JUMPS is refused by SPQR (typed, record unchanged)', () => {
    const { alice, bob } = establishedPair();
    expect(bob.sessions.get('alice')!.current!.pqRatchetState.length).toBeGreaterThan(0);
    const messages: CiphertextMessage[] = [];
    for (let i = 0; i <= MAX_FORWARD_JUMPS; i++) messages.push(alice.encrypt('bob', utf8(`m${i}`)));
    // Bob's SPQR chain is at index 1 ("hello"); Alice's message i has SPQR index i + 2.
    const before = snapshot(bob, 'alice');
    let error: unknown;
    try {
      bob.decrypt('alice', messages[MAX_FORWARD_JUMPS]!);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpqrError);
    expect((error as SpqrError).kind).toBe('KeyJump');
    expect(snapshot(bob, 'alice')).toEqual(before);
    expect(text(bob.decrypt('alice', messages[MAX_FORWARD_JUMPS - 1]!))).toBe(`m${MAX_FORWARD_JUMPS - 1}`);
    expect(text(bob.decrypt('alice', messages[MAX_FORWARD_JUMPS]!))).toBe(`m${MAX_FORWARD_JUMPS}`);
  });
});

describe('session error cases', () => {
  it('no session: encrypt and decrypt throw NoSessionError', () => {
    const { alice } = establishedPair();
    const m = alice.encrypt('bob', utf8('x'));
    expect(() => decryptMessage({ record: undefined, message: m.serialized })).toThrow(NoSessionError);
    expect(() => encryptMessage({ record: { current: undefined, previous: [] }, plaintext: utf8('x') })).toThrow(NoSessionError);
  });

  it('wrong-version, truncated and oversized messages give typed errors and leave the record alone', () => {
    const { alice, bob } = establishedPair();
    const m = alice.encrypt('bob', utf8('x')).serialized;
    const record = bob.sessions.get('alice')!;
    const before = serializeSessionRecord(record);
    const codeOf = (bytes: Uint8Array): string => {
      try {
        decryptMessage({ record, message: bytes });
      } catch (e) {
        return e instanceof SealpostError ? e.code : `untyped ${String(e)}`;
      }
      return 'no error';
    };
    const v3 = m.slice();
    v3[0] = 0x34; // a v3 message on a v4 session
    expect(codeOf(v3)).toBe('INVALID_VERSION');
    const v5 = m.slice();
    v5[0] = 0x54;
    expect(codeOf(v5)).toBe('INVALID_VERSION');
    expect(codeOf(m.subarray(0, 5))).toBe('INVALID_MESSAGE');
    expect(codeOf(m.subarray(0, m.length - 1))).toMatch(/INVALID_MESSAGE|BAD_MAC/);
    expect(codeOf(new Uint8Array([...m, 0]))).toMatch(/INVALID_MESSAGE|BAD_MAC/);
    expect(codeOf(new Uint8Array(100_000).fill(0x44))).toBe('INVALID_MESSAGE');
    expect(serializeSessionRecord(record)).toEqual(before);
    expect(text(decryptMessage({ record, message: m }).plaintext)).toBe('x');

    // A PreKeySignalMessage of the retired X3DH version is refused.
    const carol = new Device('carol');
    carol.startSession('bob', bob.bundle(true));
    const pk = carol.encrypt('bob', utf8('y')).serialized.slice();
    pk[0] = 0x34;
    expect(() => bob.decrypt('carol', { type: 'prekey', serialized: pk })).toThrow(SealpostError);
  });

  it('an unknown prekey id is UnknownPreKeyError with the id', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(true));
    const m = alice.encrypt('bob', utf8('x'));
    const [otk] = [...bob.oneTime.keys()];
    bob.oneTime.clear();
    let err: unknown;
    try {
      bob.decrypt('alice', m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownPreKeyError);
    expect((err as UnknownPreKeyError).preKeyId).toBe(otk);
    expect((err as UnknownPreKeyError).kind).toBe('one-time');
    bob.signed.clear();
    expect(() => bob.decrypt('alice', m)).toThrow(/unknown signed prekey/);
  });

  it('identity checks: the caller refusing the peer gives UntrustedIdentityError', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(false));
    const m = alice.encrypt('bob', utf8('x'));
    const common = {
      ourIdentity: bob.identity,
      ourRegistrationId: bob.registrationId,
      message: m.serialized,
      loadSignedPreKey: (id: number) => bob.signed.get(id),
      loadPreKey: (id: number) => bob.oneTime.get(id),
      loadKyberPreKey: (id: number) => bob.kyber.get(id),
    };
    expect(() => decryptPreKeyMessage({ ...common, isTrusted: () => false })).toThrow(UntrustedIdentityError);
    const ok = decryptPreKeyMessage({ ...common, isTrusted: (k) => k.length === 33 });
    expect(ok.remoteIdentity).toEqual(alice.identity.publicKey);
    expect(ok.remoteRegistrationId).toBe(alice.registrationId);
    const reply = encryptMessage({ record: ok.record, plaintext: utf8('r') });
    expect(() => encryptMessage({ record: ok.record, plaintext: utf8('r'), isTrusted: () => false })).toThrow(UntrustedIdentityError);
    expect(() =>
      decryptMessage({ record: alice.sessions.get('bob'), message: reply.message.serialized, isTrusted: () => false }),
    ).toThrow(UntrustedIdentityError);
  });

  it('an unacknowledged session older than 30 days cannot send', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    alice.startSession('bob', bob.bundle(false));
    const record = alice.sessions.get('bob')!;
    const created = record.current!.unacknowledged!.timestamp * 1000;
    expect(encryptMessage({ record, plaintext: utf8('x'), now: created + 29 * 86400_000 }).message.type).toBe('prekey');
    expect(() => encryptMessage({ record, plaintext: utf8('x'), now: created + 31 * 86400_000 })).toThrow(NoSessionError);
  });
});
