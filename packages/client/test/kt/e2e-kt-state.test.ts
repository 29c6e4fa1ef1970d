/**
 * The client's key-transparency state, over real HTTP (kt-world.ts): a
 * failed verification writes nothing (the stored bytes stay identical), a
 * split view one colluding witness of three cosigned is refused as
 * unwitnessed (and as a fork once the lag passed), a frozen view as stale, and the state survives a restart of
 * a SQLite-backed client — also one killed between an answer and its commit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, encodeIdentityValue, labelKey } from '@sealpost/keytrans';
import { SqliteStore } from '../../src/sqlite.ts';
import { SqliteKt } from '../../src/store/sqlite-kt-roles.ts';
import { KtError } from '../../src/kt/errors.ts';
import type { KtEvent } from '../../src/kt/types.ts';
import type { SealpostClient, SealpostClientOptions } from '../../src/client.ts';
import { useLocalServices } from '../support/local-services.ts';
import { useKtWorld } from './kt-world.ts';

const local = useLocalServices();
const kt = useKtWorld(local);
let offset = 0;
const now = () => Date.now() + offset;

afterEach(() => {
  offset = 0;
  kt().reset();
});

async function device(extra: Partial<SealpostClientOptions> = {}, register = true): Promise<{ c: SealpostClient; events: KtEvent[] }> {
  const c = local.client({ keyServerUrl: kt().url, now, keyTransparency: kt().options('enforce'), ...extra });
  const events: KtEvent[] = [];
  c.on('kt', (e) => events.push(e));
  if (register) {
    await c.register();
    // Its own label's first search (in the background) is done before the test goes on.
    for (let i = 0; i < 500 && !events.some((e) => e.source === 'owner'); i++) await new Promise((r) => setTimeout(r, 10));
  } else await c.ready();
  return { c, events };
}

/** Registered contacts whose keys the log holds. */
async function contacts(n: number): Promise<SealpostClient[]> {
  const out: SealpostClient[] = [];
  for (let i = 0; i < n; i++) out.push((await device()).c);
  return out;
}

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as KtError);

