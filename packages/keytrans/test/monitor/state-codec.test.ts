/**
 * The KT state codec: deterministic (equal states, equal bytes; decode then
 * encode gives the same bytes), round-trips states that hold every kind of
 * field, and refuses garbage with MALFORMED: every truncation, trailing
 * bytes, random bytes, and any single-byte change that decodes at all
 * decodes to a state whose encoding is exactly the changed bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KtTestLog } from '@sealpost/devkit/kt-responder';
import { applySearch, ktSearchRequest } from '../../src/monitor/apply-search.ts';
import { decodeKtState, encodeKtState } from '../../src/monitor/state-codec.ts';
import { emptyKtState, setOwnedLabel } from '../../src/monitor/state.ts';
import type { KtClientState } from '../../src/monitor/types.ts';
import { equalBytes } from '@sealpost/protocol/primitives';
import { code } from '../support/error-code.ts';
import { MINUTE, T0, VRF_SK, label, value, world } from './world.ts';

/** A state with a retained head, a pending head, labels, an owned label, VRF cache entries and evidence. */
function richState(): KtClientState {
  const w = world();
  const log = new KtTestLog(VRF_SK);
  log.update([{ label: label(1), value: value(1, 0) }, { label: label(2), value: value(2, 0) }], T0);
  log.update([{ label: label(1), value: value(1, 1) }], T0 + 1000);
  w.clock.now = T0 + 1000;
  let state = setOwnedLabel(emptyKtState(), label(2), 0, value(2, 0), T0);
  const step = (l: Uint8Array, purpose: 'owner' | 'contact', witnesses?: number[], size?: number) => {
    const request = ktSearchRequest(state, l);
    state = applySearch({ state, pinned: w.pinned, label: l, request, response: w.respond(log, request, { ...(witnesses ? { witnesses } : {}), ...(size ? { size } : {}) }), nowMs: w.clock.now, purpose }).state;
  };
  step(label(1), 'contact');
  step(label(2), 'owner');
  step(label(1), 'contact', undefined, 1); // rollback ⇒ evidence
  log.update([], T0 + 2000);
  w.clock.now += MINUTE;
  step(label(1), 'contact', [0]); // unwitnessed ⇒ pending
  expect(state.retained).toBeDefined();
  expect(state.pending).toHaveLength(1);
  expect(state.evidence).toHaveLength(1);
  expect(state.labels.size).toBe(1);
  expect(state.vrfCache.size).toBeGreaterThan(0);
  return state;
}

describe('KT state codec', () => {
  const state = richState();
  const bytes = encodeKtState(state);

  it('is deterministic and round-trips', () => {
    expect(encodeKtState(emptyKtState())).toEqual(encodeKtState(decodeKtState(encodeKtState(emptyKtState()))));
    const back = decodeKtState(bytes);
    expect(encodeKtState(back)).toEqual(bytes);
    expect(back.retained!.note).toBe(state.retained!.note);
    expect([...back.labels.keys()]).toEqual([...state.labels.keys()]);
    expect(back.evidence).toEqual(state.evidence);
    // Map insertion order of labels does not matter
    const reordered = { ...state, labels: new Map([...state.labels].reverse()) };
    expect(encodeKtState(reordered)).toEqual(bytes);
  });

  it('refuses every truncation and trailing bytes', () => {
    for (let n = 0; n < bytes.length; n += 7) expect(code(() => decodeKtState(bytes.subarray(0, n)))).toBe('MALFORMED');
    expect(code(() => decodeKtState(Uint8Array.of(...bytes, 0)))).toBe('MALFORMED');
  });

  it('a single-byte change either is refused (MALFORMED) or decodes canonically', () => {
    let refused = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i]! ^= 0x21;
      let s: KtClientState | undefined;
      const c = code(() => (s = decodeKtState(b)));
      if (c === undefined) expect(equalBytes(encodeKtState(s!), b)).toBe(true);
      else {
        expect(c).toBe('MALFORMED');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('random bytes are refused with MALFORMED (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        expect(code(() => decodeKtState(junk))).toBe('MALFORMED');
        expect(code(() => decodeKtState(Uint8Array.of(0x4b, 0x54, 0x53, 1, ...junk)))).toBe('MALFORMED');
      }),
    );
  });
});
