/**
 * Records moved between libsignal-client 0.103.0 and Sealpost's SPQR, both
 * ways, mid-epoch: libsignal runs the conversation for a while, then both
 * sides' pq_ratchet_state bytes are continued by our send/recv (with our own
 * randomness: our ML-KEM keys, our encapsulation states), then planted back
 * into the libsignal records, and libsignal carries on. libsignal only
 * decrypts if our states are ones it can continue and its SPQR keys (the
 * message-key salts) agree on both sides.
 */
import { describe, expect, it } from 'vitest';
import { recv, send } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { peerKit, pqStatesOf, storeRecord, withPqState } from './libsignal-peer.ts';
import { hex, seededRandom } from './support.ts';

const kit = peerKit(await import('@signalapp/libsignal-client-0103'));
const Peer103 = kit.Peer;

const text = (s: string) => new TextEncoder().encode(s);

describe('SPQR records moved libsignal 0.103 → Sealpost → libsignal 0.103', () => {
  it('interop: 12 alternations of libsignal and Sealpost segments, every plaintext and key agrees', async () => {
    const alice = new Peer103('0f8a3c52-9e61-4b7d-8c2e-1a5b9d4e7f03', 31);
    const bob = new Peer103('7e2d9b14-3a6c-4f85-b0d1-c9e8a7f6b5a4', 32);
    await alice.startSession(bob, true);
    const rnd = seededRandom(77);
    const planted = new Set<string>();
    let n = 0;
    let ourKeys = 0;
    const libsignalRound = async () => {
      for (const [from, to] of [
        [alice, bob],
        [bob, alice],
      ] as const) {
        const body = `libsignal message ${n++}`;
        expect(new TextDecoder().decode(await to.decrypt(from, await from.encrypt(to, text(body))))).toBe(body);
      }
    };
    await libsignalRound();
    for (let segment = 0; segment < 12; segment++) {
      for (let i = 0; i < 7; i++) await libsignalRound();
      let pa = pqStatesOf(alice.record(bob)).current;
      let pb = pqStatesOf(bob.record(alice)).current;
      for (let i = 0; i < 9 + segment; i++) {
        const sa = send(pa, rnd);
        pa = sa.state;
        const rb = recv(pb, sa.msg);
        pb = rb.state;
        expect(hex(rb.key!)).toBe(hex(sa.key!));
        const sb = send(pb, rnd);
        pb = sb.state;
        const ra = recv(pa, sb.msg);
        pa = ra.state;
        expect(hex(ra.key!)).toBe(hex(sb.key!));
        ourKeys += 2;
      }
      for (const s of [pa, pb]) planted.add(decodePqRatchetState(s).v1!.kind);
      storeRecord(alice, bob, withPqState(alice.record(bob), pa));
      storeRecord(bob, alice, withPqState(bob.record(alice), pb));
    }
    for (let i = 0; i < 60; i++) await libsignalRound();
    expect(ourKeys).toBeGreaterThan(300);
    // our encapsulation states (es) and our ML-KEM keys were among those libsignal continued
    expect([...planted].some((k) => k === 'ct1Sampled' || k === 'ct1Acknowledged' || k === 'ekReceivedCt1Sampled')).toBe(true);
    expect([...planted].some((k) => k === 'headerSent' || k === 'ct1Received' || k === 'keysSampled')).toBe(true);
    expect(planted.size).toBeGreaterThanOrEqual(5);
    const epoch = decodePqRatchetState(pqStatesOf(alice.record(bob)).current).v1!.epoch;
    expect(epoch).toBeGreaterThanOrEqual(5n);
  });
});
