/**
 * Sealpost sessions (triple ratchet: SPQR + Double Ratchet) against
 * libsignal-client 0.103.0, which requires SPQR: both sides initiating,
 * with and without one-time prekeys, lockstep conversations crossing
 * several SPQR epochs, random schedules with drops, duplicates and
 * reordering inside libsignal's windows, and records moved libsignal →
 * Sealpost → libsignal mid-epoch. Every plaintext must come back
 * byte-equal; every failed decrypt of ours leaves the record unchanged.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@sealpost/devkit/prng';
import { DuplicateMessageError, serializeAddresses } from '../../src/index.ts';
import { decodeSignalMessage } from '../../src/messages/signal-message.ts';
import { decodePreKeySignalMessage } from '../../src/messages/prekey-signal-message.ts';
import { deserializeMessage } from '../../src/spqr/message.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { type LsPeer, peerKit, pqStatesOf, storeRecord } from './libsignal-peer.ts';
import { SealpostDevice, type Wire, asLibsignal, fromLibsignal } from './sealpost-peer.ts';

const kit = peerKit(await import('@signalapp/libsignal-client-0103'));
const ls = kit.ls;
const enc = (s: string) => new TextEncoder().encode(s);
const UUID_OURS = 'a1c3e5f7-0b2d-4f6a-8c1e-3d5f7a9b1c2e';
const UUID_LS = 'b2d4f6a8-1c3e-4a7b-9d2f-4e6a8b0c2d3f';

function inner(m: Wire) {
  return m.type === 3 ? decodePreKeySignalMessage(m.bytes).message : decodeSignalMessage(m.bytes);
}
/** The SPQR chain epoch a message is keyed in (SPQR epoch - 1). */
const keyEpochOf = (m: Wire): bigint => deserializeMessage(inner(m).pqRatchet).msg.epoch - 1n;
const lsEpoch = (p: LsPeer, remote: { address: ReturnType<typeof ls.ProtocolAddress.new> }) =>
  decodePqRatchetState(pqStatesOf(p.record(remote)).current).v1?.epoch ?? 0n;

/** One side of a conversation, ours or libsignal's, behind one interface. */
interface Side {
  readonly name: string;
  send(text: Uint8Array): Promise<Wire>;
  receive(m: Wire): Promise<Uint8Array>;
  /** The newest SPQR chain epoch this side holds keys for. */
  chainEpoch(): bigint;
  isDuplicate(e: unknown): boolean;
}

function pair(ours: SealpostDevice, them: LsPeer): { ours: Side; them: Side; oursAddr: { address: ReturnType<typeof ls.ProtocolAddress.new> } } {
  const oursAddr = { address: ls.ProtocolAddress.new(ours.address.name, ours.address.deviceId) };
  return {
    oursAddr,
    ours: {
      name: 'ours',
      send: async (t) => ours.encrypt(them, t),
      receive: async (m) => ours.decrypt(them, m),
      chainEpoch: () => decodePqRatchetState(ours.record(them).current!.pqRatchetState).chain?.currentEpoch ?? 0n,
      isDuplicate: (e) => e instanceof DuplicateMessageError,
    },
    them: {
      name: 'libsignal',
      send: async (t) => fromLibsignal(await them.encrypt(oursAddr, Uint8Array.from(t))),
      receive: async (m) => them.decrypt(oursAddr, asLibsignal(m)),
      chainEpoch: () => decodePqRatchetState(pqStatesOf(them.record(oursAddr)).current).chain?.currentEpoch ?? 0n,
      isDuplicate: (e) => e instanceof ls.LibSignalErrorBase && e.code === ls.ErrorCode.DuplicatedMessage,
    },
  };
}

