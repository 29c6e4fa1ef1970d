/**
 * Interop probe against libsignal-client 0.103.0: two libsignal peers talk
 * (SPQR on, as 0.103 requires); after every message we take the session
 * records' pq_ratchet_state bytes and check that
 *  - our PqRatchetState codec decodes and re-encodes them byte-identically;
 *  - our SPQR message codec re-encodes libsignal's field-5 payloads exactly;
 *  - our recv(), run on the receiver's state before decryption and the
 *    message's field 5, yields exactly the state libsignal stored after it;
 *  - our send(), for the deterministic transitions (no randomness drawn),
 *    yields exactly libsignal's next state and field-5 payload.
 */
import { describe, expect, it } from 'vitest';
import { encaps1 } from '../../src/spqr/incremental-mlkem768.ts';
import { deserializeMessage, serializeMessage } from '../../src/spqr/message.ts';
import { recv, send } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState, encodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { type LsPeer, peerKit, pqPayloadOf, pqStatesOf } from './libsignal-peer.ts';
import { hex } from './support.ts';

const kit = peerKit(await import('@signalapp/libsignal-client-0103'));
const ls = kit.ls;
const Peer103 = kit.Peer;
type Peer103 = LsPeer;

const noRandom = (): Uint8Array => {
  throw new Error('randomness drawn');
};
const RANDOM_KINDS = new Set(['keysUnsampled', 'headerReceived']);

interface Tally {
  kinds: Set<string>;
  maxEpoch: bigint;
  es: { checked: number };
  records: number;
  recvChecked: number;
  sendChecked: number;
  /** Parity (non-systematic) chunks libsignal sent that our send() reproduced. */
  parityChecked: number;
}
const SYSTEMATIC_CHUNKS: Record<string, number> = { hdr: 3, ek: 36, ekCt1Ack: 36, ct1: 30, ct2: 5 };

function checkState(state: Uint8Array, t: Tally): void {
  const decoded = decodePqRatchetState(state);
  expect(hex(encodePqRatchetState(decoded))).toBe(hex(state));
  if (decoded.v1 !== undefined) {
    t.kinds.add(decoded.v1.kind);
    if (decoded.v1.epoch > t.maxEpoch) t.maxEpoch = decoded.v1.epoch;
    if (decoded.v1.kind === 'ct1Sampled' && decoded.v1.sendingCt1.idx === 1) checkEncaps1(decoded.v1, t);
  }
  t.records++;
}

/** libcrux's encapsulation state vs ours, recomputed from its m: same ct1 and the same 2080 state bytes. */
function checkEncaps1(s: { hdr: Uint8Array; es: Uint8Array; ct1: Uint8Array }, t: Tally): void {
  const ours = encaps1(s.hdr, s.es.subarray(2048));
  expect(hex(ours.ct1)).toBe(hex(s.ct1));
  expect(hex(ours.es.subarray(1536))).toBe(hex(s.es.subarray(1536)));
  expect(hex(ours.es)).toBe(hex(s.es));
  t.es.checked++;
}

