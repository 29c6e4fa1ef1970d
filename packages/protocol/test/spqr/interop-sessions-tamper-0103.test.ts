/**
 * Session-level SPQR robustness with libsignal-client 0.103.0 as the peer:
 * tampered SPQR payloads (SignalMessage field 5) are refused with typed
 * errors, the record stays byte-identical and the genuine message still
 * decrypts; the addresses of field 6 are checked both ways; version
 * negotiation requires SPQR of peers, as 0.103 requires it of us.
 * Plus Sealpost ↔ Sealpost sessions with SPQR.
 */
import { describe, expect, it } from 'vitest';
import { BadMacError, SealpostError } from '../../src/index.ts';
import { SpqrError } from '../../src/spqr/errors.ts';
import { decodeSignalMessage } from '../../src/messages/signal-message.ts';
import { decodePreKeySignalMessage } from '../../src/messages/prekey-signal-message.ts';
import { ProtoReader } from '../../src/spqr/protobuf.ts';
import { peerKit, replaceField } from './libsignal-peer.ts';
import { SealpostDevice, type Wire, asLibsignal, fromLibsignal } from './sealpost-peer.ts';

const kit = peerKit(await import('@signalapp/libsignal-client-0103'));
const ls = kit.ls;
const enc = (s: string) => new TextEncoder().encode(s);
const UUID_OURS = 'c3e5a7b9-2d4f-4a6c-8e1b-5f7a9c1d3e5f';
const UUID_LS = 'd4f6b8ca-3e5a-4b7d-9f2c-6a8b0d2e4f6a';
const UUID_OTHER = 'e5a7c9db-4f6b-4c8e-8a3d-7b9c1e3f5a7b';

/** The message with its SignalMessage's field 5 replaced (MAC bytes kept). */
function withPayload(m: Wire, pq: Uint8Array): Wire {
  const swapInner = (signal: Uint8Array) => {
    const body = signal.subarray(1, signal.length - 8);
    return Uint8Array.from([signal[0]!, ...replaceField(body, 5, pq), ...signal.subarray(signal.length - 8)]);
  };
  if (m.type === 2) return { type: 2, bytes: swapInner(m.bytes) };
  const body = m.bytes.subarray(1);
  const inner = new ProtoReader(body).bytes(4);
  return { type: 3, bytes: Uint8Array.from([m.bytes[0]!, ...replaceField(body, 4, swapInner(inner))]) };
}
const payloadOf = (m: Wire) => (m.type === 3 ? decodePreKeySignalMessage(m.bytes).message : decodeSignalMessage(m.bytes)).pqRatchet;

/** Every tampering of field 5 we try: each byte flipped, truncations, extensions, bad versions, epoch 0, empty. */
function tamperings(pq: Uint8Array): { what: string; pq: Uint8Array }[] {
  const out: { what: string; pq: Uint8Array }[] = [];
  for (let i = 0; i < pq.length; i++) {
    const b = pq.slice();
    b[i]! ^= i === 0 ? 0x01 : 0x40;
    out.push({ what: `byte ${i} flipped`, pq: b });
  }
  out.push({ what: 'truncated by one', pq: pq.slice(0, -1) });
  out.push({ what: 'only the header', pq: pq.slice(0, 4) });
  out.push({ what: 'a trailing byte', pq: Uint8Array.from([...pq, 0]) });
  out.push({ what: 'unknown SPQR version', pq: Uint8Array.from([2, ...pq.subarray(1)]) });
  out.push({ what: 'epoch 0', pq: Uint8Array.from([1, 0, ...pq.subarray(2)]) });
  out.push({ what: 'empty (V0)', pq: new Uint8Array(0) });
  return out;
}

function refuseAll(ours: SealpostDevice, from: Parameters<SealpostDevice['decrypt']>[0], m: Wire): { spqr: number; mac: number; other: number } {
  const kinds = { spqr: 0, mac: 0, other: 0 };
  for (const t of tamperings(payloadOf(m))) {
    let err: unknown;
    try {
      ours.decrypt(from, withPayload(m, t.pq)); // asserts the record is unchanged on failure
    } catch (e) {
      err = e;
    }
    expect(err, `${t.what} accepted`).toBeInstanceOf(SealpostError);
    if (err instanceof SpqrError) kinds.spqr++;
    else if (err instanceof BadMacError) kinds.mac++;
    else kinds.other++;
  }
  return kinds;
}

