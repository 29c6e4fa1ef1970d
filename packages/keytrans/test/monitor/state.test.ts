/**
 * The small state transitions and the pinned configuration: a contact
 * label is monitored until re-confirmed a window after first seen, owned
 * labels never go back, ktPinned refuses keys that do not fit together.
 */
import { describe, expect, it } from 'vitest';
import { toBase64 } from '@sealpost/protocol/primitives';
import { KtDirectory } from '../../src/directory.ts';
import { applySearch, ktSearchRequest } from '../../src/monitor/apply-search.ts';
import { ktPinned } from '../../src/monitor/pinned.ts';
import { emptyKtState, labelsToMonitor, setOwnedLabel } from '../../src/monitor/state.ts';
import type { KtClientState } from '../../src/monitor/types.ts';
import { ed25519NoteSigner } from '../../src/signed-note.ts';
import { code, seed } from '../support/error-code.ts';
import { MINUTE, ORIGIN, T0, VRF_SK, fromDirectory, label, value, world } from './world.ts';

describe('monitor state', () => {
  it('a contact label is monitored until re-confirmed contactMonitoringWindowMs after it was first seen', () => {
    const w = world({ contactMonitoringWindowMs: 30 * MINUTE });
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }], T0);
    const step = (state: KtClientState) => {
      const request = ktSearchRequest(state, label(1));
      return applySearch({ state, pinned: w.pinned, label: label(1), request, response: w.respond(fromDirectory(dir), request), nowMs: w.clock.now, purpose: 'contact' });
    };
    let state = step(emptyKtState()).state;
    expect(labelsToMonitor(state, w.clock.now + 10 * MINUTE, 10 * MINUTE)).toEqual([label(1)]);
    expect(labelsToMonitor(state, w.clock.now + 5 * MINUTE, 10 * MINUTE)).toEqual([]);
    for (const dt of [10, 10, 10]) {
      w.clock.now += dt * MINUTE;
      dir.update([], w.clock.now);
      const r = step(state);
      expect(r.outcome.kind).toBe('verified');
      state = r.state;
    }
    const accepted = state.labels.get(toBase64(label(1)))!;
    expect(accepted).toMatchObject({ version: 0, firstSeenMs: T0, lastCheckedMs: T0 + 30 * MINUTE, done: true });
    expect(labelsToMonitor(state, w.clock.now + 60 * MINUTE, 10 * MINUTE)).toEqual([]);
  });

  it('owned labels never go back; ktPinned refuses a log key that is not the origin’s or not in the policy', () => {
    const s = setOwnedLabel(emptyKtState(), label(1), 2, value(1, 2), T0);
    expect(code(() => setOwnedLabel(s, label(1), 1, value(1, 1), T0))).toBe('INVALID_ARGUMENT');
    const w = world();
    const other = ed25519NoteSigner(ORIGIN, seed(99));
    const base = { origin: ORIGIN, logVerifierKey: w.pinned.logVerifierKey, vrfPublicKey: w.pinned.vrfPublicKey, witnessPolicy: w.pinned.policy };
    expect(ktPinned(base).origin).toBe(ORIGIN);
    expect(code(() => ktPinned({ ...base, logVerifierKey: other.vkey }))).toBe('INVALID_ARGUMENT');
    expect(code(() => ktPinned({ ...base, origin: 'another.example/log' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => ktPinned({ ...base, vrfPublicKey: new Uint8Array(31) }))).toBe('INVALID_ARGUMENT');
    expect(code(() => ktPinned({ ...base, maxBehindMs: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
