/**
 * Key transparency on the send path, over real HTTP (kt-world.ts: the real
 * key server and relay, the dev kit's witnessed KT responder): every bundle
 * is checked against the log before a session is built; under `enforce` a
 * key the log does not hold is refused with `KtError` and nothing is
 * encrypted to it; under `warn` the send goes on with the event; a verified
 * key is not asked again within the window; a sealed sender's key is checked
 * in the background.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, encodeIdentityValue, labelKey } from '@sealpost/keytrans';
import { impersonate } from '@sealpost/devkit/services';
import { KtError } from '../../src/kt/errors.ts';
import { isNetworkError } from '../../src/errors.ts';
import type { KtEvent } from '../../src/kt/types.ts';
import type { SealpostClient } from '../../src/client.ts';
import { useLocalServices } from '../support/local-services.ts';
import { useKtWorld } from './kt-world.ts';

const local = useLocalServices();
const kt = useKtWorld(local);

afterEach(() => kt().reset());

/** A registered client of the KT key server, with its kt events. */
async function device(mode: 'enforce' | 'warn' | 'off', extra: Parameters<typeof local.client>[0] = {}): Promise<{ c: SealpostClient; events: KtEvent[] }> {
  const c = local.client({ keyServerUrl: kt().url, keyTransparency: kt().options(mode, { backgroundDelayMs: 0 }), ...extra });
  const events: KtEvent[] = [];
  c.on('kt', (e) => events.push(e));
  await c.register();
  return { c, events };
}

const relayed = (c: SealpostClient) => {
  const sends: number[] = [];
  c.on('relaySend', (v) => sends.push(v.length));
  return sends;
};