async function establish(oursInitiates: boolean, withOneTime: boolean) {
  const ours = new SealpostDevice(UUID_OURS, 41);
  const them = new kit.Peer(UUID_LS, 42);
  const p = pair(ours, them);
  if (oursInitiates) ours.startSession(them, await them.bundle(withOneTime));
  else await them.startSessionWith(p.oursAddr.address, ours.libsignalBundle(ls, withOneTime));
  return { device: ours, lsPeer: them, ...p, first: oursInitiates ? p.ours : p.them, second: oursInitiates ? p.them : p.ours };
}

describe('interop: Sealpost sessions with SPQR ↔ libsignal-client 0.103.0', () => {
  const ROUNDS = 220;
  for (const oursInitiates of [true, false]) {
    for (const withOneTime of [true, false]) {
      it(`interop: ${oursInitiates ? 'Sealpost' : 'libsignal'} initiates, ${withOneTime ? 'with' : 'without'} one-time prekey: ${ROUNDS} lockstep round trips with bursts cross several SPQR epochs`, async () => {
        const s = await establish(oursInitiates, withOneTime);
        const rng = new SeededRandom(oursInitiates ? (withOneTime ? 1 : 2) : withOneTime ? 3 : 4);
        let crossed = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (const [from, to] of [[s.first, s.second], [s.second, s.first]] as const) {
            const burst = 1 + rng.int(3);
            for (let j = 0; j < burst; j++) {
              const t = enc(`${from.name} ${round}.${j} ${'x'.repeat(rng.int(50))}`);
              const m = await from.send(t);
              const signal = inner(m);
              expect(signal.pqRatchet.length).toBeGreaterThanOrEqual(4);
              if (m.type === 3) {
                // PreKey messages name sender and recipient (field 6), both ways.
                const expected = from === s.ours
                  ? serializeAddresses({ name: UUID_OURS, deviceId: 1 }, { name: UUID_LS, deviceId: 1 })
                  : serializeAddresses({ name: UUID_LS, deviceId: 1 }, { name: UUID_OURS, deviceId: 1 });
                expect(signal.addresses).toEqual(expected);
              } else {
                expect(signal.addresses).toBeUndefined();
              }
              expect(await to.receive(m)).toEqual(t);
              crossed++;
            }
          }
        }
        const ourEpoch = s.device.spqrEpoch(s.lsPeer);
        const theirEpoch = lsEpoch(s.lsPeer, s.oursAddr);
        expect(ourEpoch).toBeGreaterThanOrEqual(4n);
        expect(theirEpoch).toBeGreaterThanOrEqual(4n);
        expect(ls.SessionRecord.deserialize(Uint8Array.from(s.lsPeer.record(s.oursAddr))).hasCurrentState()).toBe(true);
        console.log(`interop 0.103 lockstep (${oursInitiates ? 'ours' : 'libsignal'} initiates, one-time ${withOneTime}): ${crossed} messages, SPQR epoch ours ${ourEpoch} / libsignal ${theirEpoch}`);
      });
    }
  }

  for (const oursInitiates of [true, false]) {
    it(`interop: ${oursInitiates ? 'Sealpost' : 'libsignal'} initiates: random schedule with drops, duplicates and reordering (inside libsignal's windows), 600 messages each way`, async () => {
      const s = await establish(oursInitiates, !oursInitiates);
      const rng = new SeededRandom(oursInitiates ? 0x5eed : 0xfeed);
      interface InFlight { from: Side; to: Side; m: Wire; t: Uint8Array; seq: number; ratchet: string; delivered: boolean }
      const flights: InFlight[] = [];
      const sent = new Map<Side, number>([[s.ours, 0], [s.them, 0]]);
      const opened = new Map<Side, boolean>([[s.first, true], [s.second, false]]);
      const tally = { delivered: 0, dropped: 0, duplicates: 0, reordered: 0 };
      const lastSeq = new Map<Side, number>();
      /** Sender ratchet keys each side has read from, in the order it first did. */
      const chainsRead = new Map<Side, string[]>([[s.ours, []], [s.them, []]]);
      let seq = 0;
      const deliver = async (f: InFlight) => {
        flights.splice(flights.indexOf(f), 1);
        // A duplicate from a receiver chain libsignal has already evicted (5 kept) cannot be
        // recognised as a duplicate by either implementation: the schedule discards it.
        if (f.delivered && !chainsRead.get(f.to)!.slice(-4).includes(f.ratchet)) return;
        if (f.delivered) {
          const err = await f.to.receive(f.m).then(() => undefined, (e: unknown) => e);
          expect(f.to.isDuplicate(err), `duplicate not refused as such: ${String(err)}`).toBe(true);
          tally.duplicates++;
          return;
        }
        expect(await f.to.receive(f.m)).toEqual(f.t);
        f.delivered = true;
        opened.set(f.to, true);
        if (!chainsRead.get(f.to)!.includes(f.ratchet)) chainsRead.get(f.to)!.push(f.ratchet);
        tally.delivered++;
        if (f.seq < (lastSeq.get(f.to) ?? -1)) tally.reordered++;
        lastSeq.set(f.to, Math.max(f.seq, lastSeq.get(f.to) ?? -1));
        if (rng.next() < 0.04) flights.push({ ...f, seq: f.seq }); // a duplicate, delivered later
      };
      // libsignal's windows: 5 receiver chains (we keep a message's chain within the newest 3
      // of its direction in flight) and SPQR's one epoch before the send epoch (drained before sending).
      const pick = (): InFlight => {
        const byDir = flights.filter((f) => !f.delivered);
        const candidate = flights[rng.int(flights.length)]!;
        if (candidate.delivered) return candidate;
        const ratchets = [...new Set(byDir.filter((f) => f.to === candidate.to).map((f) => f.ratchet))];
        if (ratchets.indexOf(candidate.ratchet) >= 3) return byDir.find((f) => f.to === candidate.to)!;
        return candidate;
      };
      const send = async (from: Side, to: Side) => {
        for (;;) {
          const stale = flights.find((f) => f.to === from && !f.delivered && keyEpochOf(f.m) < from.chainEpoch() - 1n);
          if (stale === undefined) break;
          await deliver(stale);
        }
        const n = sent.get(from)!;
        sent.set(from, n + 1);
        const t = enc(`${from.name} #${n} ${'y'.repeat(rng.int(30))}`);
        const m = await from.send(t);
        if (rng.next() < 0.04) {
          tally.dropped++;
          return;
        }
        flights.push({ from, to, m, t, seq: seq++, ratchet: Buffer.from(inner(m).senderRatchetKey).toString('hex'), delivered: false });
      };
      const EACH = 600;
      while (sent.get(s.ours)! < EACH || sent.get(s.them)! < EACH || flights.length > 0) {
        const r = rng.next();
        const firstCan = sent.get(s.first)! < EACH;
        const secondCan = sent.get(s.second)! < EACH && opened.get(s.second)!;
        if (r < 0.3 && firstCan) await send(s.first, s.second);
        else if (r < 0.6 && secondCan) await send(s.second, s.first);
        else if (flights.length > 0) await deliver(pick());
        else if (firstCan) await send(s.first, s.second);
        else if (secondCan) await send(s.second, s.first);
      }
      console.log(`interop 0.103 random schedule (${oursInitiates ? 'ours' : 'libsignal'} initiates): delivered ${tally.delivered}, dropped ${tally.dropped}, duplicates refused ${tally.duplicates}, out of order ${tally.reordered}, SPQR epoch ${s.device.spqrEpoch(s.lsPeer)}`);
      expect(tally.delivered + tally.dropped).toBe(2 * EACH);
      expect(tally.duplicates).toBeGreaterThan(10);
      expect(tally.reordered).toBeGreaterThan(50);
      expect(s.device.spqrEpoch(s.lsPeer)).toBeGreaterThanOrEqual(3n);
    });
  }
});

