/**
 * The client SDK in Chromium end to end: a `SealpostClient` in the page, on
 * the browser store (IndexedDB), talks to a real key server and relay on
 * 127.0.0.1 over the page's `fetch` and `WebSocket` (credential in the
 * upgrade URL), with a Node client as the peer: it registers, sends to the
 * Node client, and receives its replies pushed over the WebSocket; after a
 * reload the page reopens its store and keeps the same account and session.
 *
 * The page is served from another port than the services, which allow its
 * origin (CORS, and the relay's WebSocket Origin check), as a deployment
 * configures them for its web app.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SealpostClient } from '@sealpost/client';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { ready, startBrowserWorld, type BrowserWorld, type Page } from '@sealpost/devkit/browser-page';
import { newTestClient, startLocalServices, type LocalServices } from '@sealpost/devkit/services';

declare global {
  interface Window {
    client: SealpostClient;
    got: string[];
    states: string[];
  }
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(chromiumAvailable())('client in Chromium (fetch, WebSocket, IndexedDB store)', () => {
  let world: BrowserWorld;
  let services: LocalServices;
  beforeAll(async () => {
    world = await startBrowserWorld(join(import.meta.dirname, 'fixtures', 'store-page.ts'));
    services = await startLocalServices({ corsOrigins: [new URL(world.page.url).origin] });
  });
  afterAll(async () => {
    await world?.close();
    await services?.close();
  });

  const startPageClient = (page: Page, register: boolean, storeName = 'e2e', receive: 'websocket' | 'manual' = 'websocket') =>
    page.evaluate(
      async ({ keyServerUrl, relayUrl, trustRoot, register, storeName, receive }) => {
        const { SealpostClient, openBrowserStore } = window.sealpost;
        const store = await openBrowserStore({ name: storeName });
        const client = new SealpostClient({
          store,
          keyServerUrl,
          relayUrl,
          trustRoot,
          receive: receive === 'websocket' ? { mode: 'websocket', backoff: { initialMs: 50, maxMs: 400 } } : { mode: 'manual' },
          upkeep: { automatic: false },
        });
        window.client = client;
        window.got = [];
        window.states = [];
        client.on('connection', (state) => window.states.push(state));
        client.on('message', (m) => window.got.push(m.content.text ?? ''));
        await client.ready();
        if (register) await client.register();
        if (receive === 'websocket') await client.start();
        return { card: client.contactCard(), account: client.address.account };
      },
      { keyServerUrl: services.keyServerUrl, relayUrl: services.relayUrl, trustRoot: services.trustRoot, register, storeName, receive },
    );

  it('registers, sends to a Node client, receives its replies over the WebSocket, and keeps its account and session across a reload', async () => {
    const page = await world.open();
    const alice = await startPageClient(page, true);
    const bob = newTestClient(services);
    await bob.register();
    const bobGot: string[] = [];
    bob.on('message', (m) => bobGot.push(m.content.text ?? ''));
    await bob.addContact(alice.card);
    await page.evaluate((card) => window.client.addContact(card), bob.contactCard());

    await page.evaluate(async (to) => {
      for (let i = 0; i < 3; i++) await window.client.send(to, { text: `from chromium ${i}` });
    }, bob.address.account);
    await until(async () => (await bob.poll(), bobGot.length >= 3));
    expect(bobGot).toEqual(['from chromium 0', 'from chromium 1', 'from chromium 2']);

    for (let i = 0; i < 3; i++) await bob.send(alice.account, { text: `from node ${i}` });
    await until(async () => (await page.evaluate(() => window.got.length)) >= 3);
    expect(await page.evaluate(() => window.got)).toEqual(['from node 0', 'from node 1', 'from node 2']);
    // They came over the relay's WebSocket, opened by the page's own WebSocket.
    expect(await page.evaluate(() => window.states)).toContain('open');

    // Reload: the page reopens its IndexedDB store — same account, same session, still in touch.
    await page.evaluate(() => window.client.close());
    await page.reload();
    await ready(page);
    const again = await startPageClient(page, false);
    expect(again.account).toBe(alice.account);
    await page.evaluate((to) => window.client.send(to, { text: 'after reload' }), bob.address.account);
    await until(async () => (await bob.poll(), bobGot.length >= 4));
    expect(bobGot[3]).toBe('after reload');
    await bob.send(alice.account, { text: 'welcome back' });
    await until(async () => (await page.evaluate(() => window.got.length)) >= 1);
    expect(await page.evaluate(() => window.got)).toEqual(['welcome back']);
    const history = await page.evaluate(async (peer) => (await window.client.history(peer)).map((m) => m.decoded.text), bob.address.account);
    expect(history).toEqual([...['0', '1', '2'].map((i) => `from chromium ${i}`), ...['0', '1', '2'].map((i) => `from node ${i}`), 'after reload', 'welcome back']);
    await page.evaluate(() => window.client.close());
    await bob.close();
    await page.context().close();
  });

  it('two tabs of one profile sending on the same session at once: every ratchet step is its own, the peer decrypts all of them', async () => {
    const context = await world.browser.newContext();
    const first = await world.open(context);
    const carol = await startPageClient(first, true, 'two-tabs', 'manual');
    const second = await world.open(context);
    await startPageClient(second, false, 'two-tabs', 'manual');
    const bob = newTestClient(services);
    await bob.register();
    const bobGot: string[] = [];
    bob.on('message', (m) => bobGot.push(m.content.text ?? ''));
    await bob.addContact(carol.card);
    await first.evaluate((card) => window.client.addContact(card), bob.contactCard());
    const EACH = 10;
    const sendAll = (page: Page, tab: string) =>
      page.evaluate(
        async ({ to, tab, each }) => {
          for (let i = 0; i < each; i++) await window.client.send(to, { text: `${tab} ${i}` });
        },
        { to: bob.address.account, tab, each: EACH },
      );
    await Promise.all([sendAll(first, 'tab-1'), sendAll(second, 'tab-2')]);
    // (Not throwing on a timeout: the assertions below say what went wrong.)
    await until(async () => (await bob.poll(), bobGot.length >= 2 * EACH), 15_000).catch(() => undefined);
    // Had two steps interleaved, two messages would share a chain index: the second one would fail (duplicate) and be quarantined.
    expect(await bob.quarantined()).toEqual([]);
    expect(new Set(bobGot).size).toBe(2 * EACH);
    expect(bobGot.filter((t) => t.startsWith('tab-1'))).toEqual(Array.from({ length: EACH }, (_, i) => `tab-1 ${i}`));
    expect(bobGot.filter((t) => t.startsWith('tab-2'))).toEqual(Array.from({ length: EACH }, (_, i) => `tab-2 ${i}`));
    // And both tabs see the one history.
    const histories = await Promise.all([first, second].map((p) => p.evaluate(async (peer) => (await window.client.history(peer)).length, bob.address.account)));
    expect(histories).toEqual([2 * EACH, 2 * EACH]);
    await Promise.all([first, second].map((p) => p.evaluate(() => window.client.close())));
    await bob.close();
    await context.close();
  });
});