describe('interop: tampered SPQR payloads from libsignal-client 0.103.0', () => {
  it('interop: every tampering of field 5 in PreKey and Whisper messages is refused (typed), the record is unchanged, the genuine messages decrypt', async () => {
    const ours = new SealpostDevice(UUID_OURS, 61);
    const them = new kit.Peer(UUID_LS, 62);
    const oursAddr = { address: ls.ProtocolAddress.new(UUID_OURS, 1) };
    await them.startSessionWith(oursAddr.address, ours.libsignalBundle(ls, true));
    const first = fromLibsignal(await them.encrypt(oursAddr, enc('first')));
    expect(first.type).toBe(3);
    const preKeyKinds = refuseAll(ours, them, first);
    expect(ours.records.size).toBe(0);
    expect(ours.decrypt(them, first)).toEqual(enc('first'));
    let whisperTotals = { spqr: 0, mac: 0, other: 0 };
    let refused = 0;
    for (let round = 0; round < 90; round++) {
      const m = fromLibsignal(await them.encrypt(oursAddr, enc(`m${round}`)));
      if (round % 9 === 0) {
        const k = refuseAll(ours, them, m);
        whisperTotals = { spqr: whisperTotals.spqr + k.spqr, mac: whisperTotals.mac + k.mac, other: whisperTotals.other + k.other };
        refused += tamperings(payloadOf(m)).length;
      }
      expect(ours.decrypt(them, m)).toEqual(enc(`m${round}`));
      const r = ours.encrypt(them, enc(`r${round}`));
      expect(await them.decrypt(oursAddr, asLibsignal(r))).toEqual(enc(`r${round}`));
    }
    expect(ours.spqrEpoch(them)).toBeGreaterThanOrEqual(2n);
    expect(whisperTotals.other).toBe(0);
    expect(preKeyKinds.other).toBe(0);
    expect(whisperTotals.spqr).toBeGreaterThan(0);
    expect(whisperTotals.mac).toBeGreaterThan(0);
    console.log(`interop 0.103 SPQR tampering: ${refused} tampered Whisper + ${tamperings(payloadOf(first)).length} PreKey refused (SpqrError ${whisperTotals.spqr + preKeyKinds.spqr}, BadMacError ${whisperTotals.mac + preKeyKinds.mac}); 91 genuine decrypted`);
  });

  it('interop: libsignal refuses our messages with a tampered field 5, then decrypts the genuine one', async () => {
    const ours = new SealpostDevice(UUID_OURS, 63);
    const them = new kit.Peer(UUID_LS, 64);
    const oursAddr = { address: ls.ProtocolAddress.new(UUID_OURS, 1) };
    ours.startSession(them, await them.bundle(false));
    const pk = ours.encrypt(them, enc('pk'));
    const badPk = withPayload(pk, Uint8Array.from(payloadOf(pk).map((b, j) => (j === 5 ? b ^ 1 : b))));
    await expect(them.decrypt(oursAddr, asLibsignal(badPk))).rejects.toBeInstanceOf(ls.LibSignalErrorBase);
    expect(await them.decrypt(oursAddr, asLibsignal(pk))).toEqual(enc('pk'));
    ours.decrypt(them, fromLibsignal(await them.encrypt(oursAddr, enc('ack'))));
    const w = ours.encrypt(them, enc('whisper'));
    expect(w.type).toBe(2);
    const badW = withPayload(w, Uint8Array.from(payloadOf(w).map((b, j) => (j === 2 ? b ^ 1 : b))));
    await expect(them.decrypt(oursAddr, asLibsignal(badW))).rejects.toBeInstanceOf(ls.LibSignalErrorBase);
    expect(await them.decrypt(oursAddr, asLibsignal(w))).toEqual(enc('whisper'));
  });
});

