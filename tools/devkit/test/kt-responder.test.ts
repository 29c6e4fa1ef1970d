/**
 * The KT responder fixture over real HTTP on loopback: honest answers
 * verify with @sealpost/keytrans's applySearch, the routes follow wire.ts
 * (404 KT_LABEL_NOT_LOGGED, 400 on a bad body, config, handles), and each
 * evil knob produces the outcome a client must raise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type KtClientState,
  type KtPurpose,
  accountLabel,
  applySearch,
  emptyKtState,
  encodeIdentityValue,
  handleLabel,
  ktPinned,
  ktSearchRequest,
  setOwnedLabel,
} from '@sealpost/keytrans';
import { type KtResponder, startKtResponder } from '../src/kt-responder.ts';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const key = (n: number) => Uint8Array.of(0x05, ...new Uint8Array(32).fill(n));

let responder: KtResponder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function post(r: KtResponder, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${r.url}/v1/kt/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function search(r: KtResponder, state: KtClientState, label: Uint8Array, purpose: KtPurpose = 'contact', expectedValue?: Uint8Array) {
  const request = ktSearchRequest(state, label);
  const { status, json } = await post(r, request);
  expect(status).toBe(200);
  const pinned = ktPinned(r.pinnedOptions);
  return applySearch({ state, pinned, label, request, response: json, nowMs: r.clock.now(), purpose, ...(expectedValue ? { expectedValue } : {}) });
}

describe('kt-responder', () => {
  it('serves config, handles and honest searches that verify; unknown labels are 404, bad bodies 400', async () => {
    const r = (responder = await startKtResponder());
    r.setIdentityKey(ALICE, key(1));
    r.setHandle('@Alice', ALICE);
    const config = await (await fetch(`${r.url}/v1/kt/config`)).json();
    expect(config).toEqual(r.config);
    expect(await (await fetch(`${r.url}/v1/handles/alice`)).json()).toEqual({ handle: 'alice', accountId: ALICE });
    expect((await fetch(`${r.url}/v1/handles/nobody`)).status).toBe(404);
    const a = await search(r, emptyKtState(), accountLabel(ALICE), 'lookup', encodeIdentityValue(key(1)));
    expect(a.outcome).toMatchObject({ kind: 'verified', version: 0 });
    r.clock.advance(1000);
    r.heartbeat();
    const h = await search(r, a.state, handleLabel('alice'));
    expect(h.outcome.kind).toBe('verified');
    expect(r.requests.at(-1)).toEqual({ label: ktSearchRequest(a.state, handleLabel('alice')).label, last: 2 });
    const missing = await post(r, { label: Buffer.from(accountLabel(BOB)).toString('base64') });
    expect(missing).toEqual({ status: 404, json: { error: { code: 'KT_LABEL_NOT_LOGGED', message: expect.any(String) } } });
    expect((await post(r, { label: 'AAAA', extra: 1 })).status).toBe(400);
    expect((await post(r, { label: 'AAAA', pending: Array(17).fill(1) })).status).toBe(400);
  });

  it('evil knobs: logged swap, split view cosigned by one witness, freeze, hide, misdirected handle', async () => {
    const r = (responder = await startKtResponder());
    r.setIdentityKey(BOB, key(2));
    r.setHandle('bob', BOB);
    const bob = accountLabel(BOB);
    const alice0 = (await search(r, emptyKtState(), bob)).state;
    const owner0 = (await search(r, setOwnedLabel(emptyKtState(), bob, 0, encodeIdentityValue(key(2)), r.clock.now()), bob, 'owner')).state;

    r.clock.advance(1000);
    r.evil.loggedSwap(bob, encodeIdentityValue(key(66)));
    const swapped = await search(r, alice0, bob, 'contact', encodeIdentityValue(key(66)));
    expect(swapped.outcome).toMatchObject({ kind: 'identityChanged', logged: true, from: 0, to: 1 });
    expect((await search(r, owner0, bob, 'owner')).outcome.kind).toBe('ownerAlarm');

    r.clock.advance(1000);
    r.evil.fork({ select: () => true, updates: [{ label: bob, value: encodeIdentityValue(key(77)) }], witnesses: ['w1.example'] });
    const forked = await search(r, swapped.state, bob, 'contact', encodeIdentityValue(key(77)));
    expect(forked.outcome.kind).toBe('unwitnessed');
    r.evil.reset();
    r.heartbeat();
    const caught = await search(r, forked.state, bob);
    expect(caught.outcome.kind).toBe('fork');

    r.evil.freeze();
    r.clock.advance(2 * 60 * 60_000);
    expect((await search(r, swapped.state, bob)).outcome).toEqual({ kind: 'stale', reason: 'behind' });
    r.evil.unfreeze();
    r.heartbeat();
    const fresh = await search(r, swapped.state, bob);
    expect(fresh.outcome).toMatchObject({ kind: 'verified', version: 1 });
    r.clock.advance(1000);
    r.evil.hide(bob, 1);
    expect((await search(r, fresh.state, bob)).outcome).toMatchObject({ kind: 'monitorFailed', acceptedVersion: 1, version: 0 });

    r.evil.misdirectHandle('bob', ALICE);
    expect(await (await fetch(`${r.url}/v1/handles/bob`)).json()).toEqual({ handle: 'bob', accountId: ALICE });
  });
});
