/**
 * Checks the test harness itself: our in-memory stores and LibsignalPeer let
 * two libsignal-client 0.90.0 devices talk, and keys we supply as raw bytes
 * (EC scalars, Kyber1024 key pairs) load into libsignal's records.
 */
import { describe, expect, it } from 'vitest';
import {
  CiphertextMessageType,
  ErrorCode,
  KEMKeyPair,
  LibSignalErrorBase,
  PreKeySignalMessage,
  PrivateKey,
  SessionRecord,
  SignalMessage,
} from '@signalapp/libsignal-client';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';
import { ab, decodeLibsignalSessionRecord, DJB_KEY_TYPE, encodeLibsignalSessionRecord, kyberPreKeyRecordFromRaw } from '@sealpost/devkit/libsignal';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { runConversation, runResetScenario, runSimultaneousInitiation } from '../support/session-scenarios.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

async function expectLibsignalError(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibSignalErrorBase);
  expect((err as LibSignalErrorBase).code).toBe(code);
}

describe('interop harness: libsignal-client 0.90.0 against itself', () => {
  for (const withOneTimePreKey of [true, false]) {
    it(`interop harness: libsignal <-> libsignal session (one-time prekey: ${withOneTimePreKey})`, async () => {
      const alice = new LibsignalPeer({ name: 'alice', registrationId: 11 });
      const bob = new LibsignalPeer({ name: 'bob', registrationId: 22 });
      const bundle = bob.generateBundle({ withOneTimePreKey });
      await alice.processBundle(bob.address, bundle);

      const first = await alice.encrypt(bob.address, text('hello bob'));
      expect(first.type).toBe(CiphertextMessageType.PreKey);
      const pkm = PreKeySignalMessage.deserialize(ab(first.bytes));
      expect(pkm.version()).toBe(4);
      expect(pkm.preKeyId()).toBe(bundle.preKeyId);
      expect(pkm.signedPreKeyId()).toBe(bundle.signedPreKeyId);
      expect(pkm.registrationId()).toBe(11);
      expect(str(await bob.decrypt(alice.address, first))).toBe('hello bob');
      if (withOneTimePreKey) expect(bob.preKeyStore.removed).toEqual([bundle.preKeyId]);
      expect(bob.kyberPreKeyStore.used.map((u) => u.kyberPreKeyId)).toEqual([bundle.kyberPreKeyId]);

      // libsignal 0.90 always offers SPQR; between two 0.90 peers it stays on.
      const reply = await bob.encrypt(alice.address, text('hello alice'));
      expect(reply.type).toBe(CiphertextMessageType.Whisper);
      expect(SignalMessage.deserialize(ab(reply.bytes)).pqRatchet().length).toBeGreaterThan(0);
      expect(str(await alice.decrypt(bob.address, reply))).toBe('hello alice');

      // A replay is refused with libsignal's DuplicatedMessage code.
      await expectLibsignalError(alice.decrypt(bob.address, reply), ErrorCode.DuplicatedMessage);

      const next = await alice.encrypt(bob.address, text('after reply'));
      expect(next.type).toBe(CiphertextMessageType.Whisper);
      expect(str(await bob.decrypt(alice.address, next))).toBe('after reply');
      console.log('interop harness: libsignal(alice)->libsignal(bob) 2 messages, libsignal(bob)->libsignal(alice) 1 message');
    });
  }

  it('interop harness: prekeys from raw bytes load into libsignal stores', async () => {
    // Kyber key pair produced elsewhere, handed to libsignal as raw bytes.
    const pair = KEMKeyPair.generate();
    const pub = pair.getPublicKey().serialize();
    const sec = pair.getSecretKey().serialize();
    expect(pub.length).toBe(1569);
    expect(sec.length).toBe(3169);
    expect(pub[0]).toBe(0x08);
    const record = kyberPreKeyRecordFromRaw(7, 1234, pub.subarray(1), sec.subarray(1), new Uint8Array(64).fill(9));
    expect(record.id()).toBe(7);
    expect(record.timestamp()).toBe(1234);
    expect(record.publicKey().serialize()).toEqual(pub);
    expect(record.secretKey().serialize()).toEqual(sec);

    // EC private keys load from their raw 32-byte scalar.
    const ec = PrivateKey.generate();
    const raw = ec.serialize();
    expect(raw.length).toBe(32);
    const pubSer = PrivateKey.deserialize(ab(raw)).getPublicKey().serialize();
    expect(pubSer[0]).toBe(DJB_KEY_TYPE);
    expect(pubSer).toEqual(ec.getPublicKey().serialize());

    // A whole responder built from raw keys answers a libsignal initiator.
    const identity = PrivateKey.generate();
    const bob = new LibsignalPeer({ name: 'bob', registrationId: 5, identityPrivateKey: identity.serialize() });
    const signed = PrivateKey.generate();
    const signedSig = identity.sign(signed.getPublicKey().serialize());
    const kyberSig = identity.sign(pub);
    const oneTime = PrivateKey.generate();
    await bob.installFixedPreKeys({
      signedPreKey: { id: 3, privateKey: signed.serialize(), signature: signedSig },
      oneTimePreKey: { id: 4, privateKey: oneTime.serialize() },
      kyberPreKey: { id: 7, publicKey: pub, secretKey: sec, signature: kyberSig },
    });
    const alice = new LibsignalPeer({ name: 'alice', registrationId: 6 });
    await alice.processBundle(bob.address, {
      registrationId: 5,
      deviceId: 1,
      preKeyId: 4,
      preKeyPublic: oneTime.getPublicKey().serialize(),
      signedPreKeyId: 3,
      signedPreKeyPublic: signed.getPublicKey().serialize(),
      signedPreKeySignature: signedSig,
      identityKey: identity.getPublicKey().serialize(),
      kyberPreKeyId: 7,
      kyberPreKeyPublic: pub,
      kyberPreKeySignature: kyberSig,
    });
    const m = await alice.encrypt(bob.address, text('raw keys'));
    expect(str(await bob.decrypt(alice.address, m))).toBe('raw keys');
    console.log('interop harness: raw keys: libsignal(alice)->libsignal(bob) 1 message, libsignal(bob)->libsignal(alice) 0 messages');
  });
});

