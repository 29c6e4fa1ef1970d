/**
 * The same record-level probe against libsignal-client 0.90.0, whose SPQR
 * states allow fallback (min_version V0): Alice's first messages carry
 * index 0 and no key until she hears from Bob. Our codec must re-encode its
 * states identically, our recv must reproduce its states after every
 * message, and our send its deterministic transitions.
 */
import { describe, expect, it } from 'vitest';
import { deserializeMessage, serializeMessage } from '../../src/spqr/message.ts';
import { recv, send } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState, encodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { peerKit, pqPayloadOf, pqStatesOf, type LsPeer } from './libsignal-peer.ts';
import { hex } from './support.ts';

const kit = peerKit((await import('@signalapp/libsignal-client')) as never, { legacyAddresses: true });
const noRandom = (): Uint8Array => {
  throw new Error('randomness drawn');
};
const RANDOM_KINDS = new Set(['keysUnsampled', 'headerReceived']);

describe('SPQR interop with libsignal-client 0.90.0 records (min_version V0)', () => {
  it('interop: 0.90 initial states, index-0 messages, and 100 uneven rounds match byte for byte', async () => {
    const alice = new kit.Peer('3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7', 41);
    const bob = new kit.Peer('8a9b0c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d', 42);
    await alice.startSession(bob, true);
    const first = decodePqRatchetState(pqStatesOf(alice.record(bob)).current);
    expect(first.versionNegotiation?.minVersion).toBe(0);
    expect(first.chain).toBeUndefined();
    const kinds = new Set<string>();
    let recvChecked = 0;
    let sendChecked = 0;
    let indexZero = 0;
    let n = 0;
    const has = (p: LsPeer, q: LsPeer) => p.sessions.records.has(`${q.address.name()}.1`);
    const step = async (from: LsPeer, to: LsPeer) => {
      const senderBefore = has(from, to) ? pqStatesOf(from.record(to)).current : null;
      const receiverBefore = has(to, from) ? pqStatesOf(to.record(from)).current : null;
      const body = `0.90 message ${n++}`;
      const ct = await from.encrypt(to, new TextEncoder().encode(body));
      const payload = pqPayloadOf(kit, ct);
      const parsed = deserializeMessage(payload);
      if (parsed.index === 0) indexZero++;
      expect(hex(serializeMessage(parsed.msg, parsed.index))).toBe(hex(payload));
      const senderAfter = pqStatesOf(from.record(to)).current;
      const decoded = decodePqRatchetState(senderAfter);
      expect(hex(encodePqRatchetState(decoded))).toBe(hex(senderAfter));
      kinds.add(decoded.v1!.kind);
      if (senderBefore !== null && !RANDOM_KINDS.has(decodePqRatchetState(senderBefore).v1!.kind)) {
        const ours = send(senderBefore, noRandom);
        expect(hex(ours.msg)).toBe(hex(payload));
        expect(hex(ours.state)).toBe(hex(senderAfter));
        sendChecked++;
      }
      expect(new TextDecoder().decode(await to.decrypt(from, ct))).toBe(body);
      const receiverAfter = pqStatesOf(to.record(from)).current;
      const decodedAfter = decodePqRatchetState(receiverAfter);
      expect(hex(encodePqRatchetState(decodedAfter))).toBe(hex(receiverAfter));
      kinds.add(decodedAfter.v1!.kind);
      if (receiverBefore !== null) {
        expect(hex(recv(receiverBefore, payload).state)).toBe(hex(receiverAfter));
        recvChecked++;
      }
    };
    // Alice sends three before Bob answers: index 0, no chain yet (fallback allowed)
    for (let k = 0; k < 3; k++) await step(alice, bob);
    expect(indexZero).toBe(3);
    for (let i = 0; i < 100; i++) {
      for (let k = 0; k < 1 + (i % 3); k++) await step(alice, bob);
      for (let k = 0; k < 1 + (i % 2); k++) await step(bob, alice);
    }
    expect(kinds.size).toBeGreaterThanOrEqual(10);
    expect(recvChecked).toBeGreaterThan(340);
    expect(sendChecked).toBeGreaterThan(300);
  });
});
