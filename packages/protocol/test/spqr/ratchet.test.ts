import { describe, expect, it } from 'vitest';
import { SpqrError } from '../../src/spqr/errors.ts';
import { currentVersion, initialState, recv, send } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState, encodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { hex, seededRandom } from './support.ts';

const AK = new Uint8Array(32).fill(0x29);
const init = (direction: number, minVersion = 1) => initialState({ direction, version: 1, minVersion, authKey: AK });

function roundTrips(state: Uint8Array): void {
  expect(hex(encodePqRatchetState(decodePqRatchetState(state)))).toBe(hex(state));
}

describe('SPQR V1 ratchet, both sides', () => {
  it('first messages have the documented shapes and keys agree', () => {
    const rnd = seededRandom(1);
    const a = send(init(0), rnd);
    expect(a.msg).toHaveLength(37);
    expect(hex(a.msg.subarray(0, 5))).toBe('0101010100');
    expect(a.key).toHaveLength(32);
    const b = recv(init(1), a.msg);
    expect(hex(b.key!)).toBe(hex(a.key!));
    const b1 = send(init(1), rnd);
    expect(hex(b1.msg)).toBe('01010100');
    expect(currentVersion(init(0))).toEqual({ negotiating: true, version: 1, minVersion: 1 });
    expect(currentVersion(b.state)).toEqual({ negotiating: false, version: 1 });
  });

  it('lockstep for 240 round trips: every key agrees, epochs advance, roles swap, every state re-encodes identically', () => {
    const rnd = seededRandom(2);
    let A = init(0);
    let B = init(1);
    const kinds = new Set<string>();
    let maxEpoch = 0n;
    for (let step = 0; step < 240; step++) {
      const sa = send(A, rnd);
      A = sa.state;
      const rb = recv(B, sa.msg);
      B = rb.state;
      expect(hex(rb.key!)).toBe(hex(sa.key!));
      const sb = send(B, rnd);
      B = sb.state;
      const ra = recv(A, sb.msg);
      A = ra.state;
      expect(hex(ra.key!)).toBe(hex(sb.key!));
      for (const s of [A, B]) {
        roundTrips(s);
        const d = decodePqRatchetState(s);
        kinds.add(d.v1!.kind);
        if (d.v1!.epoch > maxEpoch) maxEpoch = d.v1!.epoch;
      }
    }
    expect(maxEpoch).toBeGreaterThanOrEqual(5n);
    expect([...kinds].sort()).toEqual(
      [
        'keysUnsampled',
        'keysSampled',
        'headerSent',
        'ct1Received',
        'ekSentCt1Received',
        'noHeaderReceived',
        'headerReceived',
        'ct1Sampled',
        'ct1Acknowledged', // in lockstep ct1 (30 chunks) completes before ek (36 chunks)
        'ct2Sampled',
      ].sort(),
    );
  });

  it('random schedule with drops, duplicates and reordering: every delivered key agrees', () => {
    const rnd = seededRandom(3);
    const coin = () => rnd(1)[0]!;
    const st = [init(0), init(1)];
    const inFlight: { to: number; msg: Uint8Array; key: Uint8Array | null }[][] = [[], []];
    let delivered = 0;
    let maxEpoch = 0n;
    for (let step = 0; step < 1200; step++) {
      const from = coin() & 1;
      const to = 1 - from;
      if (coin() < 150) {
        const s = send(st[from]!, rnd);
        st[from] = s.state;
        if (coin() >= 20) inFlight[to]!.push({ to, msg: s.msg, key: s.key }); // ~8% dropped
      } else if (inFlight[to]!.length > 0) {
        const q = inFlight[to]!;
        const pick = coin() < 200 ? 0 : Math.min(q.length - 1, coin() % 4); // mostly in order
        const m = q[pick]!;
        if (coin() >= 20) q.splice(pick, 1); // else: stays, to be delivered again (a duplicate)
        try {
          const r = recv(st[to]!, m.msg);
          st[to] = r.state;
          expect(hex(r.key!)).toBe(hex(m.key!));
          delivered++;
        } catch (e) {
          expect(e).toBeInstanceOf(SpqrError);
          expect(['KeyAlreadyRequested', 'EpochOutOfRange', 'KeyTrimmed']).toContain((e as SpqrError).kind);
        }
      }
      for (const s of st) {
        const d = decodePqRatchetState(s);
        if (d.v1!.epoch > maxEpoch) maxEpoch = d.v1!.epoch;
      }
    }
    expect(delivered).toBeGreaterThan(300);
    expect(maxEpoch).toBeGreaterThanOrEqual(2n);
  });

  it('a tampered chunk is rejected, the state passed in is unchanged, and the genuine message still works', () => {
    const rnd = seededRandom(4);
    let A = init(0);
    let B = init(1);
    // A sends its 3 header chunks; B holds the third, tampered.
    const msgs = [send(A, rnd)];
    A = msgs[0]!.state;
    msgs.push(send(A, rnd));
    A = msgs[1]!.state;
    msgs.push(send(A, rnd));
    B = recv(B, msgs[0]!.msg).state;
    B = recv(B, msgs[1]!.msg).state;
    const forged = msgs[2]!.msg.slice();
    forged[10]! ^= 0x40;
    const before = B.slice();
    expect(() => recv(B, forged)).toThrow(expect.objectContaining({ kind: 'MacVerifyFailed', code: 'INVALID_MESSAGE' }));
    expect(hex(B)).toBe(hex(before));
    const ok = recv(B, msgs[2]!.msg);
    expect(hex(ok.key!)).toBe(hex(msgs[2]!.key!));
    expect(decodePqRatchetState(ok.state).v1!.kind).toBe('headerReceived');
  });

  it('version negotiation: V0 messages are refused when min V1, accepted (downgrade) when min V0', () => {
    expect(() => recv(init(1), new Uint8Array(0))).toThrow(expect.objectContaining({ kind: 'MinimumVersion' }));
    const down = recv(init(1, 0), new Uint8Array(0));
    expect(down.state).toHaveLength(0);
    expect(down.key).toBeNull();
    // a min-V0 initiator sends index 0 and no key until it hears from the peer
    const s = send(init(0, 0), seededRandom(5));
    expect(s.key).toBeNull();
    expect(hex(s.msg.subarray(0, 4))).toBe('01010001');
    expect(recv(init(1), s.msg).key).toBeNull();
    // unknown versions are ignored, state unchanged
    const b = init(1);
    expect(hex(recv(b, Uint8Array.of(7, 1, 1, 0)).state)).toBe(hex(b));
    // once negotiated, a V0 message is a mismatch
    const negotiated = recv(init(1), send(init(0), seededRandom(6)).msg).state;
    expect(() => recv(negotiated, new Uint8Array(0))).toThrow(expect.objectContaining({ kind: 'VersionMismatch' }));
  });
});
