/**
 * libsignal-client 0.90.0 always offers SPQR (the sparse post-quantum
 * ratchet, `SignalMessage` field 5) with min_version V0, i.e. it falls back
 * to a plain Double Ratchet when the peer never sends SPQR data. Our
 * sessions offer (and require) SPQR V1, so with 0.90 they negotiate V1;
 * the fallback tests run our endpoint with `spqr: false` (a peer without
 * SPQR) and pin down both halves of the fallback: we accept libsignal's
 * SPQR field, and libsignal stops sending it once it has heard from us.
 * Also: tampered messages from the real peer are refused with typed errors
 * and leave our record byte-identical.
 */
import { describe, expect, it } from 'vitest';
import { CiphertextMessageType, ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { decodePreKeySignalMessage, decodeSignalMessage, SealpostError } from '../../src/index.ts';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { OursEndpoint } from '@sealpost/devkit/ours';
import { innerSignalMessage, signalMessageHeader } from '../support/wire-peek.ts';
import type { WireMessage } from '@sealpost/devkit/libsignal';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pqLength = (m: WireMessage): number => signalMessageHeader(innerSignalMessage(m)).pqRatchetLength;

describe('interop: SPQR offer and fallback with libsignal-client 0.90.0', () => {
  it('interop: libsignal initiator offers SPQR; we decrypt, answer without it, and libsignal falls back', async () => {
    const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 1 });
    const ours = new OursEndpoint({ name: 'ours', registrationId: 2, spqr: false });
    await ls.startSession(ours.id, await ours.bundle({ withOneTimePreKey: true }));
    let lsToOurs = 0;
    let oursToLs = 0;

    // Before hearing from us, libsignal's PreKey messages carry SPQR data.
    const offers: WireMessage[] = [];
    for (let i = 0; i < 3; i++) offers.push(await ls.encrypt(ours.id, text(`offer ${i}`)));
    for (const m of offers) {
      expect(m.type).toBe(CiphertextMessageType.PreKey);
      expect(pqLength(m)).toBeGreaterThan(0);
      // Our codec sees the field (it is covered by the MAC) ...
      expect(decodeSignalMessage(decodePreKeySignalMessage(m.bytes).message.serialized).serialized).toEqual(
        innerSignalMessage(m),
      );
    }
    // ... and decrypts regardless, in any order.
    for (const i of [2, 0, 1]) {
      expect(await ours.decrypt(ls.id, offers[i]!)).toEqual(text(`offer ${i}`));
      lsToOurs++;
    }

    // Our messages never carry SPQR data.
    const reply = await ours.encrypt(ls.id, text('no spqr here'));
    expect(reply.type).toBe(CiphertextMessageType.Whisper);
    expect(pqLength(reply)).toBe(0);
    expect(await ls.decrypt(ours.id, reply)).toEqual(text('no spqr here'));
    oursToLs++;

    // libsignal has fallen back: no SPQR field from now on, both ways.
    for (let i = 0; i < 5; i++) {
      const m = await ls.encrypt(ours.id, text(`after ${i}`));
      expect(m.type).toBe(CiphertextMessageType.Whisper);
      expect(pqLength(m)).toBe(0);
      expect(await ours.decrypt(ls.id, m)).toEqual(text(`after ${i}`));
      lsToOurs++;
      const r = await ours.encrypt(ls.id, text(`reply ${i}`));
      expect(pqLength(r)).toBe(0);
      expect(await ls.decrypt(ours.id, r)).toEqual(text(`reply ${i}`));
      oursToLs++;
    }
    console.log(`interop: SPQR fallback (libsignal initiator): libsignal->ours ${lsToOurs} messages, ours->libsignal ${oursToLs} messages`);
  });

  it('interop: libsignal responder to our SPQR-less PreKey message answers without SPQR', async () => {
    const ours = new OursEndpoint({ name: 'ours', registrationId: 3, spqr: false });
    const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 4 });
    await ours.startSession(ls.id, await ls.bundle({ withOneTimePreKey: false }));
    const first = await ours.encrypt(ls.id, text('hello'));
    expect(first.type).toBe(CiphertextMessageType.PreKey);
    expect(pqLength(first)).toBe(0);
    expect(await ls.decrypt(ours.id, first)).toEqual(text('hello'));
    const answers: WireMessage[] = [];
    for (let i = 0; i < 3; i++) answers.push(await ls.encrypt(ours.id, text(`answer ${i}`)));
    for (const [i, m] of answers.entries()) {
      expect(m.type).toBe(CiphertextMessageType.Whisper);
      expect(pqLength(m)).toBe(0);
      expect(await ours.decrypt(ls.id, m)).toEqual(text(`answer ${i}`));
    }
    console.log('interop: SPQR fallback (ours initiator): ours->libsignal 1 messages, libsignal->ours 3 messages');
  });
});