describe('interop harness: scenario runner with libsignal on both ends', () => {
  it('interop harness: libsignal <-> libsignal 300 messages each way, reordered, dropped, duplicated', async () => {
    const alice = new LibsignalEndpoint({ name: 'alice', registrationId: 1 });
    const bob = new LibsignalEndpoint({ name: 'bob', registrationId: 2 });
    await alice.startSession(bob.id, await bob.bundle({ withOneTimePreKey: true }));
    const t0 = performance.now();
    const tally = await runConversation(alice, bob, { seed: 1234, messagesEach: 300 });
    const ms = Math.round(performance.now() - t0);
    console.log(
      `interop harness: libsignal->libsignal ${tally.aToB} messages, libsignal->libsignal ${tally.bToA} messages ` +
        `(${tally.dropped} dropped, ${tally.duplicatesRejected} duplicates rejected, ${tally.reordered} reordered, ${tally.reorderedAcrossChains} across chains, ${ms} ms)`,
    );
    expect(tally.aToB + tally.bToA + tally.dropped).toBe(600);
    expect(tally.duplicatesRejected).toBeGreaterThan(0);
    expect(tally.dropped).toBeGreaterThan(0);
  });
});

describe('interop harness: reset and simultaneous initiation, libsignal on both ends', () => {
  for (const resetter of ['a', 'b'] as const) {
    it(`interop harness: libsignal <-> libsignal, ${resetter === 'a' ? 'initiator' : 'responder'} resets and re-establishes`, async () => {
      const a = new LibsignalEndpoint({ name: 'alice', registrationId: 1 });
      const b = new LibsignalEndpoint({ name: 'bob', registrationId: 2 });
      const c = await runResetScenario(a, b, { resetter, withOneTimePreKey: true, seed: 7, messagesEach: 50 });
      console.log(`interop harness: reset by ${resetter}: a->b ${c.aToB} messages, b->a ${c.bToA} messages`);
      expect(c.aToB).toBeGreaterThan(45);
    });
  }
  it('interop harness: libsignal <-> libsignal, simultaneous initiation', async () => {
    const a = new LibsignalEndpoint({ name: 'alice', registrationId: 1 });
    const b = new LibsignalEndpoint({ name: 'bob', registrationId: 2 });
    const c = await runSimultaneousInitiation(a, b, { withOneTimePreKey: false, seed: 9, messagesEach: 50 });
    console.log(`interop harness: simultaneous: a->b ${c.aToB} messages, b->a ${c.bToA} messages`);
    expect(c.bToA).toBeGreaterThan(45);
  });
});

