/**
 * History transfer to a newly linked device, end to end through a real key
 * server, relay and blob service (issue 18): Alice's conversation of 1,000
 * messages with Bob — the first few sent for real (both directions, through
 * the relay), the bulk written straight into her store — reaches her new
 * laptop byte for byte; the archive on the blob service is ciphertext only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import { decodeContent, encodeContent } from '../../src/content.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';
import { blobFiles, comparable, transferEvents, useBlobService, writeBulkHistory } from './support.ts';

// Small prekey batches: these tests link many devices, and each would otherwise make 100 + 100 keys.
const local = useLocalServices({ services: { blobs: true }, clientDefaults: { upkeep: { automatic: false, batchSize: 10, minimumCount: 2 } } });

async function pair(primary: SealpostClient): Promise<SealpostClient> {
  const bob = local.client();
  await primary.register();
  await bob.register();
  await primary.addContact(bob.contactCard());
  await bob.addContact(primary.contactCard());
  return bob;
}

describe('history transfer to a newly linked device', () => {
  it('1,000 messages reach the new laptop byte for byte (SQLite stores); the blob service holds only ciphertext', async () => {
    const started = performance.now();
    const alice = local.client({ store: new SqliteStore(local.path('alice.db')) });
    const bob = await pair(alice);
    const bobAccount = bob.address.account;
    // 6 messages through the real services, both directions (and a reply).
    const first = await alice.send(bobAccount, { text: 'hi Bob, real message 1' });
    await alice.send(bobAccount, { text: 'real message 2' });
    await alice.reply(bobAccount, 'real message 3 (a reply)', first.ref);
    expect(await bob.poll()).toBe(3);
    for (const text of ['real answer 1', 'real answer 2', 'real answer 3']) await bob.send(alice.address.account, { text });
    expect(await alice.poll()).toBe(3);
    expect((await alice.markRead(bobAccount)).messages).toHaveLength(3); // read state travels too
    // The other 994 written straight into Alice's store, newer than the real ones.
    const base = Date.now() + 1000;
    await writeBulkHistory(alice, bobAccount, 994, (i) => base + i * 10);
    const aliceRows = await alice.store.history.conversation(bobAccount, 5000);
    expect(aliceRows).toHaveLength(1000);

    const aliceUploads = useBlobService(local, alice);
    const laptop = local.client({ store: new SqliteStore(local.path('alice-laptop.db')) });
    useBlobService(local, laptop);
    const [aliceEvents, laptopEvents] = [transferEvents(alice), transferEvents(laptop)];
    const laptopMessages: unknown[] = [];
    laptop.on('message', (m) => laptopMessages.push(m));
    const linkedAt = performance.now();
    await linkDevice(alice, laptop);
    expect(await alice.poll()).toBe(1); // the laptop's request: the primary builds, uploads and answers that device only
    expect(await laptop.poll()).toBe(1); // the pointer: downloaded, verified, imported
    const transferMs = performance.now() - linkedAt;

    const laptopRows = await laptop.store.history.conversation(bobAccount, 5000);
    expect(comparable(laptopRows)).toEqual(comparable(aliceRows));
    expect(laptopRows.every((m, i) => Buffer.from(m.content).equals(Buffer.from(aliceRows[i]!.content)))).toBe(true);
    expect(await laptop.store.history.count()).toBe(1000);
    expect(laptopRows.filter((m) => m.readAt !== undefined).map((m) => decodeContent(m.content).text)).toEqual(['real answer 1', 'real answer 2', 'real answer 3']);
    expect((await laptop.history(bobAccount, 3)).map((m) => m.decoded.text)).toEqual(['bulk message 991', 'bulk message 992', 'bulk message 993']);
    // The conversations API sees it: one conversation with Bob, its newest message, unread as on the phone, searchable.
    const [conversation] = await laptop.conversations.list();
    expect(conversation).toMatchObject({ peer: bobAccount, unread: (await alice.conversations.list())[0]!.unread });
    expect(conversation!.lastMessage.id).toBe(laptopRows.at(-1)!.id);
    expect((await laptop.conversations.search('real answer')).length).toBe(3);
    // Imported history is not news: no message events, nothing left undelivered.
    expect(laptopMessages).toEqual([]);
    expect(await laptop.store.history.undelivered()).toEqual([]);
    // Neither request nor pointer became a chat message on either side.
    expect(await alice.store.history.count()).toBe(1000);

    const transferId = aliceEvents[0]!.transferId;
    expect(aliceEvents.map((e) => e.phase).filter((p) => p !== 'uploading')).toEqual(['offered', 'requested', 'sent']);
    expect(aliceEvents.find((e) => e.phase === 'sent')).toMatchObject({ role: 'primary', transferId, device: 2, messages: 1000, conversations: 1 });
    expect(aliceEvents.filter((e) => e.phase === 'uploading').at(-1)).toMatchObject({ done: aliceEvents.filter((e) => e.phase === 'uploading').at(-1)!.total });
    expect(laptopEvents.map((e) => e.phase).filter((p) => p !== 'downloading')).toEqual(['requesting', 'importing', 'done']);
    expect(laptopEvents.at(-1)).toMatchObject({ role: 'new-device', transferId, imported: 1000, skipped: 0, messages: 1000 });

    // The blob service holds the archive as ciphertext: no message text, no account id in it.
    expect(aliceUploads).toHaveLength(1);
    expect(blobFiles(local)).toContain(aliceUploads[0]!.cdnKey);
    const stored = readFileSync(join(local.services.blobDir!, aliceUploads[0]!.cdnKey));
    expect(stored.length).toBeGreaterThan(aliceUploads[0]!.size);
    for (const known of ['bulk message 500', 'real message 2', 'real answer 1', bobAccount]) expect(stored.includes(Buffer.from(known))).toBe(false);

    // The conversation state came along: the laptop can write to Bob at once (his profile key).
    await laptop.send(bobAccount, { text: 'from the laptop, with the history' });
    const atBob: string[] = [];
    bob.on('message', (m) => atBob.push(m.content.text ?? ''));
    await bob.poll();
    expect(atBob).toEqual(['from the laptop, with the history']);
    console.log(`history transfer of 1,000 messages: ${transferMs.toFixed(0)} ms from link to imported (whole test ${(performance.now() - started).toFixed(0)} ms)`);
  });

  it('respects the bounds: newest maxMessages, nothing older than maxAgeMs (injected clock)', async () => {
    const day = 24 * 3600_000;
    const clock = Date.now();
    const now = () => clock;
    const byCount = local.client({ now, historyTransfer: { maxMessages: 50, maxAgeMs: 30 * day } });
    const byAge = local.client({ now, historyTransfer: { maxMessages: 1000, maxAgeMs: 10 * day } });
    // Each bulk row encodes to about 40 bytes: 2,000 bytes hold the newest few dozen.
    const bySize = local.client({ now, historyTransfer: { maxArchiveBytes: 2000 } });
    for (const primary of [byCount, byAge, bySize]) {
      const bob = await pair(primary);
      // 120 messages, one every 4 hours, the newest 4 hours old: 20 days in all.
      await writeBulkHistory(primary, bob.address.account, 120, (i) => clock - (120 - i) * 4 * 3600_000);
      useBlobService(local, primary);
    }
    const expected = async (primary: SealpostClient, n: number) => comparable((await primary.store.history.recent(1000, 0)).slice(-n));
    for (const [primary, n] of [[byCount, 50], [byAge, 60], [bySize, 0]] as const) {
      const laptop = local.client({ now });
      useBlobService(local, laptop);
      const events = transferEvents(laptop);
      await linkDevice(primary, laptop);
      await primary.poll();
      await laptop.poll();
      const rows = await laptop.store.history.recent(1000, 0);
      if (primary === bySize) {
        // Trimmed from the oldest end until the archive fit: some, not all, and the newest ones.
        expect(rows.length).toBeGreaterThan(10);
        expect(rows.length).toBeLessThan(120);
        expect(comparable(rows)).toEqual(await expected(primary, rows.length));
        expect(events.at(-1)).toMatchObject({ phase: 'done', imported: rows.length });
        continue;
      }
      expect(rows).toHaveLength(n);
      expect(comparable(rows)).toEqual(await expected(primary, n));
      expect(Math.min(...rows.map((m) => m.timestamp))).toBeGreaterThanOrEqual(clock - (primary === byAge ? 10 * day : 30 * day));
      expect(events.at(-1)).toMatchObject({ phase: 'done', imported: n });
    }
  });

  it('a tampered archive is refused with a typed error and imports nothing; a second offer then imports once and a third duplicates nothing', async () => {
    const alice = local.client();
    const bob = await pair(alice);
    await writeBulkHistory(alice, bob.address.account, 40, (i) => Date.now() - 1000 + i);
    const uploads = useBlobService(local, alice);
    const laptop = local.client();
    useBlobService(local, laptop);
    const events = transferEvents(laptop);
    await linkDevice(alice, laptop);
    await alice.poll();
    // Flip one byte of the archive on the blob service before the laptop fetches it.
    const path = join(local.services.blobDir!, uploads[0]!.cdnKey);
    const blob = readFileSync(path);
    blob[blob.length >> 1]! ^= 0x01;
    (await import('node:fs')).writeFileSync(path, blob);
    await laptop.poll();
    const failed = events.find((e) => e.phase === 'failed');
    expect(failed?.error).toMatchObject({ name: 'HistoryTransferError', code: 'HISTORY_TRANSFER_TAMPERED' });
    expect(await laptop.store.history.count()).toBe(0);
    expect(await laptop.historyTransfer.retry()).toBeUndefined(); // the bad pointer is gone

    // The laptop asks again: a fresh archive (new key, new blob) is imported.
    expect(await laptop.historyTransfer.request()).toBe(true);
    await alice.poll();
    await laptop.poll();
    expect(uploads).toHaveLength(2);
    expect(uploads[1]!.cdnKey).not.toBe(uploads[0]!.cdnKey);
    expect(Buffer.from(uploads[1]!.key).equals(Buffer.from(uploads[0]!.key))).toBe(false);
    expect(events.at(-1)).toMatchObject({ phase: 'done', imported: 40, skipped: 0 });
    const once = comparable(await laptop.store.history.conversation(bob.address.account));
    expect(once).toEqual(comparable(await alice.store.history.conversation(bob.address.account)));

    // And again: the same rows are recognised, nothing is added.
    await laptop.historyTransfer.request();
    await alice.poll();
    await laptop.poll();
    expect(events.at(-1)).toMatchObject({ phase: 'done', imported: 0, skipped: 40 });
    expect(comparable(await laptop.store.history.conversation(bob.address.account))).toEqual(once);

    // One offer makes at most 5 archives: the 6th request is declined (the laptop had 3; two more are answered).
    for (let i = 0; i < 3; i++) {
      expect(await laptop.historyTransfer.request()).toBe(true);
      await alice.poll();
      await laptop.poll();
    }
    expect(uploads).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({ phase: 'declined' });
    expect(await laptop.historyTransfer.request()).toBe(false);
    expect(comparable(await laptop.store.history.conversation(bob.address.account))).toEqual(once);
  });

  it('a pointer that could not be fetched (no blob client yet) is kept across a restart and imported by retry()', async () => {
    const alice = local.client();
    const bob = await pair(alice);
    await writeBulkHistory(alice, bob.address.account, 25, (i) => Date.now() - 1000 + i);
    // Two disappearing messages (they carry a timer): they stay behind, or they would outlive it on the new device.
    await alice.store.transaction(async (tx) => {
      for (const [i, timestamp] of [Date.now(), Date.now() + 1].entries()) {
        await tx.history.add({ direction: 'in', peer: bob.address.account, sender: { account: bob.address.account, device: 1 }, timestamp, content: encodeContent({ version: 1, timestamp, text: `disappearing ${i}`, expireTimer: { seconds: 60, version: 1 } }), envelopeId: undefined, storedAt: timestamp, delivered: true });
      }
    });
    useBlobService(local, alice);
    const path = local.path('late-laptop.db');
    const laptop = local.client({ store: new SqliteStore(path) });
    const events = transferEvents(laptop);
    await linkDevice(alice, laptop);
    await alice.poll();
    await laptop.poll();
    expect(events.at(-1)?.error).toMatchObject({ code: 'HISTORY_TRANSFER_UNAVAILABLE' });
    expect(await laptop.store.history.count()).toBe(0);
    await laptop.close();

    const reopened = local.client({ store: new SqliteStore(path) });
    await reopened.ready();
    useBlobService(local, reopened);
    expect(await reopened.historyTransfer.retry()).toEqual({ imported: 25, skipped: 0 });
    expect(comparable(await reopened.store.history.conversation(bob.address.account))).toEqual(comparable((await alice.store.history.conversation(bob.address.account)).slice(0, 25)));
    expect(await reopened.historyTransfer.retry()).toBeUndefined(); // imported: the pointer (and its key) is gone
  });

  it('the primary can decline and the new device can refuse; another device of the account cannot take the offer', async () => {
    const alice = local.client();
    const bob = await pair(alice);
    await writeBulkHistory(alice, bob.address.account, 10, (i) => Date.now() - 1000 + i);
    const uploads = useBlobService(local, alice);
    const aliceEvents = transferEvents(alice);

    // Declined per link: no offer in the provisioning message, nothing to ask for.
    const declinedLaptop = local.client();
    const linking = await declinedLaptop.beginLink();
    await alice.approveLink(linking.uri, { historyTransfer: false });
    await linking.complete();
    expect(await declinedLaptop.historyTransfer.request()).toBe(false);

    // Refused by the new device (option): it never asks.
    const refusing = local.client({ historyTransfer: { enabled: false } });
    const refusingEvents = transferEvents(refusing);
    await linkDevice(alice, refusing);
    expect(refusingEvents.map((e) => e.phase)).toEqual(['refused']);
    expect(await refusing.historyTransfer.request()).toBe(false);

    // Refused after seeing the offer (`accept`): nothing is downloaded or imported.
    const picky = local.client({ historyTransfer: { accept: (offer) => offer.messages < 5 } });
    useBlobService(local, picky);
    const pickyEvents = transferEvents(picky);
    await linkDevice(alice, picky);
    await alice.poll();
    await picky.poll();
    expect(pickyEvents.at(-1)).toMatchObject({ phase: 'refused', messages: 10, conversations: 1 });
    expect(await picky.store.history.count()).toBe(0);

    // A request after the offer lapsed is answered with a decline (the primary's clock is injected and moved on).
    const clock = { t: Date.now() };
    const strict = local.client({ now: () => clock.t, historyTransfer: { offerTtlMs: 60_000 } });
    const bob2 = await pair(strict);
    await writeBulkHistory(strict, bob2.address.account, 3, (i) => Date.now() + i);
    const strictUploads = useBlobService(local, strict);
    const strictLaptop = local.client();
    useBlobService(local, strictLaptop);
    const strictEvents = transferEvents(strictLaptop);
    await linkDevice(strict, strictLaptop);
    clock.t += 61_000;
    await strict.poll();
    await strictLaptop.poll();
    expect(strictEvents.map((e) => e.phase)).toEqual(['requesting', 'declined']);
    expect(await strictLaptop.store.history.count()).toBe(0);
    expect(strictUploads).toEqual([]);
    expect(await strictLaptop.historyTransfer.request()).toBe(false); // a decline ends the offer on the new device

    // A primary with no blob client offers nothing (it could not upload an archive).
    const plain = local.client();
    await pair(plain);
    const plainLaptop = local.client();
    const plainEvents = transferEvents(plainLaptop);
    await linkDevice(plain, plainLaptop);
    expect(plainEvents).toEqual([]);
    expect(await plainLaptop.historyTransfer.request()).toBe(false);

    // Only the refusing device's and picky's links carried offers; the declined link made none.
    expect(aliceEvents.filter((e) => e.phase === 'offered')).toHaveLength(2);
    expect(uploads).toHaveLength(1);
    // Alice's other devices saw picky's request too and ignored it: none of them holds the offer.
    await declinedLaptop.poll();
    expect(await declinedLaptop.store.history.count()).toBe(0);
    // An offer belongs to the device that took it up: another device quoting picky's id (as if it had learnt it) gets nothing.
    const pickyOffer = aliceEvents.filter((e) => e.phase === 'offered').at(-1)!.transferId;
    await declinedLaptop.store.settings.set('history-transfer:pending', JSON.stringify({ transferId: pickyOffer }));
    expect(await declinedLaptop.historyTransfer.request()).toBe(true);
    const answered = aliceEvents.filter((e) => e.phase === 'requested').length;
    expect(await alice.poll()).toBe(1);
    expect(aliceEvents.filter((e) => e.phase === 'requested')).toHaveLength(answered);
    expect(uploads).toHaveLength(1);
    expect(await declinedLaptop.poll()).toBe(0);
  });
});
