/**
 * The web chat's persistence in Chromium (the client's IndexedDB browser
 * store) against a real key server and relay: a reload keeps the
 * conversation and the session (the next messages decrypt both ways), a
 * closed page gets what was queued meanwhile when it is opened again, and
 * two tabs of one profile sending at once never corrupt the session — the
 * peer decrypts every message, each tab's in its order.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { addContact, messageTexts, register, send, startChatWorld, waitForConnection, waitForMessage, type ChatWorld } from './support/chat-world.ts';

describe.runIf(chromiumAvailable())('web chat profiles in Chromium', () => {
  let world: ChatWorld;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;

  beforeAll(async () => {
    world = await startChatWorld();
    aliceContext = await world.browser.newContext();
    bobContext = await world.browser.newContext();
    [alice, bob] = await Promise.all([world.open(aliceContext), world.open(bobContext)]);
    await Promise.all([register(alice, 'Alice'), register(bob, 'Bob')]);
    await addContact(alice, bob, 'Bob');
    await addContact(bob, alice, 'Alice');
    await send(alice, 'before the reload');
    await waitForMessage(bob, 'before the reload');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('a reload keeps the account, the conversation and the session', async () => {
    const account = await bob.getByTestId('me').getAttribute('data-account');
    await bob.reload();
    await bob.getByTestId('me').waitFor();
    expect(await bob.getByTestId('register').count()).toBe(0);
    expect(await bob.getByTestId('me').getAttribute('data-account')).toBe(account);
    await waitForMessage(bob, 'before the reload');
    await waitForConnection(bob, 'open');
    // The stored session carries on in both directions (no new PreKey exchange needed to decrypt).
    await send(alice, 'after the reload');
    await waitForMessage(bob, 'after the reload');
    await send(bob, 'still here');
    await waitForMessage(alice, 'still here');
    expect(await messageTexts(bob)).toEqual(['before the reload', 'after the reload', 'still here']);
    expect(await bob.getByTestId('problem').isVisible()).toBe(false);
  });

  it('a closed page gets what was queued meanwhile when the profile opens the chat again', async () => {
    await bob.close();
    await send(alice, 'while the page was closed 1');
    await send(alice, 'while the page was closed 2');
    await waitForMessage(alice, 'while the page was closed 2');
    bob = await world.open(bobContext);
    await bob.getByTestId('me').waitFor();
    await waitForMessage(bob, 'while the page was closed 2');
    expect((await messageTexts(bob)).slice(-2)).toEqual(['while the page was closed 1', 'while the page was closed 2']);
  });

  it('two tabs of one profile sending at once: the peer decrypts every message, in order per tab', async () => {
    const second = await world.open(aliceContext);
    await second.getByTestId('me').waitFor();
    // One receiving tab per device: the second waits for the receiver lock.
    await waitForConnection(second, 'other-tab');
    const burst = (tab: Page, prefix: string) =>
      (async () => {
        for (let i = 0; i < 6; i++) await send(tab, `${prefix}-${i}`);
      })();
    await Promise.all([burst(alice, 'tab1'), burst(second, 'tab2')]);
    await waitForMessage(bob, 'tab1-5', 30_000);
    await waitForMessage(bob, 'tab2-5', 30_000);
    const texts = await messageTexts(bob);
    const fromTab = (prefix: string) => texts.filter((t) => t.startsWith(`${prefix}-`));
    expect(fromTab('tab1')).toEqual(['tab1-0', 'tab1-1', 'tab1-2', 'tab1-3', 'tab1-4', 'tab1-5']);
    expect(fromTab('tab2')).toEqual(['tab2-0', 'tab2-1', 'tab2-2', 'tab2-3', 'tab2-4', 'tab2-5']);
    expect(await bob.getByTestId('problem').isVisible()).toBe(false);
    // The session still works both ways, and both of Alice's tabs show Bob's answer.
    await send(bob, 'got all twelve');
    await waitForMessage(alice, 'got all twelve');
    await waitForMessage(second, 'got all twelve');
    expect(world.pageErrors).toEqual([]);
  });
});
