/**
 * Owner and contact monitoring, and handles, over real HTTP (kt-world.ts).
 * The monitoring timer runs on faked `setTimeout` and the clients' clock is
 * moved with it, so "within one interval" is exact: the alarm comes from the
 * first tick after the swap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountLabel, encodeHandleValue, encodeIdentityValue, handleLabel } from '@sealpost/keytrans';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { KtError } from '../../src/kt/errors.ts';
import type { KtEvent } from '../../src/kt/types.ts';
import type { SealpostClient } from '../../src/client.ts';
import { useLocalServices } from '../support/local-services.ts';
import { useKtWorld } from './kt-world.ts';

const local = useLocalServices();
const kt = useKtWorld(local);
const INTERVAL = 60_000;
let offset = 0;
const now = () => Date.now() + offset;

afterEach(() => {
  vi.useRealTimers();
  kt().reset();
});

async function device(mode: 'enforce' | 'warn' = 'enforce'): Promise<{ c: SealpostClient; events: KtEvent[] }> {
  const c = local.client({ keyServerUrl: kt().url, now, keyTransparency: kt().options(mode, { monitorIntervalMs: INTERVAL }) });
  const events: KtEvent[] = [];
  c.on('kt', (e) => events.push(e));
  await c.register();
  return { c, events };
}

/** Waits (real time) until `events` from index `from` on has one matching `match`. */
async function until(events: KtEvent[], match: (e: KtEvent) => boolean, from = 0): Promise<KtEvent> {
  for (let i = 0; i < 500; i++) {
    const e = events.slice(from).find(match);
    if (e !== undefined) return e;
    await sleep(10);
  }
  throw new Error(`no such kt event; got ${JSON.stringify(events.map((e) => [e.kind, e.source]))}`);
}

/** Moves the faked timers and the clients' clock together. */
async function advance(ms: number): Promise<void> {
  offset += ms;
  await vi.advanceTimersByTimeAsync(ms);
}

describe('key transparency: monitoring', () => {
  it('owner: registration searches the own label (verified); a logged swap of it raises ownerAlarm with evidence on the next tick', async () => {
    const bob = await device();
    await until(bob.events, (e) => e.source === 'owner' && e.kind === 'verified');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await bob.c.start();
    await advance(0); // start's own search
    await until(bob.events, (e) => e.source === 'owner' && e.kind === 'verified', 1);
    const seen = bob.events.length;
    kt().responder.evil.loggedSwap(accountLabel(bob.c.address.account), encodeIdentityValue(generateIdentityKeyPair().publicKey));
    expect(bob.events.slice(seen).some((e) => e.kind === 'ownerAlarm')).toBe(false);
    await advance(INTERVAL); // one interval: the next run is due (the jitter keeps every delay within the interval)
    const alarm = await until(bob.events, (e) => e.kind === 'ownerAlarm', seen);
    expect(alarm).toMatchObject({ kind: 'ownerAlarm', source: 'owner', account: bob.c.address.account, logged: true });
    const evidence = alarm.evidence!.data as { kind: string; expected: { version: number }; checkpoints: string[] };
    expect(evidence.kind).toBe('ownerAlarm');
    expect(evidence.expected.version).toBe(0);
    expect(evidence.checkpoints[0]).toContain(kt().responder.origin);
    expect((await bob.c.keyTransparency.evidence()).map((e) => e.kind)).toEqual(['ownerAlarm']);
    await bob.c.close();
  });

  it('contact: a key looked up is re-checked every interval; a logged change is identityChanged (logged), a hidden one monitorFailed with evidence', async () => {
    const alice = await device();
    const bob = await device();
    await alice.c.addContact(bob.c.contactCard());
    await alice.c.send(bob.c.address.account, { text: 'hi' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await alice.c.start();
    await advance(0);
    const label = accountLabel(bob.c.address.account);
    kt().responder.evil.loggedSwap(label, encodeIdentityValue(generateIdentityKeyPair().publicKey));
    const seen = alice.events.length;
    await advance(INTERVAL);
    const changed = await until(alice.events, (e) => e.source === 'contact', seen);
    expect(changed).toMatchObject({ kind: 'identityChanged', logged: true, account: bob.c.address.account });
    // The server now hides that version again (shown, then hidden).
    kt().responder.evil.hide(label, 1);
    const seen2 = alice.events.length;
    await advance(INTERVAL);
    const failed = await until(alice.events, (e) => e.source === 'contact', seen2);
    expect(failed.kind).toBe('monitorFailed');
    expect((failed.evidence!.data as { kind: string }).kind).toBe('monitorFailed');
    expect((await alice.c.keyTransparency.status()).monitoredLabels).toBe(1);
    await alice.c.close();
  });

  it('handles: claimHandle logs and owns the handle; lookupHandle verifies it, a misdirected directory answer is a mismatch (enforce throws), a logged re-point alarms the owner', async () => {
    const bob = await device();
    const carol = await device();
    const alice = await device();
    expect(await bob.c.claimHandle('@Bob_1')).toBe('bob_1');
    const found = await alice.c.lookupHandle('@bob_1');
    expect(found).toEqual({ handle: 'bob_1', account: bob.c.address.account, verified: true });
    expect(alice.events.find((e) => e.source === 'handle')).toMatchObject({ kind: 'verified', handle: 'bob_1', account: bob.c.address.account });
    // The directory names Carol for @bob_1 without logging it.
    kt().responder.evil.misdirectHandle('bob_1', carol.c.address.account);
    const other = await device();
    const error = await other.c.lookupHandle('bob_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KtError);
    expect((error as KtError).code).toBe('KT_MISMATCH');
    const mismatch = other.events.find((e) => e.source === 'handle')!;
    expect(mismatch).toMatchObject({ kind: 'mismatch', handle: 'bob_1', account: carol.c.address.account, refused: true, logged: true });
    expect(mismatch.detail).toContain(bob.c.address.account);
    // The log itself re-points @bob_1 to Carol: Bob's owner monitoring alarms.
    kt().responder.evil.loggedSwap(handleLabel('bob_1'), encodeHandleValue(carol.c.address.account));
    const events = await bob.c.keyTransparency.monitorNow();
    expect(events.find((e) => e.handle === 'bob_1')).toMatchObject({ kind: 'ownerAlarm', source: 'owner' });
    expect(events.find((e) => e.account === bob.c.address.account)).toMatchObject({ kind: 'verified', source: 'owner' });
  });
});