describe('interop: SPQR negotiated with libsignal-client 0.90.0', () => {
  for (const oursInitiates of [true, false]) {
    it(`interop: ${oursInitiates ? 'we initiate' : 'libsignal initiates'}; both sides keep sending SPQR (V1 negotiated), 120 round trips`, async () => {
      const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 7 });
      const ours = new OursEndpoint({ name: 'ours', registrationId: 8 });
      if (oursInitiates) await ours.startSession(ls.id, await ls.bundle({ withOneTimePreKey: true }));
      else await ls.startSession(ours.id, await ours.bundle({ withOneTimePreKey: false }));
      const [first, second] = oursInitiates ? ([ours, ls] as const) : ([ls, ours] as const);
      let crossed = 0;
      for (let i = 0; i < 120; i++) {
        const m = await first.encrypt(second.id, text(`ping ${i}`));
        expect(pqLength(m)).toBeGreaterThan(0);
        expect(await second.decrypt(first.id, m)).toEqual(text(`ping ${i}`));
        const r = await second.encrypt(first.id, text(`pong ${i}`));
        expect(pqLength(r)).toBeGreaterThan(0);
        expect(await first.decrypt(second.id, r)).toEqual(text(`pong ${i}`));
        crossed += 2;
      }
      console.log(`interop: SPQR negotiated with 0.90 (${oursInitiates ? 'ours' : 'libsignal'} initiator): ${crossed} messages`);
    });
  }
});

describe('interop: tampered messages between ours and libsignal-client 0.90.0', () => {
  it('interop: every single-bit flip of libsignal messages is refused by us with a typed error, record unchanged', async () => {
    const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 5 });
    const ours = new OursEndpoint({ name: 'ours', registrationId: 6 });
    await ls.startSession(ours.id, await ours.bundle({ withOneTimePreKey: true }));
    const first = await ls.encrypt(ours.id, text('first'));
    expect(await ours.decrypt(ls.id, first)).toEqual(text('first'));
    await ls.decrypt(ours.id, await ours.encrypt(ls.id, text('ack')));
    const whisper = await ls.encrypt(ours.id, text('tamper with me'));
    expect(whisper.type).toBe(CiphertextMessageType.Whisper);

    // Flip each bit of the Whisper message (the adapter checks that every
    // failed decrypt leaves the serialized record byte-identical).
    let refused = 0;
    for (let bit = 0; bit < whisper.bytes.length * 8; bit++) {
      const bytes = whisper.bytes.slice();
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      const err = await ours.decrypt(ls.id, { type: whisper.type, bytes }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `bit ${bit} accepted`).toBeInstanceOf(SealpostError);
      refused++;
    }
    // The untampered message still decrypts afterwards.
    expect(await ours.decrypt(ls.id, whisper)).toEqual(text('tamper with me'));

    // And libsignal refuses our tampered message (MAC covers the whole header).
    const mine = await ours.encrypt(ls.id, text('mine'));
    const bad = mine.bytes.slice();
    bad[bad.length - 1]! ^= 0x01;
    const lsErr = await ls.decrypt(ours.id, { type: mine.type, bytes: bad }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(lsErr).toBeInstanceOf(LibSignalErrorBase);
    expect((lsErr as LibSignalErrorBase).code).toBe(ErrorCode.Generic);
    expect(await ls.decrypt(ours.id, mine)).toEqual(text('mine'));
    console.log(`interop: tampering: libsignal->ours ${refused} tampered messages refused, 2 genuine decrypted; ours->libsignal 1 tampered refused, 1 decrypted`);
  });
});