describe('interop: field 6 addresses and version negotiation with libsignal-client 0.103.0', () => {
  it('interop: a PreKey message naming another sender or recipient is refused (BadMacError), both ways', async () => {
    const ours = new SealpostDevice(UUID_OURS, 65);
    const them = new kit.Peer(UUID_LS, 66);
    const oursAddr = { address: ls.ProtocolAddress.new(UUID_OURS, 1) };
    await them.startSessionWith(oursAddr.address, ours.libsignalBundle(ls, true));
    const m = fromLibsignal(await them.encrypt(oursAddr, enc('to ours')));
    // We believe it came from another account: field 6 names UUID_LS, not UUID_OTHER.
    expect(() => ours.decrypt({ address: { name: UUID_OTHER, deviceId: 1 } }, m)).toThrow(BadMacError);
    expect(ours.decrypt(them, m)).toEqual(enc('to ours'));

    // Our PreKey message claims to be from UUID_OTHER: libsignal, expecting UUID_OURS, refuses it.
    const impostor = new SealpostDevice(UUID_OTHER, 67);
    const them2 = new kit.Peer(UUID_LS, 68);
    impostor.startSession(them2, await them2.bundle(true));
    const claimed = impostor.encrypt(them2, enc('who am I'));
    await expect(them2.decrypt(oursAddr, asLibsignal(claimed))).rejects.toBeInstanceOf(ls.LibSignalErrorBase);
    expect(await them2.decrypt({ address: ls.ProtocolAddress.new(UUID_OTHER, 1) }, asLibsignal(claimed))).toEqual(enc('who am I'));
  });

  it('interop: libsignal 0.103 refuses a Sealpost session without SPQR; a Sealpost responder refuses a peer without SPQR (SpqrError MinimumVersion)', async () => {
    const noSpqr = new SealpostDevice(UUID_OURS, 69, { spqr: false });
    const them = new kit.Peer(UUID_LS, 70);
    const oursAddr = { address: ls.ProtocolAddress.new(UUID_OURS, 1) };
    noSpqr.startSession(them, await them.bundle(true));
    const m = noSpqr.encrypt(them, enc('no spqr'));
    expect(payloadOf(m)).toHaveLength(0);
    await expect(them.decrypt(oursAddr, asLibsignal(m))).rejects.toBeInstanceOf(ls.LibSignalErrorBase);

    const responder = new SealpostDevice(UUID_LS, 71);
    const sender = new SealpostDevice(UUID_OURS, 72, { spqr: false });
    sender.startSession(responder, responder.bundle(true));
    let err: unknown;
    try {
      responder.decrypt(sender, sender.encrypt(responder, enc('no spqr')));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpqrError);
    expect((err as SpqrError).kind).toBe('MinimumVersion');
    expect(responder.records.size).toBe(0);
  });
});

describe('Sealpost ↔ Sealpost sessions with SPQR', () => {
  it('150 lockstep round trips with bursts cross several SPQR epochs; every message carries SPQR, PreKey messages carry addresses', () => {
    const alice = new SealpostDevice(UUID_OURS, 73);
    const bob = new SealpostDevice(UUID_LS, 74);
    alice.startSession(bob, bob.bundle(true));
    let crossed = 0;
    for (let round = 0; round < 150; round++) {
      for (const [from, to] of [[alice, bob], [bob, alice]] as const) {
        for (let j = 0; j <= round % 3; j++) {
          const t = enc(`${round}.${j} from ${from.address.name}`);
          const m = from.encrypt(to, t);
          const inner = m.type === 3 ? decodePreKeySignalMessage(m.bytes).message : decodeSignalMessage(m.bytes);
          expect(inner.pqRatchet.length).toBeGreaterThanOrEqual(4);
          expect(inner.addresses !== undefined).toBe(m.type === 3);
          expect(to.decrypt(from, m)).toEqual(t);
          crossed++;
        }
      }
    }
    expect(alice.spqrEpoch(bob)).toBeGreaterThanOrEqual(4n);
    expect(bob.spqrEpoch(alice)).toBeGreaterThanOrEqual(4n);
    console.log(`ours<->ours SPQR lockstep: ${crossed} messages, SPQR epoch ${alice.spqrEpoch(bob)}`);
  });
});