async function converse(
  rounds: number,
  withOneTime: boolean,
  burst: (round: number) => [number, number] = () => [1, 1],
  dropped: (n: number) => boolean = () => false,
): Promise<Tally> {
  const alice = new Peer103('9d0652a3-dcc3-4d11-975f-74d61598733f', 11);
  const bob = new Peer103('796abedb-ca4e-4f18-8803-1fde5b921f9f', 22);
  const t: Tally = { kinds: new Set(), maxEpoch: 0n, es: { checked: 0 }, records: 0, recvChecked: 0, sendChecked: 0, parityChecked: 0 };
  await alice.startSession(bob, withOneTime);
  const initial = decodePqRatchetState(pqStatesOf(alice.record(bob)).current);
  expect(initial.v1?.kind).toBe('keysUnsampled');
  expect(initial.versionNegotiation?.minVersion).toBe(1);
  expect(initial.versionNegotiation?.authKey).toHaveLength(32);
  const step = async (from: Peer103, to: Peer103, i: number) => {
    const senderBefore = from.sessions.records.has(`${to.address.name()}.1`) ? pqStatesOf(from.record(to)).current : null;
    const receiverBefore = to.sessions.records.has(`${from.address.name()}.1`) ? pqStatesOf(to.record(from)).current : null;
    const text = new TextEncoder().encode(`message ${i} from ${from.address.name()}`);
    const ct = await from.encrypt(to, text);
    const payload = pqPayloadOf(kit, ct);
    const parsed = deserializeMessage(payload);
    expect(hex(serializeMessage(parsed.msg, parsed.index))).toBe(hex(payload));
    const senderAfter = pqStatesOf(from.record(to)).current;
    checkState(senderAfter, t);
    if (senderBefore !== null && !RANDOM_KINDS.has(decodePqRatchetState(senderBefore).v1!.kind)) {
      const ours = send(senderBefore, noRandom);
      expect(hex(ours.msg)).toBe(hex(payload));
      expect(hex(ours.state)).toBe(hex(senderAfter));
      t.sendChecked++;
      const p = parsed.msg.payload;
      if ('chunk' in p && p.chunk.index >= SYSTEMATIC_CHUNKS[p.type]!) t.parityChecked++;
    }
    if (dropped(i)) return; // lost on the way: the receiver never sees it
    const plain = await to.decrypt(from, ct);
    expect(new TextDecoder().decode(plain)).toBe(`message ${i} from ${from.address.name()}`);
    const receiverAfter = pqStatesOf(to.record(from));
    checkState(receiverAfter.current, t);
    for (const p of receiverAfter.previous) if (p.length > 0) checkState(p, t);
    if (receiverBefore !== null) {
      expect(hex(recv(receiverBefore, payload).state)).toBe(hex(receiverAfter.current));
      t.recvChecked++;
    }
  };
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    const [fromAlice, fromBob] = burst(i);
    for (let k = 0; k < fromAlice; k++) await step(alice, bob, n++);
    for (let k = 0; k < fromBob; k++) await step(bob, alice, n++);
  }
  expect(ls.SessionRecord.deserialize(Uint8Array.from(alice.record(bob))).hasCurrentState()).toBe(true);
  return t;
}

describe('SPQR interop with libsignal-client 0.103.0 (libsignal ↔ libsignal records)', () => {
  it('interop: 110 lockstep round trips with a one-time prekey', async () => {
    const t = await converse(110, true);
    console.log(`interop tally: kinds=${[...t.kinds].join(',')} maxEpoch=${t.maxEpoch} es=${JSON.stringify(t.es)} recv=${t.recvChecked} send=${t.sendChecked} parity=${t.parityChecked}`);
    expect(t.maxEpoch).toBeGreaterThanOrEqual(3n);
    expect(t.es.checked).toBeGreaterThanOrEqual(1);
    expect(t.kinds.size).toBeGreaterThanOrEqual(10);
    expect(t.recvChecked).toBeGreaterThanOrEqual(219);
    expect(t.sendChecked).toBeGreaterThan(150);
    expect(t.records).toBeGreaterThan(400);
  });

  it('interop: 90 rounds of uneven bursts without a one-time prekey (parity chunks, both role orders)', async () => {
    const t = await converse(90, false, (i) => [1 + (i % 3), 1 + ((i * 7) % 4 === 0 ? 2 : 0)]);
    console.log(`interop bursts: kinds=${t.kinds.size} maxEpoch=${t.maxEpoch} recv=${t.recvChecked} send=${t.sendChecked} parity=${t.parityChecked}`);
    expect(t.kinds.size).toBeGreaterThanOrEqual(10);
    expect(t.maxEpoch).toBeGreaterThanOrEqual(3n);
    expect(t.parityChecked).toBeGreaterThanOrEqual(5);
    expect(t.recvChecked).toBeGreaterThanOrEqual(250);
  });
});

describe('SPQR with lost messages against libsignal-client 0.103.0', () => {
  it('interop: 25% of messages lost (after the first), decoders fill gaps from parity chunks, states still match', async () => {
    const lost = (n: number) => n > 1 && n % 4 === 0;
    const t = await converse(120, true, (i) => [1 + (i % 2), 1 + ((i + 1) % 3 === 0 ? 1 : 0)], lost);
    expect(t.maxEpoch).toBeGreaterThanOrEqual(3n);
    expect(t.kinds.size).toBeGreaterThanOrEqual(10);
    expect(t.recvChecked).toBeGreaterThan(200);
    expect(t.parityChecked).toBeGreaterThan(10);
  });
});