describe('interop: session records moved libsignal 0.103 → Sealpost → libsignal 0.103', () => {
  it('interop: mid-epoch, with messages in flight across both moves; every plaintext byte-equal', async () => {
    const alice = new kit.Peer(UUID_LS, 51);
    const bob = new kit.Peer(UUID_OURS, 52);
    await alice.startSession(bob, true);
    let crossed = 0;
    const talk = async (rounds: number, bobSide: Side, aliceSide: Side, tag: string) => {
      for (let i = 0; i < rounds; i++) {
        const a = enc(`${tag} a${i}`);
        expect(await bobSide.receive(await aliceSide.send(a))).toEqual(a);
        const b = enc(`${tag} b${i}`);
        expect(await aliceSide.receive(await bobSide.send(b))).toEqual(b);
        crossed += 2;
      }
    };
    const bobAddr = { address: bob.address };
    const aliceAddr = { address: alice.address };
    const lsAlice: Side = { name: 'alice', send: async (t) => fromLibsignal(await alice.encrypt(bob, Uint8Array.from(t))), receive: async (m) => alice.decrypt(bob, asLibsignal(m)), chainEpoch: () => 0n, isDuplicate: () => false };
    const lsBob: Side = { name: 'bob', send: async (t) => fromLibsignal(await bob.encrypt(alice, Uint8Array.from(t))), receive: async (m) => bob.decrypt(alice, asLibsignal(m)), chainEpoch: () => 0n, isDuplicate: () => false };
    await talk(57, lsBob, lsAlice, 'ls');
    // Alice sends 5 more; libsignal Bob reads 2, then his record moves to Sealpost.
    const pending = [];
    for (let i = 0; i < 5; i++) pending.push({ t: enc(`pending ${i}`), m: fromLibsignal(await alice.encrypt(bob, enc(`pending ${i}`))) });
    for (const p of pending.slice(0, 2)) expect(await lsBob.receive(p.m)).toEqual(p.t);
    const epochBefore = lsEpoch(bob, aliceAddr);
    const kind = decodePqRatchetState(pqStatesOf(bob.record(aliceAddr)).current).v1?.kind;
    const ours = new SealpostDevice(UUID_OURS, 52);
    ours.records.set(`${UUID_LS}.1`, Uint8Array.from(bob.record(aliceAddr)));
    const oursBob: Side = { name: 'ours-bob', send: async (t) => ours.encrypt(alice, t), receive: async (m) => ours.decrypt(alice, m), chainEpoch: () => 0n, isDuplicate: () => false };
    for (const i of [4, 2, 3]) expect(await oursBob.receive(pending[i]!.m)).toEqual(pending[i]!.t);
    await talk(60, oursBob, lsAlice, 'ours');
    const epochMid = ours.spqrEpoch(alice);
    expect(epochMid).toBeGreaterThan(epochBefore);
    // Alice sends 3 more: Sealpost Bob reads one, then the record moves back and libsignal Bob reads the rest.
    const back = [];
    for (let i = 0; i < 3; i++) back.push({ t: enc(`back ${i}`), m: fromLibsignal(await alice.encrypt(bob, enc(`back ${i}`))) });
    expect(await oursBob.receive(back[1]!.m)).toEqual(back[1]!.t);
    storeRecord(bob, alice, Uint8Array.from(ours.records.get(`${UUID_LS}.1`)!));
    for (const i of [2, 0]) expect(await lsBob.receive(back[i]!.m)).toEqual(back[i]!.t);
    await talk(60, lsBob, lsAlice, 'ls again');
    expect(lsEpoch(bob, aliceAddr)).toBeGreaterThan(epochMid);
    void bobAddr;
    console.log(`interop 0.103 record move: ${crossed} round-trip messages + 8 in flight; moved at SPQR epoch ${epochBefore} (${kind}), back at ${epochMid}`);
  });
});
