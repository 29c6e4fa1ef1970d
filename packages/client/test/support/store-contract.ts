/**
 * The \`ClientStore\` contract every store meets (moved here from store.test.ts
 * so the browser store runs it too, in Chromium:
 * test/browser/browser-store-contract.test.ts): round trips, all-or-nothing
 * transactions, no interleaving, prekey ids, outbox order, Kyber prekey use.
 */
import { expect, it } from 'vitest';
import type { ClientStore } from '../../src/store/types.ts';
import { runSessionStep, withSessionTransaction } from '../../src/session-transaction.ts';
import { KyberPreKeyReplayError } from '../../src/errors.ts';
import { expirationContract } from './expiration-contract.ts';

const peer = { account: 'acct-b', device: 2 };
const bytes = (...v: number[]) => Uint8Array.from(v);

/** Defines the contract's tests for stores made by \`open\` (inside a describe). */
export function storeContract(open: () => ClientStore): void {
  expirationContract(open);
  it('round-trips sessions, identities, account and settings', async () => {
    const s = open();
    expect(await s.identities.localAccount()).toBeUndefined();
    await s.identities.setLocalAccount({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x', profileKey: bytes(6) });
    expect(await s.identities.localAccount()).toEqual({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x', profileKey: bytes(6) });
    await s.sessions.store(peer, bytes(9, 9));
    await s.sessions.store({ account: 'acct-b', device: 1 }, bytes(8));
    expect(await s.sessions.load(peer)).toEqual(bytes(9, 9));
    expect(await s.sessions.devices('acct-b')).toEqual([1, 2]);
    await s.sessions.remove(peer);
    expect(await s.sessions.load(peer)).toBeUndefined();
    await s.identities.trust('acct-b', bytes(5), 1000);
    expect(await s.identities.trusted('acct-b')).toEqual({ identityKey: bytes(5), trustedAt: 1000, verified: false });
    await s.settings.set('k', 'v');
    expect(await s.settings.get('k')).toBe('v');
    await s.contacts.set({ account: 'acct-b', profileKey: bytes(7), updatedAt: 3 });
    expect(await s.contacts.get('acct-b')).toEqual({ account: 'acct-b', profileKey: bytes(7), updatedAt: 3 });
    await s.close();
  });

  it('rolls back every write of a step that throws, leaving the record byte-identical', async () => {
    const s = open();
    await s.sessions.store(peer, bytes(1, 2, 3));
    const before = await s.history.count();
    await expect(
      s.transaction(async (tx) => {
        await tx.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
        await tx.history.markProcessed('e1', 1);
        await tx.identities.trust('acct-b', bytes(7), 1);
        await tx.preKeys.store({ kind: 'ec', id: 5, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
        await runSessionStep(tx, peer, (record) => {
          expect(record).toEqual(bytes(1, 2, 3));
          return { record: bytes(0), result: undefined };
        });
        throw new Error('bad MAC');
      }),
    ).rejects.toThrow('bad MAC');
    expect(await s.sessions.load(peer)).toEqual(bytes(1, 2, 3));
    expect(await s.history.count()).toBe(before);
    expect(await s.history.isProcessed('e1')).toBe(false);
    expect(await s.identities.trusted('acct-b')).toBeUndefined();
    expect(await s.preKeys.load(5)).toBeUndefined();
    // The same envelope id can be stored after the rollback.
    await s.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
    expect(await s.history.count('in')).toBe(before + 1);
    await s.close();
  });

  it('commits the record and its message together', async () => {
    const s = open();
    const id = await withSessionTransaction(
      s,
      peer,
      (record) => {
        expect(record).toBeUndefined();
        return { record: bytes(42), result: undefined };
      },
      (tx) => tx.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 }),
    );
    expect(await s.sessions.load(peer)).toEqual(bytes(42));
    expect((await s.history.undelivered()).map((m) => m.id)).toEqual([id]);
    await s.history.markDelivered(id);
    expect(await s.history.undelivered()).toEqual([]);
    expect((await s.history.conversation('acct-b'))[0]).toMatchObject({ id, timestamp: 9, envelopeId: 'e9', delivered: true, sender: peer });
    await expect(s.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 })).rejects.toThrow();
    await s.close();
  });

  it('history.recent: the newest rows of every conversation at or after a timestamp, oldest first (history transfer)', async () => {
    const s = open();
    const add = (peerAccount: string, timestamp: number, direction: 'in' | 'out') =>
      s.history.add({ direction, peer: peerAccount, sender: direction === 'in' ? { account: peerAccount, device: 1 } : { account: 'me', device: 1 }, timestamp, content: bytes(timestamp), envelopeId: undefined, storedAt: timestamp + 1, delivered: true });
    const ids = [await add('p1', 10, 'in'), await add('p2', 20, 'out'), await add('p1', 5, 'out'), await add('p2', 40, 'in'), await add('p1', 50, 'in')];
    expect((await s.history.recent(10, 0)).map((m) => m.id)).toEqual(ids);
    // Newest by row id, not by timestamp; the row with timestamp 5 is older than the bound.
    expect((await s.history.recent(3, 0)).map((m) => m.timestamp)).toEqual([5, 40, 50]);
    expect((await s.history.recent(10, 20)).map((m) => [m.peer, m.timestamp, m.direction])).toEqual([['p2', 20, 'out'], ['p2', 40, 'in'], ['p1', 50, 'in']]);
    expect((await s.history.recent(2, 20)).map((m) => m.timestamp)).toEqual([40, 50]);
    expect(await s.history.recent(10, 51)).toEqual([]);
    const [first] = await s.history.recent(1, 0);
    expect(first).toMatchObject({ peer: 'p1', sender: { account: 'p1', device: 1 }, content: bytes(50), storedAt: 51, delivered: true });
    expect(first!.envelopeId).toBeUndefined();
    await s.close();
  });

  it('never interleaves two async transactions', async () => {
    const s = open();
    const log: string[] = [];
    const step = (tag: string) =>
      s.transaction(async (tx) => {
        log.push(`begin ${tag}`);
        const record = await tx.sessions.load(peer);
        await new Promise((r) => setTimeout(r, 5));
        await tx.sessions.store(peer, bytes((record?.[0] ?? 0) + 1));
        log.push(`end ${tag}`);
      });
    // A role call outside a transaction waits for the running one too.
    await Promise.all([step('a'), step('b'), s.sessions.store({ account: 'other', device: 1 }, bytes(1)), step('c')]);
    expect(log).toEqual(['begin a', 'end a', 'begin b', 'end b', 'begin c', 'end c']);
    expect(await s.sessions.load(peer)).toEqual(bytes(3));
    await s.close();
  });

  it('allocates prekey ids monotonically, never reusing an id still in use, wrapping at 2^24', async () => {
    const s = open();
    expect(await s.preKeys.allocateIds(3)).toEqual([1, 2, 3]);
    expect(await s.preKeys.allocateIds(2)).toEqual([4, 5]);
    expect(await s.kyberPreKeys.allocateIds(2)).toEqual([1, 2]);
    // An id still in use (e.g. a key restored from elsewhere) is skipped.
    await s.preKeys.store({ kind: 'ec', id: 7, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    expect(await s.preKeys.allocateIds(3)).toEqual([6, 8, 9]);
    await s.close();
  });

  it('marks replaced keys once and keeps outbox batches in order', async () => {
    const s = open();
    await s.kyberPreKeys.store({ kind: 'kyber', id: 3, record: bytes(1), createdAt: 10, lastResort: true, replacedAt: undefined });
    await s.kyberPreKeys.markReplaced(3, 50);
    await s.kyberPreKeys.markReplaced(3, 99);
    expect(await s.kyberPreKeys.load(3)).toMatchObject({ lastResort: true, replacedAt: 50 });
    for (const [batchId, device] of [['b1', 1], ['b1', 2], ['b2', 1]] as const) {
      await s.outbox.add({ batchId, recipient: { account: 'x', device }, registrationId: device, envelope: bytes(device), createdAt: 1 });
    }
    expect((await s.outbox.batches()).map((b) => b.map((e) => `${e.batchId}/${e.recipient.device}`))).toEqual([['b1/1', 'b1/2'], ['b2/1']]);
    await s.outbox.removeBatch('b1');
    expect((await s.outbox.batches()).map((b) => b.length)).toEqual([1]);
    const parked = { direction: 'out' as const, peer: 'x', sender: { account: 'me', device: 1 }, timestamp: 7, content: bytes(9), envelopeId: undefined, storedAt: 8, delivered: true };
    await s.outbox.park('b2', parked);
    expect(await s.outbox.takeParked('b2')).toEqual(parked);
    expect(await s.outbox.takeParked('b2')).toBeUndefined();
    await s.close();
  });

  it('marks Kyber prekeys used as libsignal does: one-time removed, last-resort recorded, a repeat refused', async () => {
    const s = open();
    await s.kyberPreKeys.store({ kind: 'kyber', id: 1, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    await s.kyberPreKeys.store({ kind: 'kyber', id: 2, record: bytes(2), createdAt: 1, lastResort: true, replacedAt: undefined });
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(1, 5, bytes(9))).toBe('removed');
    expect(await s.kyberPreKeys.load(1)).toBeUndefined();
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(9))).toBe('recorded');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(8))).toBe('recorded');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 6, bytes(9))).toBe('recorded');
    await expect(s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(9))).rejects.toBeInstanceOf(KyberPreKeyReplayError);
    // A failed transaction leaves no record behind.
    await expect(
      s.transaction(async (tx) => {
        await tx.kyberPreKeys.markKyberPreKeyUsed(2, 7, bytes(1));
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 7, bytes(1))).toBe('recorded');
    expect(await s.kyberPreKeys.load(2)).toMatchObject({ lastResort: true });
    await s.close();
  });
  it('marks received messages read once, per conversation and up to a row id, inside transactions', async () => {
    const s = open();
    const add = (peerAccount: string, direction: 'in' | 'out', ts: number) =>
      s.history.add({ direction, peer: peerAccount, sender: direction === 'in' ? peer : { account: 'me', device: 1 }, timestamp: ts, content: bytes(ts), envelopeId: `r${peerAccount}${ts}`, storedAt: ts });
    const a1 = await add('acct-b', 'in', 1);
    const out = await add('acct-b', 'out', 2);
    const a3 = await add('acct-b', 'in', 3);
    const other = await add('acct-c', 'in', 4);
    const a5 = await add('acct-b', 'in', 5);
    expect((await s.history.get(a1))?.readAt).toBeUndefined();
    // A marking that throws leaves every row unread.
    await expect(
      s.transaction(async (tx) => {
        expect((await tx.history.markRead('acct-b', a3, 100)).map((m) => m.id)).toEqual([a1, a3]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await s.history.get(a1))?.readAt).toBeUndefined();
    const marked = await s.history.markRead('acct-b', a3, 100);
    expect(marked.map((m) => [m.id, m.readAt, m.direction])).toEqual([[a1, 100, 'in'], [a3, 100, 'in']]);
    expect(marked[1]!.content).toEqual(bytes(3));
    // Already read rows, sent rows and other conversations are not marked again.
    expect(await s.history.markRead('acct-b', a3, 200)).toEqual([]);
    expect((await s.history.markRead('acct-b', Number.MAX_SAFE_INTEGER, 300)).map((m) => m.id)).toEqual([a5]);
    expect((await s.history.get(out))?.readAt).toBeUndefined();
    expect((await s.history.get(other))?.readAt).toBeUndefined();
    expect((await s.history.get(a1))?.readAt).toBe(100);
    expect((await s.history.conversation('acct-b')).map((m) => m.readAt)).toEqual([100, undefined, 100, 300]);
    // A row added as already read (a synced or imported message) is not unread.
    const pre = await s.history.add({ direction: 'in', peer: 'acct-c', sender: peer, timestamp: 6, content: bytes(6), envelopeId: 'pre', storedAt: 6, readAt: 50 });
    expect((await s.history.markRead('acct-c', pre, 400)).map((m) => m.id)).toEqual([other]);
    expect((await s.history.get(pre))?.readAt).toBe(50);
    await s.close();
  });
}