describe('SPQR key history against libsignal-client 0.103.0', () => {
  it('interop: skipped-key history (growth, clearing on far jumps, trimming) matches byte for byte', async () => {
    const alice = new Peer103('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 51);
    const bob = new Peer103('d5c4b3a2-f1e0-4d9c-8b7a-6f5e4d3c2b1a', 52);
    await alice.startSession(bob, true);
    const sent: { ct: Awaited<ReturnType<LsPeer['encrypt']>>; body: string }[] = [];
    for (let i = 0; i < 6500; i++) {
      const body = `burst ${i}`;
      sent.push({ ct: await alice.encrypt(bob, new TextEncoder().encode(body)), body });
    }
    // 1999 then 3999 grow the history past its trim size (2201 entries), forcing a trim; 6499 jumps more
    // than max_ooo_keys ahead, clearing it; the others take keys out of the history
    const deliveries = [0, 1999, 3999, 2500, 4299, 3000, 4100, 6499, 6000];
    let historyBytesMax = 0;
    for (const i of deliveries) {
      const before = bob.sessions.records.has(`${alice.address.name()}.1`) ? pqStatesOf(bob.record(alice)).current : null;
      const { ct, body } = sent[i]!;
      expect(new TextDecoder().decode(await bob.decrypt(alice, ct))).toBe(body);
      const after = pqStatesOf(bob.record(alice)).current;
      expect(hex(encodePqRatchetState(decodePqRatchetState(after)))).toBe(hex(after));
      if (before !== null) expect(hex(recv(before, pqPayloadOf(kit, ct)).state)).toBe(hex(after));
      const prev = decodePqRatchetState(after).chain!.links[0]!.recv!.prev.length;
      historyBytesMax = Math.max(historyBytesMax, prev);
    }
    expect(historyBytesMax).toBeGreaterThan(1900 * 36);
  });
});

describe('SPQR with reordered delivery against libsignal-client 0.103.0', () => {
  it('interop: batches delivered out of order, with late messages from older epochs; every state matches', async () => {
    const alice = new Peer103('c0ffee00-1111-4222-8333-444455556666', 71);
    const bob = new Peer103('decade00-7777-4888-9999-aaaabbbbcccc', 72);
    await alice.startSession(bob, true);
    await bob.decrypt(alice, await alice.encrypt(bob, new TextEncoder().encode('hi')));
    const orders = [
      [2, 0, 1],
      [1, 2, 0],
      [0, 2, 1],
      [2, 1, 0],
    ];
    let checked = 0;
    let maxEpoch = 0n;
    const deliver = async (from: LsPeer, to: LsPeer, batch: number, round: number) => {
      const cts: { ct: Awaited<ReturnType<LsPeer['encrypt']>>; body: string }[] = [];
      for (let k = 0; k < batch; k++) {
        const body = `r${round} k${k} ${from.address.name()}`;
        cts.push({ ct: await from.encrypt(to, new TextEncoder().encode(body)), body });
      }
      const order = batch === 3 ? orders[round % orders.length]! : [...cts.keys()];
      for (const k of order) {
        const before = pqStatesOf(to.record(from)).current;
        const { ct, body } = cts[k]!;
        expect(new TextDecoder().decode(await to.decrypt(from, ct))).toBe(body);
        const after = pqStatesOf(to.record(from)).current;
        expect(hex(recv(before, pqPayloadOf(kit, ct)).state)).toBe(hex(after));
        const e = decodePqRatchetState(after).v1!.epoch;
        if (e > maxEpoch) maxEpoch = e;
        checked++;
      }
    };
    for (let round = 0; round < 70; round++) {
      await deliver(alice, bob, 3, round);
      await deliver(bob, alice, round % 2 === 0 ? 3 : 1, round);
    }
    expect(checked).toBeGreaterThan(300);
    expect(maxEpoch).toBeGreaterThanOrEqual(3n);
  });
});
