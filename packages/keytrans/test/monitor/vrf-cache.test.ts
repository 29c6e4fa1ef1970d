/**
 * The verified-VRF cache: the first search of a label runs both ECVRF
 * verifications, a second search with the returned state runs none (the
 * same proofs are cached under (VRF key, label, version, proof bytes)), a
 * state without the cache runs them again, and a new version runs only
 * the new proofs. Counted by wrapping vrfVerify.
 */
import { describe, expect, it, vi } from 'vitest';
import { KtDirectory } from '../../src/directory.ts';
import { applySearch, ktSearchRequest } from '../../src/monitor/apply-search.ts';
import { emptyKtState } from '../../src/monitor/state.ts';
import type { KtClientState } from '../../src/monitor/types.ts';
import { MINUTE, T0, VRF_SK, fromDirectory, label, value, world } from './world.ts';

const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/vrf.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/vrf.ts')>();
  return {
    ...real,
    vrfVerify: (...args: Parameters<typeof real.vrfVerify>) => {
      calls.n++;
      return real.vrfVerify(...args);
    },
  };
});

describe('verified-VRF cache', () => {
  it('a warm search skips ECVRF; only new proofs are verified', () => {
    const w = world();
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }, { label: label(2), value: value(2, 0) }], T0);
    const run = (state: KtClientState, l = label(1)) => {
      calls.n = 0;
      const request = ktSearchRequest(state, l);
      const r = applySearch({ state, pinned: w.pinned, label: l, request, response: w.respond(fromDirectory(dir), request), nowMs: w.clock.now, purpose: 'contact' });
      return { ...r, checks: calls.n };
    };
    const cold = run(emptyKtState());
    expect(cold.outcome.kind).toBe('verified');
    expect(cold.checks).toBe(2);
    expect(cold.state.vrfCache.size).toBe(2);
    w.clock.now += MINUTE;
    dir.update([], w.clock.now);
    const warm = run(cold.state);
    expect(warm.outcome.kind).toBe('verified');
    expect(warm.checks).toBe(0);
    expect(warm.state.vrfCache).toBe(cold.state.vrfCache);
    expect(run({ ...cold.state, vrfCache: new Map() }).checks).toBe(2);
    // another label: its own proofs
    expect(run(warm.state, label(2)).checks).toBe(2);
    // a new version: the proof of version 1 was cached as "version + 1" of version 0; version 2's is new
    w.clock.now += MINUTE;
    dir.update([{ label: label(1), value: value(1, 1) }], w.clock.now);
    const changed = run(warm.state);
    expect(changed.outcome).toMatchObject({ kind: 'identityChanged', from: 0, to: 1 });
    expect(changed.checks).toBe(1);
  });
});