describe('key transparency: state', () => {
  it('a search answer that does not verify is refused and leaves the stored state byte-identical', async () => {
    const alice = await device();
    const [bob, carol] = await contacts(2);
    await alice.c.addContact(bob!.contactCard());
    await alice.c.addContact(carol!.contactCard());
    await alice.c.send(bob!.address.account, { text: 'verified first' });
    const before = (await alice.c.store.kt.state())!;
    const evidence = await alice.c.store.kt.evidence();
    kt().corruptSearch(true);
    const error = await refusal(alice.c.send(carol!.address.account, { text: 'x' }));
    expect(error).toBeInstanceOf(KtError);
    expect(error!.code).toBe('KT_BAD_RESPONSE');
    expect(alice.events.at(-1)).toMatchObject({ kind: 'monitorFailed', source: 'bundle', refused: true });
    expect(await alice.c.store.kt.state()).toEqual(before);
    expect(await alice.c.store.kt.evidence()).toEqual(evidence);
    expect(await alice.c.store.outbox.batches()).toEqual([]);
    expect(await carol!.poll()).toBe(0);
  });

  it('split view cosigned by one colluding witness of three: unwitnessed, refused, nothing sealed; still uncovered after maxWitnessLagMs, a fork with evidence', async () => {
    const r = kt().responder;
    r.clock.set(Date.now());
    r.heartbeat(); // cosignatures fresh for the short lag below
    const alice = await device({ keyTransparency: kt().options('enforce', { maxWitnessLagMs: 60_000 }) });
    const [dave] = await contacts(1);
    await alice.c.addContact(dave!.contactCard());
    const fake = kt().swapBundles(dave!.address.account);
    kt().responder.evil.fork({ select: () => true, updates: [{ label: accountLabel(dave!.address.account), value: encodeIdentityValue(fake) }], witnesses: ['w1.example'] });
    const error = await refusal(alice.c.send(dave!.address.account, { text: 'x' }));
    expect(error!.code).toBe('KT_UNWITNESSED');
    expect(alice.events.find((e) => e.source === 'bundle')).toMatchObject({ kind: 'unwitnessed', refused: true });
    expect(await alice.c.store.sessions.devices(dave!.address.account)).toEqual([]);
    expect(await alice.c.store.outbox.batches()).toEqual([]);
    expect((await alice.c.keyTransparency.status()).pendingCheckpoints).toBe(1);
    // No witness quorum ever covers that head: past the lag it is a fork, refused, with the signed heads as evidence.
    offset = 90_000;
    const fork = await refusal(alice.c.send(dave!.address.account, { text: 'x' }));
    expect(fork!.code).toBe('KT_FORK');
    const event = alice.events.filter((e) => e.source === 'bundle').at(-1)!;
    expect(event).toMatchObject({ kind: 'fork', refused: true });
    expect((event.evidence!.data as { kind: string; checkpoints: string[] }).kind).toBe('pendingExpired');
    expect((await alice.c.keyTransparency.evidence()).map((e) => e.kind)).toEqual(['fork']);
    expect(await alice.c.store.outbox.batches()).toEqual([]);
  });

  it('a frozen view: once its newest entry is older than maxBehindMs, lookups are refused as stale', async () => {
    const r = kt().responder;
    r.clock.set(Date.now());
    r.heartbeat();
    const alice = await device({ keyTransparency: kt().options('enforce', { maxBehindMs: 60_000 }) });
    const [bob, carol] = await contacts(2);
    await alice.c.addContact(bob!.contactCard());
    await alice.c.addContact(carol!.contactCard());
    r.heartbeat();
    await alice.c.send(bob!.address.account, { text: 'fresh' });
    expect(alice.events.find((e) => e.source === 'bundle')!.kind).toBe('verified');
    r.evil.freeze();
    offset = 120_000;
    const error = await refusal(alice.c.send(carol!.address.account, { text: 'x' }));
    expect(error!.code).toBe('KT_STALE');
    expect(alice.events.at(-1)).toMatchObject({ kind: 'stale', source: 'bundle', refused: true, account: carol!.address.account });
  });

  it('survives a restart (SQLite file): the verified contact is not asked again, the owned label is kept', async () => {
    const path = local.path('kt-restart.db');
    const alice = await device({ store: new SqliteStore(path) });
    const [bob] = await contacts(1);
    await alice.c.addContact(bob!.contactCard());
    await alice.c.send(bob!.address.account, { text: 'before' });
    const saved = (await alice.c.store.kt.state())!;
    await alice.c.close();
    const again = await device({ store: new SqliteStore(path) }, false);
    expect(await again.c.store.kt.state()).toEqual(saved);
    const state = (await again.c.keyTransparency.state())!;
    expect(state.labels.has(labelKey(accountLabel(bob!.address.account)))).toBe(true);
    expect(state.owned.has(labelKey(accountLabel(again.c.address.account)))).toBe(true);
    await again.c.store.sessions.remove({ account: bob!.address.account, device: 1 });
    const searches = kt().responder.requests.length;
    await again.c.send(bob!.address.account, { text: 'after' });
    expect(kt().responder.requests.length).toBe(searches);
    expect(await bob!.poll()).toBe(2);
  });

  it('killed between an answer and its commit: nothing of it is stored, and after a restart the search runs again and commits', async () => {
    const path = local.path('kt-crash.db');
    const alice = await device({ store: new SqliteStore(path) });
    const [bob] = await contacts(1);
    await alice.c.addContact(bob!.contactCard());
    const before = (await alice.c.store.kt.state())!;
    // The commit of the verified answer dies (as a process killed in it would): the transaction never commits.
    const setState = SqliteKt.prototype.setState;
    SqliteKt.prototype.setState = async () => {
      throw new Error('killed');
    };
    try {
      await expect(alice.c.send(bob!.address.account, { text: 'x' })).rejects.toThrow('killed');
    } finally {
      SqliteKt.prototype.setState = setState;
    }
    await alice.c.close();
    const again = await device({ store: new SqliteStore(path) }, false);
    expect(await again.c.store.kt.state()).toEqual(before);
    expect(await again.c.store.outbox.batches()).toEqual([]);
    await again.c.send(bob!.address.account, { text: 'after restart' });
    expect(again.events.find((e) => e.source === 'bundle')!.kind).toBe('verified');
    expect((await again.c.keyTransparency.state())!.labels.has(labelKey(accountLabel(bob!.address.account)))).toBe(true);
    expect(await bob!.poll()).toBe(1);
  });
});
