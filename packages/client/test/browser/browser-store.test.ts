/**
 * The browser store in Chromium (IndexedDB + Web Locks): a session and its
 * message survive a reload; a rejected transaction leaves nothing; two pages
 * of one profile racing read-modify-write transactions never interleave and
 * never read stale data; at-rest encryption with a non-extractable AES-GCM
 * key leaves no plaintext in IndexedDB, and a wrong or missing key is a typed
 * `STORE_KEY` error.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { ready, startBrowserWorld, type BrowserWorld } from '@sealpost/devkit/browser-page';

describe.runIf(chromiumAvailable())('browser store (Chromium, IndexedDB)', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld(join(import.meta.dirname, 'fixtures', 'store-page.ts'));
  });
  afterAll(async () => {
    await world?.close();
  });

  it('a page writes a session and its message in one transaction, reloads, and reads them back', async () => {
    const page = await world.open();
    const peer = { account: 'acct-peer', device: 3 };
    await page.evaluate(async (peer) => {
      const { openBrowserStore, runSessionStep } = window.sealpost;
      const store = await openBrowserStore({ name: 'reload' });
      await store.identities.setLocalAccount({ identityPrivateKey: Uint8Array.of(1, 2), identityPublicKey: Uint8Array.of(5, 3, 4), registrationId: 77 });
      await store.transaction(async (tx) => {
        await runSessionStep(tx, peer, (record) => {
          if (record !== undefined) throw new Error('expected no session yet');
          // A view into a larger buffer: only its three bytes may be stored.
          return { record: Uint8Array.of(0xee, 0xee, 9, 8, 7, 0xee).subarray(2, 5), result: undefined };
        });
        await tx.history.add({ direction: 'in', peer: peer.account, sender: peer, timestamp: 5, content: Uint8Array.of(1), envelopeId: 'env-1', storedAt: 6 });
        await tx.history.markProcessed('env-1', 6);
      });
      // A step that throws after writing leaves nothing behind.
      await store
        .transaction(async (tx) => {
          await tx.sessions.store(peer, Uint8Array.of(0));
          await tx.history.add({ direction: 'in', peer: peer.account, sender: peer, timestamp: 7, content: Uint8Array.of(2), envelopeId: 'env-2', storedAt: 8 });
          throw new Error('step failed');
        })
        .catch(() => undefined);
      await store.close();
    }, peer);
    await page.reload();
    await ready(page);
    const after = await page.evaluate(async (peer) => {
      const store = await window.sealpost.openBrowserStore({ name: 'reload' });
      const record = await store.sessions.load(peer);
      const out = {
        record: record === undefined ? undefined : [...record],
        devices: await store.sessions.devices(peer.account),
        account: await store.identities.localAccount(),
        messages: (await store.history.conversation(peer.account)).map((m) => ({ id: m.id, envelopeId: m.envelopeId, content: [...m.content] })),
        processed: [await store.history.isProcessed('env-1'), await store.history.isProcessed('env-2')],
        undelivered: (await store.history.undelivered()).length,
      };
      await store.close();
      const rawRecordBuffer = await new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('reload');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const get = req.result.transaction('records').objectStore('records').get(['session', peer.account, peer.device]);
          get.onsuccess = () => {
            resolve((get.result as Uint8Array).buffer.byteLength);
            req.result.close();
          };
        };
      });
      return { ...out, rawRecordBuffer, account: out.account && { ...out.account, identityPublicKey: [...out.account.identityPublicKey] } };
    }, peer);
    expect(after.record).toEqual([9, 8, 7]);
    expect(after.rawRecordBuffer).toBe(3);
    expect(after.devices).toEqual([3]);
    expect(after.account?.registrationId).toBe(77);
    expect(after.account?.identityPublicKey).toEqual([5, 3, 4]);
    expect(after.messages).toEqual([{ id: 1, envelopeId: 'env-1', content: [1] }]);
    expect(after.processed).toEqual([true, false]);
    expect(after.undelivered).toBe(1);
    // Persistent storage can be asked for; the answer is the browser's (a boolean either way).
    expect(typeof (await page.evaluate(() => window.sealpost.requestPersistentStorage()))).toBe('boolean');
    await page.context().close();
  });

  it('two pages of one profile racing transactions never interleave and never read stale state', async () => {
    const context = await world.browser.newContext();
    const [a, b] = [await world.open(context), await world.open(context)];
    const STEPS = 40;
    const run = (page: typeof a, name: string) =>
      page.evaluate(async ({ steps, name }) => {
        const store = await window.sealpost.openBrowserStore({ name: 'race' });
        // Each step's [start, end] on the shared wall clock (ms, sub-ms precision). (A localStorage flag was
        // used before; Chromium propagates localStorage between renderer processes asynchronously, so a
        // slow machine saw the other page's "inside" flag late and counted overlaps the lock never allowed.)
        const steps_: [number, number][] = [];
        const clock = () => performance.timeOrigin + performance.now();
        for (let i = 0; i < steps; i++) {
          await store.transaction(async (tx) => {
            const start = clock();
            const n = Number((await tx.settings.get('counter')) ?? '0');
            await new Promise((r) => setTimeout(r, 2)); // yield to the other page mid-step
            await tx.settings.set('counter', String(n + 1));
            await tx.sessions.store({ account: name, device: 1 }, Uint8Array.of(n & 0xff));
            steps_.push([start, clock()]);
          });
        }
        await store.close();
        return steps_;
      }, { steps: STEPS, name });
    const [ra, rb] = await Promise.all([run(a, 'page-a'), run(b, 'page-b')]);
    // Both ran at the same time (their step windows overlap), so a missing lock would have shown.
    expect(ra[0]![0]).toBeLessThan(rb[STEPS - 1]![1]);
    expect(rb[0]![0]).toBeLessThan(ra[STEPS - 1]![1]);
    // No step of one page ran inside a step of the other.
    const overlaps = ra.filter(([s1, e1]) => rb.some(([s2, e2]) => s1 < e2 && s2 < e1));
    expect(overlaps).toEqual([]);
    const counter = await a.evaluate(async () => {
      const store = await window.sealpost.openBrowserStore({ name: 'race' });
      const n = await store.settings.get('counter');
      await store.close();
      return n;
    });
    // Every read-modify-write saw the other page's commits: no update lost.
    expect(counter).toBe(String(2 * STEPS));
    await context.close();
  });

  it('encrypts values at rest with a non-extractable AES-GCM key: no plaintext stored, wrong or missing key is STORE_KEY', async () => {
    const page = await world.open();
    const r = await page.evaluate(async () => {
      const { openBrowserStore, ClientError } = window.sealpost;
      const CANARY = 'canary-plaintext-7f3a9c';
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const wrong = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const peer = { account: 'acct-peer', device: 1 };
      const store = await openBrowserStore({ name: 'at-rest', key });
      await store.identities.setLocalAccount({
        identityPrivateKey: Uint8Array.of(1, 2, 3),
        identityPublicKey: Uint8Array.of(5, 4),
        registrationId: 9,
        account: 'acct-me',
        device: 1,
        deviceSecret: CANARY,
        profileKey: new Uint8Array(32).fill(7),
      });
      await store.sessions.store(peer, new TextEncoder().encode(CANARY));
      await store.settings.set('note', CANARY);
      // A message's words are indexed for search (keys are not encrypted: the index keys must not name them).
      const content = window.sealpost.encodeContent({ timestamp: 1, text: 'canary plaintext 7f3a9c' });
      await store.history.add({ direction: 'in', peer: 'acct-peer', sender: peer, timestamp: 1, content, envelopeId: 'e-1', storedAt: 1 });
      await store.close();

      // What IndexedDB holds: every value but the format marker is sealed bytes, none has the canary.
      const raw = await new Promise<{ keys: unknown[]; values: unknown[] }>((resolve, reject) => {
        const req = indexedDB.open('at-rest');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const os = db.transaction('records').objectStore('records');
          const k = os.getAllKeys();
          const v = os.getAll();
          v.onsuccess = () => {
            resolve({ keys: k.result, values: v.result });
            db.close();
          };
        };
      });
      const sealed = raw.values.filter((v) => v instanceof Uint8Array).length;
      const decoder = new TextDecoder('latin1');
      const leaks = raw.values.filter((v) => (v instanceof Uint8Array ? decoder.decode(v) : JSON.stringify(v)).includes(CANARY)).length;
      const keyLeaks = JSON.stringify(raw.keys).match(/canary|plaintext|7f3a9c/g)?.length ?? 0;

      const codeOf = async (p: Promise<unknown>) => {
        try {
          await p;
          return 'opened';
        } catch (e) {
          return e instanceof ClientError ? e.code : `untyped: ${String(e)}`;
        }
      };
      const wrongKey = await codeOf(openBrowserStore({ name: 'at-rest', key: wrong }));
      const noKey = await codeOf(openBrowserStore({ name: 'at-rest' }));
      const reopened = await openBrowserStore({ name: 'at-rest', key });
      const account = await reopened.identities.localAccount();
      const record = await reopened.sessions.load(peer);
      const note = await reopened.settings.get('note');
      const found = (await reopened.conversations.search('PLAIN', { limit: 5 })).map((h) => h.snippet);
      await reopened.close();

      // A sealed value moved to another record's key no longer opens (the AAD binds the key).
      await new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('at-rest');
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction('records', 'readwrite');
          const os = tx.objectStore('records');
          const g = os.get(['setting', 'note']);
          g.onsuccess = () => os.put(g.result, ['setting', 'moved']);
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      });
      const again = await openBrowserStore({ name: 'at-rest', key });
      const moved = await codeOf(again.settings.get('moved'));
      await again.close();
      // Deleting the store removes everything: the name opens afresh, without a key.
      await window.sealpost.deleteBrowserStore('at-rest');
      const fresh = await openBrowserStore({ name: 'at-rest' });
      const afterDelete = { account: await fresh.identities.localAccount(), encrypted: fresh.encrypted };
      await fresh.close();
      return {
        records: raw.keys.length,
        sealed,
        leaks,
        keyLeaks,
        found,
        wrongKey,
        noKey,
        deviceSecret: account?.deviceSecret,
        profileKey: account?.profileKey && [...account.profileKey],
        record: record && new TextDecoder().decode(record),
        note,
        moved,
        afterDelete,
      };
    });
    expect(r.records).toBeGreaterThanOrEqual(5);
    expect(r.sealed).toBe(r.records - 1); // all but ['meta', 'format']
    expect(r.leaks).toBe(0);
    expect(r.keyLeaks).toBe(0);
    expect(r.found).toEqual(['canary [plaintext] 7f3a9c']);
    expect(r.wrongKey).toBe('STORE_KEY');
    expect(r.noKey).toBe('STORE_KEY');
    expect(r.deviceSecret).toBe('canary-plaintext-7f3a9c');
    expect(r.profileKey).toEqual(new Array(32).fill(7));
    expect(r.record).toBe('canary-plaintext-7f3a9c');
    expect(r.note).toBe('canary-plaintext-7f3a9c');
    expect(r.moved).toBe('STORE_KEY');
    expect(r.afterDelete).toEqual({ account: undefined, encrypted: false });
    await page.context().close();
  });
});