describe('key transparency: bundle fetches', () => {
  it('verified: the log holds the bundle key, the event says so, the message goes through, and a second session within the window asks nothing', async () => {
    const alice = await device('enforce');
    const bob = await device('enforce');
    await alice.c.addContact(bob.c.contactCard());
    await alice.c.send(bob.c.address.account, { text: 'hi' });
    const lookup = alice.events.filter((e) => e.source === 'bundle');
    expect(lookup).toEqual([expect.objectContaining({ kind: 'verified', source: 'bundle', account: bob.c.address.account, logged: true })]);
    expect(await bob.c.poll()).toBe(1);
    const state = (await alice.c.keyTransparency.state())!;
    const accepted = state.labels.get(labelKey(accountLabel(bob.c.address.account)))!;
    expect(accepted.value).toEqual(encodeIdentityValue((await alice.c.trustedIdentity(bob.c.address.account))!));
    expect(state.retained?.size).toBeGreaterThan(0);
    // A new session (the old one dropped) within the recheck window: bundles fetched again, the log not asked.
    const searches = kt().responder.requests.length;
    await alice.c.store.sessions.remove({ account: bob.c.address.account, device: 1 });
    await alice.c.send(bob.c.address.account, { text: 'again' });
    expect(kt().responder.requests.length).toBe(searches);
    expect(await bob.c.poll()).toBe(1);
  });

  it('mismatch under enforce: a swapped bundle key is refused with KtError, nothing is sealed or handed to the relay', async () => {
    const alice = await device('enforce');
    const bob = await device('enforce');
    await alice.c.addContact(bob.c.contactCard());
    const fake = kt().swapBundles(bob.c.address.account);
    const sends = relayed(alice.c);
    const error = await alice.c.send(bob.c.address.account, { text: 'secret' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KtError);
    expect((error as KtError).code).toBe('KT_MISMATCH');
    expect((error as KtError).account).toBe(bob.c.address.account);
    const event = alice.events.find((e) => e.source === 'bundle')!;
    expect(event).toMatchObject({ kind: 'mismatch', logged: true, refused: true, account: bob.c.address.account });
    expect((event.evidence!.data as { shown: string }).shown).toBe(Buffer.from(encodeIdentityValue(fake)).toString('base64'));
    expect((event.evidence!.data as { checkpoint: string }).checkpoint).toContain(kt().responder.origin);
    // Nothing encrypted to the fake key: no session, no outbox entry, no relay send; Bob gets nothing.
    expect(await alice.c.store.sessions.devices(bob.c.address.account)).toEqual([]);
    expect(await alice.c.store.outbox.batches()).toEqual([]);
    expect(sends).toEqual([]);
    expect(await alice.c.trustedIdentity(bob.c.address.account)).toBeUndefined();
    expect(await bob.c.poll()).toBe(0);
    // The evidence is exported.
    expect((await alice.c.keyTransparency.evidence()).map((e) => [e.kind, e.account])).toEqual([['mismatch', bob.c.address.account]]);
  });

  it('an account whose key was never logged is refused under enforce (KT_NOT_LOGGED, logged: false)', async () => {
    const alice = await device('enforce');
    // Registered at the key server directly: its key is not in the log.
    const ghost = local.client();
    await ghost.register();
    await alice.c.addContact(ghost.contactCard());
    const error = await alice.c.send(ghost.address.account, { text: 'x' }).catch((e: unknown) => e);
    expect((error as KtError).code).toBe('KT_NOT_LOGGED');
    expect(alice.events.find((e) => e.source === 'bundle')).toMatchObject({ kind: 'mismatch', logged: false, refused: true });
    expect(await alice.c.store.outbox.batches()).toEqual([]);
    expect(await ghost.poll()).toBe(0);
  });

  it('warn: a swapped key is reported with the event and the send goes on', async () => {
    const alice = await device('warn');
    const bob = await device('warn');
    await alice.c.addContact(bob.c.contactCard());
    kt().swapBundles(bob.c.address.account);
    const sends = relayed(alice.c);
    await alice.c.send(bob.c.address.account, { text: 'to the fake key' });
    expect(alice.events.find((e) => e.source === 'bundle')).toMatchObject({ kind: 'mismatch', logged: true, account: bob.c.address.account });
    expect(alice.events.find((e) => e.source === 'bundle')!.refused).toBeUndefined();
    expect(sends).toEqual([1]);
  });

  it('the log unreachable: enforce fails the send with the network error and seals nothing; warn reports it and sends', async () => {
    const bob = await device('enforce');
    for (const mode of ['enforce', 'warn'] as const) {
      const c = local.client({ keyServerUrl: kt().url, keyTransparency: kt().options(mode, { url: 'http://127.0.0.1:1' }) });
      const errors: unknown[] = [];
      c.on('error', (e) => errors.push(e.error));
      await c.register();
      await c.addContact(bob.c.contactCard());
      const sent = await c.send(bob.c.address.account, { text: mode }).then(
        () => 'sent',
        (e: unknown) => (isNetworkError(e) ? 'network error' : e),
      );
      if (mode === 'enforce') {
        expect(sent).toBe('network error');
        expect(await c.store.outbox.batches()).toEqual([]);
        expect(await c.store.sessions.devices(bob.c.address.account)).toEqual([]);
      } else {
        expect(sent).toBe('sent');
        expect(errors.some(isNetworkError)).toBe(true);
      }
    }
    expect(await bob.c.poll()).toBe(1);
  });

  it('off: no search at all', async () => {
    const alice = await device('off');
    const bob = await device('off');
    await alice.c.addContact(bob.c.contactCard());
    const searches = kt().responder.requests.length;
    kt().swapBundles(bob.c.address.account);
    await alice.c.send(bob.c.address.account, { text: 'unchecked' });
    expect(kt().responder.requests.length).toBe(searches);
    expect(alice.events).toEqual([]);
  });

  it('a sealed sender whose certified key is not the logged one: mismatch in the background (source sender)', async () => {
    const alice = await device('enforce');
    const bob = await device('enforce');
    const insider = local.client();
    await insider.register();
    await impersonate(local.services, insider, alice.c, bob.c.address.account, 'it is me, bob');
    expect(await alice.c.poll()).toBe(1);
    for (let i = 0; i < 200 && !alice.events.some((e) => e.source === 'sender'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alice.events.find((e) => e.source === 'sender')).toMatchObject({ kind: 'mismatch', logged: true, account: bob.c.address.account });
  });
});
