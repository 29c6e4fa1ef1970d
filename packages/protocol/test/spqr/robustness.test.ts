import { describe, expect, it } from 'vitest';
import { SpqrError } from '../../src/spqr/errors.ts';
import { initialState, recv, send } from '../../src/spqr/ratchet.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { hex, seededRandom } from './support.ts';

const AK = new Uint8Array(32).fill(7);

/** States of both sides at several points of a lockstep run, plus the messages exchanged. */
function snapshots(): { states: Uint8Array[]; msgs: Uint8Array[] } {
  const rnd = seededRandom(99);
  let a = initialState({ direction: 0, version: 1, minVersion: 1, authKey: AK });
  let b = initialState({ direction: 1, version: 1, minVersion: 1, authKey: AK });
  const states: Uint8Array[] = [];
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    const sa = send(a, rnd);
    a = sa.state;
    b = recv(b, sa.msg).state;
    const sb = send(b, rnd);
    b = sb.state;
    a = recv(a, sb.msg).state;
    if (i % 9 === 0) states.push(a, b);
    msgs.push(sa.msg, sb.msg);
  }
  return { states, msgs };
}

function onlyTypedErrors(f: () => unknown): 'ok' | 'typed' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SpqrError)) throw e;
    return 'typed';
  }
}

describe('SPQR on hostile input: typed errors only, inputs untouched', () => {
  const { states, msgs } = snapshots();
  const rnd = seededRandom(5);

  it('mutated messages against many states', () => {
    const outcomes = { ok: 0, typed: 0 };
    for (let i = 0; i < 1500; i++) {
      const state = states[i % states.length]!;
      const m = msgs[rnd(1)[0]! % msgs.length]!.slice();
      const kind = rnd(1)[0]! % 3;
      let mutated: Uint8Array;
      if (kind === 0) {
        m[rnd(1)[0]! % m.length]! ^= 1 << (rnd(1)[0]! % 8);
        mutated = m;
      } else if (kind === 1) mutated = m.subarray(0, rnd(1)[0]! % m.length);
      else mutated = Uint8Array.of(1, ...rnd(rnd(1)[0]! % 48));
      const before = hex(state);
      outcomes[onlyTypedErrors(() => recv(state, mutated))]++;
      expect(hex(state)).toBe(before);
    }
    expect(outcomes.typed).toBeGreaterThan(100);
    expect(outcomes.ok).toBeGreaterThan(100);
  });

  it('wrong argument types are InvalidArgumentError, not crashes', () => {
    expect(() => recv('x' as never, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => recv(states[0]!, null as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => send(undefined as never, seededRandom(1))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => initialState({ direction: 0, version: 1, minVersion: 1, authKey: [1, 2] as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('mutated and truncated states', () => {
    const outcomes = { ok: 0, typed: 0 };
    for (let i = 0; i < 600; i++) {
      const s = states[i % states.length]!.slice();
      const cut = rnd(1)[0]! % 2 === 0;
      const bad = cut ? s.subarray(0, (rnd(2)[0]! * 256 + rnd(1)[0]!) % s.length) : s;
      if (!cut) bad[(rnd(1)[0]! * 256 + rnd(1)[0]!) % s.length]! ^= 1 << (rnd(1)[0]! % 8);
      outcomes[
        onlyTypedErrors(() => {
          decodePqRatchetState(bad);
          send(bad, seededRandom(i));
          recv(bad, msgs[i % msgs.length]!);
        })
      ]++;
    }
    expect(outcomes.typed).toBeGreaterThan(100);
  });
});
