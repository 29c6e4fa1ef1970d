/**
 * The client verifier (applySearch) against honest and lying servers:
 * honest answers over growing logs always verify (with `last` and
 * `pending` consistency); mutated answers are rejected with the state
 * object returned as is and byte-identical; unlogged and logged swaps,
 * split views cosigned by 1 of 3 witnesses, rollbacks, frozen views and
 * show-then-hide each give their outcome, with evidence a third party can check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KtTestLog } from '@sealpost/devkit/kt-responder';
import { equalBytes, fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { KtDirectory } from '../../src/directory.ts';
import { applySearch, ktSearchRequest } from '../../src/monitor/apply-search.ts';
import { checkEvidence } from '../../src/monitor/evidence.ts';
import { decodeKtState, encodeKtState } from '../../src/monitor/state-codec.ts';
import { emptyKtState, setOwnedLabel } from '../../src/monitor/state.ts';
import type { KtClientState, KtOutcome, KtPurpose } from '../../src/monitor/types.ts';
import type { KtSearchResponseJson } from '../../src/wire.ts';
import { type LogLike, MINUTE, T0, VRF_SK, type World, fromDirectory, label, value, world } from './world.ts';

function search(w: World, log: LogLike, state: KtClientState, l: Uint8Array, opts: { purpose?: KtPurpose; expectedValue?: Uint8Array; witnesses?: number[]; size?: number } = {}) {
  const request = ktSearchRequest(state, l);
  const response = w.respond(log, request, { ...(opts.witnesses === undefined ? {} : { witnesses: opts.witnesses }), ...(opts.size === undefined ? {} : { size: opts.size }) });
  return { request, response, ...apply(w, state, l, request, response, opts) };
}

function apply(w: World, state: KtClientState, l: Uint8Array, request: ReturnType<typeof ktSearchRequest>, response: unknown, opts: { purpose?: KtPurpose; expectedValue?: Uint8Array } = {}) {
  return applySearch({ state, pinned: w.pinned, label: l, request, response, nowMs: w.clock.now, purpose: opts.purpose ?? 'lookup', ...(opts.expectedValue === undefined ? {} : { expectedValue: opts.expectedValue }) });
}

const kind = (o: KtOutcome) => o.kind;

describe('applySearch: honest servers', () => {
  it('every honest answer over a growing log verifies, and the retained head follows the log (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 4 }), (batches, pick) => {
        const w = world();
        const dir = new KtDirectory(VRF_SK);
        const log = fromDirectory(dir);
        const counts = new Map<number, number>();
        let state = emptyKtState();
        dir.update([{ label: label(pick), value: value(pick, 0) }], w.clock.now);
        counts.set(pick, 1);
        for (const batch of [[], ...batches]) {
          w.clock.now += MINUTE;
          if (batch.length > 0) {
            const uniq = [...new Set(batch)];
            dir.update(uniq.map((n) => ({ label: label(n), value: value(n, counts.get(n) ?? 0) })), w.clock.now);
            for (const n of uniq) counts.set(n, (counts.get(n) ?? 0) + 1);
          }
          const version = counts.get(pick)! - 1;
          const before = state.labels.get(toBase64(label(pick)))?.version;
          const r = search(w, log, state, label(pick), { expectedValue: value(pick, version), purpose: 'contact' });
          if (state.retained !== undefined) expect(r.request.last).toBe(state.retained.size);
          expect(r.outcome).toMatchObject(before === undefined || before === version ? { kind: 'verified', version } : { kind: 'identityChanged', from: before, to: version });
          state = r.state;
          expect(state.retained?.size).toBe(dir.size);
          expect(state.pending).toHaveLength(0);
          expect(equalBytes(encodeKtState(decodeKtState(encodeKtState(state))), encodeKtState(state))).toBe(true);
        }
      }),
      { numRuns: 6 },
    );
  });

  it('an honest head not cosigned yet is pending, and the next witnessed head covers it (request names it, consistency from it verifies)', () => {
    const w = world();
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }], T0);
    const s0 = search(w, fromDirectory(dir), emptyKtState(), label(1)).state;
    w.clock.now += 1000;
    dir.update([{ label: label(2), value: value(2, 0) }], w.clock.now);
    const u = search(w, fromDirectory(dir), s0, label(1), { witnesses: [1] });
    expect(u.outcome).toEqual({ kind: 'unwitnessed', size: 2, version: 0 });
    w.clock.now += 1000;
    dir.update([], w.clock.now);
    dir.update([], w.clock.now);
    const v = search(w, fromDirectory(dir), u.state, label(1));
    expect(v.request).toEqual({ label: toBase64(label(1)), last: 1, pending: [2] });
    expect(v.response.consistency.map((c) => c.from)).toEqual([1, 2]);
    expect(v.outcome.kind).toBe('verified');
    expect(v.state.pending).toHaveLength(0);
    expect(v.state.retained!.size).toBe(4);
    expect(v.state.evidence).toHaveLength(0);
  });

  it('an owner search of its own version verifies; a version not logged yet is stale, not an alarm', () => {
    const w = world();
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }], T0);
    let state = setOwnedLabel(emptyKtState(), label(1), 0, value(1, 0), T0);
    let r = search(w, fromDirectory(dir), state, label(1), { purpose: 'owner' });
    expect(r.outcome).toMatchObject({ kind: 'verified', version: 0 });
    state = setOwnedLabel(r.state, label(1), 1, value(1, 1), w.clock.now);
    w.clock.now += 1000;
    dir.update([], w.clock.now);
    r = search(w, fromDirectory(dir), state, label(1), { purpose: 'owner' });
    expect(r.outcome).toEqual({ kind: 'stale', reason: 'notYetLogged' });
  });
});

describe('applySearch: a failed verification leaves the state as it was', () => {
  // The client first verified the label at head n (so its VRF proofs are cached and mutated ones stand out);
  // the answer mutated below is the honest one at head n + 2.
  const w = world();
  const dir = new KtDirectory(VRF_SK);
  for (let i = 0; i < 5; i++) dir.update([{ label: label(i), value: value(i, 0) }], T0 + i * 1000);
  const first = search(w, fromDirectory(dir), emptyKtState(), label(2));
  expect(first.outcome.kind).toBe('verified');
  const state = first.state;
  const bytes = encodeKtState(state);
  dir.update([{ label: label(7), value: value(7, 0) }], T0 + 10_000);
  dir.update([], T0 + 11_000);
  w.clock.now = T0 + 12_000;
  const request = ktSearchRequest(state, label(2));
  const honest = w.respond(fromDirectory(dir), request);
  expect(apply(w, state, label(2), request, honest).outcome.kind).toBe('verified');

  const check = (response: unknown, allowed: string[]) => {
    const r = apply(w, state, label(2), request, response);
    expect(allowed).toContain(kind(r.outcome));
    if (r.outcome.kind === 'verified') return r.outcome; // only the note test allows it (a valid answer with one cosignature line unrecognizable)
    expect(r.state).toBe(state);
    expect(equalBytes(encodeKtState(r.state), bytes)).toBe(true);
    expect(allowed).toContain(kind(r.outcome));
    return r.outcome;
  };

  it('every single-byte change of the search proof is rejected', () => {
    const proof = fromBase64(honest.proof);
    for (let i = 0; i < proof.length; i++) {
      const p = proof.slice();
      p[i]! ^= 1 << i % 8;
      check({ ...honest, proof: toBase64(p) }, ['rejected']);
    }
  });

  it('every single-byte change of a consistency hash is rejected (as a fork of log-signed heads, not stored)', () => {
    expect(honest.consistency).toHaveLength(1);
    const hashes = honest.consistency[0]!.proof.map((h) => fromBase64(h));
    expect(hashes.length).toBeGreaterThan(0);
    for (let j = 0; j < hashes.length; j++) {
      for (let i = 0; i < 32; i++) {
        const h = hashes.map((x) => x.slice());
        h[j]![i]! ^= 0x80 >> i % 8;
        check({ ...honest, consistency: [{ from: honest.consistency[0]!.from, proof: h.map((x) => toBase64(x)) }] }, ['fork']);
      }
    }
    check({ ...honest, consistency: [] }, ['rejected']);
    check({ ...honest, consistency: [{ from: 1, proof: [] }] }, ['rejected']);
  });

  it('every single-character change of the checkpoint note is rejected, except ones that only make a cosignature line unrecognizable (2 of 3 still verify)', () => {
    const note = honest.checkpoint;
    const bodyEnd = note.indexOf('\n\n');
    const cosignStart = note.indexOf('\n— w1.example');
    expect(cosignStart).toBeGreaterThan(bodyEnd);
    for (let i = 0; i < note.length; i++) {
      const c = note.charCodeAt(i);
      const swapped = String.fromCharCode(c === 0x41 ? 0x42 : c === 0x0a ? 0x20 : c ^ 1);
      const outcome = check({ ...honest, checkpoint: note.slice(0, i) + swapped + note.slice(i + 1) }, ['rejected', 'verified', 'unwitnessed']);
      if (outcome.kind !== 'rejected') expect(i).toBeGreaterThan(cosignStart);
    }
  });

  it('malformed shapes are rejected, never thrown', () => {
    for (const bad of [null, 1, 'x', [], {}, { ...honest, proof: 5 }, { ...honest, consistency: 'no' }, { ...honest, checkpoint: 'x'.repeat(9000) }, { ...honest, consistency: [{ from: -1, proof: [] }] }]) {
      check(bad, ['rejected']);
    }
  });

  it('an answer for another label is rejected', () => {
    const other = w.respond(fromDirectory(dir), { ...request, label: toBase64(label(3)) });
    check(other, ['rejected']);
  });
});

describe('applySearch: lying servers', () => {
  it('unlogged swap: the bundle key is not the logged one ⇒ mismatch', () => {
    const w = world();
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }], T0);
    const r = search(w, fromDirectory(dir), emptyKtState(), label(1), { expectedValue: value(99, 0) });
    expect(r.outcome).toMatchObject({ kind: 'mismatch', version: 0, value: value(1, 0), expected: value(99, 0) });
  });

  it('logged swap: identityChanged for a contact, ownerAlarm (with checkable evidence) for the owner', () => {
    const w = world();
    const dir = new KtDirectory(VRF_SK);
    dir.update([{ label: label(1), value: value(1, 0) }], T0);
    const contact0 = search(w, fromDirectory(dir), emptyKtState(), label(1), { purpose: 'contact' }).state;
    const owner0 = search(w, fromDirectory(dir), setOwnedLabel(emptyKtState(), label(1), 0, value(1, 0), T0), label(1), { purpose: 'owner' }).state;
    w.clock.now += MINUTE;
    dir.update([{ label: label(1), value: value(666, 0) }], w.clock.now);
    const c = search(w, fromDirectory(dir), contact0, label(1), { purpose: 'contact', expectedValue: value(666, 0) });
    expect(c.outcome).toMatchObject({ kind: 'identityChanged', logged: true, from: 0, to: 1 });
    const o = search(w, fromDirectory(dir), owner0, label(1), { purpose: 'owner' });
    expect(o.outcome).toMatchObject({ kind: 'ownerAlarm', version: 1, expectedVersion: 0 });
    expect(o.state.evidence).toHaveLength(1);
    checkEvidence(JSON.parse(JSON.stringify(o.state.evidence[0])), w.pinned);
  });

  it('split view cosigned by 1 of 3 ⇒ unwitnessed (kept pending, not accepted), then fork once the witnessed log cannot be made consistent with it', () => {
    const w = world();
    const honest = new KtTestLog(VRF_SK);
    honest.update([{ label: label(1), value: value(1, 0) }], T0);
    const s0 = search(w, honest, emptyKtState(), label(1)).state;
    const evil = honest.fork();
    evil.update([{ label: label(1), value: value(666, 0) }], w.clock.now);
    const u = search(w, evil, s0, label(1), { witnesses: [2], expectedValue: value(666, 0) });
    expect(u.outcome).toMatchObject({ kind: 'unwitnessed', size: 2, version: 1 });
    expect(u.state.pending.map((p) => p.size)).toEqual([2]);
    expect(u.state.labels.get(toBase64(label(1)))!.version).toBe(0);
    // the honest, witnessed log at the same size: another root ⇒ fork, recorded.
    honest.update([], w.clock.now);
    const f = search(w, honest, u.state, label(1));
    expect(f.outcome.kind).toBe('fork');
    expect(f.state.evidence[0]!.kind).toBe('fork');
    checkEvidence(f.state.evidence[0]!, w.pinned);
    // a larger honest head: the consistency proof from the pending head fails ⇒ fork (evidence in the outcome).
    honest.update([], w.clock.now);
    const g = search(w, honest, u.state, label(1));
    expect(g.outcome.kind).toBe('fork');
    expect(g.state).toBe(u.state);
    if (g.outcome.kind === 'fork') checkEvidence(g.outcome.evidence, w.pinned);
  });

  it('a pending head that no witnessed head covers within maxWitnessLag ⇒ fork', () => {
    const w = world({ maxWitnessLagMs: 10 * MINUTE });
    const log = new KtTestLog(VRF_SK);
    log.update([{ label: label(1), value: value(1, 0) }], T0);
    const s0 = search(w, log, emptyKtState(), label(1)).state;
    log.update([], w.clock.now + 1000);
    w.clock.now += 1000;
    const u = search(w, log, s0, label(1), { witnesses: [0] });
    expect(u.outcome.kind).toBe('unwitnessed');
    w.clock.now += 11 * MINUTE;
    log.update([], w.clock.now);
    const f = search(w, log, u.state, label(1), { witnesses: [0] });
    expect(f.outcome.kind).toBe('fork');
    if (f.outcome.kind === 'fork') {
      expect(f.outcome.evidence.kind).toBe('pendingExpired');
      checkEvidence(f.outcome.evidence, w.pinned);
    }
  });

  it('rollback ⇒ stale with evidence; a frozen view ⇒ stale; a head from the future ⇒ stale', () => {
    const w = world();
    const log = new KtTestLog(VRF_SK);
    log.update([{ label: label(1), value: value(1, 0) }], T0);
    log.update([], T0 + 1000);
    log.update([], T0 + 2000);
    w.clock.now = T0 + 2000;
    const s = search(w, log, emptyKtState(), label(1)).state;
    const rb = search(w, log, s, label(1), { size: 2 });
    expect(rb.outcome).toMatchObject({ kind: 'stale', reason: 'rollback' });
    checkEvidence(rb.state.evidence[0]!, w.pinned);
    w.clock.now += 2 * 60 * MINUTE;
    const frozen = search(w, log, s, label(1));
    expect(frozen.outcome).toEqual({ kind: 'stale', reason: 'behind' });
    expect(frozen.state).toBe(s);
    w.clock.now = T0 - 60 * MINUTE;
    expect(search(w, log, emptyKtState(), label(1)).outcome).toEqual({ kind: 'stale', reason: 'ahead' });
  });

  it('show-then-hide: version 1 shown at one head, gone at a later one ⇒ monitorFailed with checkable evidence', () => {
    const w = world();
    const log = new KtTestLog(VRF_SK);
    log.update([{ label: label(1), value: value(1, 0) }], T0);
    log.update([{ label: label(1), value: value(666, 0) }], T0 + 1000);
    w.clock.now = T0 + 1000;
    const shown = search(w, log, emptyKtState(), label(1), { purpose: 'lookup', expectedValue: value(666, 0) });
    expect(shown.outcome).toMatchObject({ kind: 'verified', version: 1 });
    log.hide(label(1), 1, T0 + 2000);
    w.clock.now = T0 + 2000;
    const m = search(w, log, shown.state, label(1), { purpose: 'contact' });
    expect(m.outcome).toMatchObject({ kind: 'monitorFailed', acceptedVersion: 1, version: 0 });
    expect(m.state.evidence).toHaveLength(1);
    checkEvidence(JSON.parse(JSON.stringify(m.state.evidence[0])), w.pinned);
    expect(m.state.labels.get(toBase64(label(1)))!.version).toBe(1);
    // evidence that does not show what it claims is refused
    const ev = m.state.evidence[0]!;
    expect(() => checkEvidence({ ...ev, searches: [ev.searches[0]!, { checkpoint: 1, proof: ev.searches[0]!.proof }] }, w.pinned)).toThrow();
    expect(() => checkEvidence({ ...ev, searches: [ev.searches[1]!, ev.searches[1]!].map((x, i) => ({ ...x, checkpoint: i })) }, w.pinned)).toThrow();
    expect(() => checkEvidence({ ...ev, kind: 'fork' }, w.pinned)).toThrow();
  });
});

export type { KtSearchResponseJson };