describe('interop harness: libsignal session records we encode', () => {
  it('interop harness: a libsignal initiator state re-encoded without SPQR still talks to libsignal (SPQR fallback)', async () => {
    const alice = new LibsignalPeer({ name: 'alice', registrationId: 31 });
    const bob = new LibsignalPeer({ name: 'bob', registrationId: 32 });
    await alice.processBundle(bob.address, bob.generateBundle({ withOneTimePreKey: true }));
    const original = alice.sessionStore.rawSession(bob.address)!;
    const state = decodeLibsignalSessionRecord(original)!;
    expect(state.sessionVersion).toBe(4);
    expect(state.pqRatchetStateLength).toBeGreaterThan(0); // 0.90 offers SPQR by default
    expect(state.receiverChains).toHaveLength(1);
    expect(state.pendingPreKey?.signedPreKeyId).toBeGreaterThan(0);
    expect(state.pendingKyberPreKey?.ciphertext.length).toBe(1569);

    // Re-encode every field except the SPQR state and install it.
    const { senderChain, receiverChains, pqRatchetStateLength: _p, previousSessionCount: _c, ...rest } = state;
    const reencoded = encodeLibsignalSessionRecord({ ...rest, senderChain: senderChain!, receiverChains });
    await alice.sessionStore.saveSession(bob.address, SessionRecord.deserialize(ab(reencoded)));
    expect(decodeLibsignalSessionRecord(alice.sessionStore.rawSession(bob.address)!)!.pqRatchetStateLength).toBe(0);

    const m1 = await alice.encrypt(bob.address, text('no spqr from me'));
    expect(m1.type).toBe(CiphertextMessageType.PreKey);
    expect(str(await bob.decrypt(alice.address, m1))).toBe('no spqr from me');
    // Bob (0.90, offering SPQR) answers; after hearing an SPQR-less peer it
    // falls back and its messages carry no pq_ratchet field.
    const r1 = await bob.encrypt(alice.address, text('fine'));
    expect(SignalMessage.deserialize(ab(r1.bytes)).pqRatchet().length).toBe(0);
    expect(str(await alice.decrypt(bob.address, r1))).toBe('fine');
    const m2 = await alice.encrypt(bob.address, text('again'));
    expect(SignalMessage.deserialize(ab(m2.bytes)).pqRatchet().length).toBe(0);
    expect(str(await bob.decrypt(alice.address, m2))).toBe('again');
    const r2 = await bob.encrypt(alice.address, text('ok'));
    expect(SignalMessage.deserialize(ab(r2.bytes)).pqRatchet().length).toBe(0);
    expect(str(await alice.decrypt(bob.address, r2))).toBe('ok');
    console.log('interop harness: re-encoded record: libsignal(alice)->libsignal(bob) 2 messages, libsignal(bob)->libsignal(alice) 2 messages');
  });
});
