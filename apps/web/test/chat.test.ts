/**
 * The web chat in Chromium against a real key server and relay: two
 * browser profiles (contexts) register, exchange contact cards, chat with
 * replies and reactions, compare safety numbers, an offline profile gets
 * what was sent meanwhile once it is back, and a message under a changed
 * identity key (a key-server insider's forgery) raises the warning; the
 * conversation list shows unread badges, searches, and reading sends a read receipt. A screenshot of the chat is
 * written to test-artifacts/ and must not be blank.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealpostClient, decodeContent, sessionOps, unpadPlaintext, type MessageContent, type SessionOps } from '@sealpost/client';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { impersonate, newTestClient } from '@sealpost/devkit/services';
import { addContact, messageTexts, register, send, startChatWorld, waitForConnection, waitForMessage, type ChatWorld } from './support/chat-world.ts';
import { distinctColours, readQr } from './support/png.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts');

describe.runIf(chromiumAvailable())('web chat in Chromium', () => {
  let world: ChatWorld;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;

  beforeAll(async () => {
    world = await startChatWorld();
    aliceContext = await world.browser.newContext({ viewport: { width: 1100, height: 760 } });
    bobContext = await world.browser.newContext({ viewport: { width: 1100, height: 760 } });
    [alice, bob] = await Promise.all([world.open(aliceContext), world.open(bobContext)]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('two profiles register, exchange cards (the QR code holds the card) and chat through the services', async () => {
    const [aliceId, bobId] = await Promise.all([register(alice, 'Alice'), register(bob, 'Bob')]);
    expect(aliceId).not.toBe(bobId);
    await Promise.all([waitForConnection(alice, 'open'), waitForConnection(bob, 'open')]);
    // The QR code shown is the card's text.
    const card = await alice.getByTestId('my-card').inputValue();
    expect(readQr(await alice.getByTestId('my-card-qr').screenshot())).toBe(card);

    await addContact(alice, bob, 'Bob');
    await addContact(bob, alice, 'Alice');
    await send(alice, 'Hello Bob');
    await waitForMessage(bob, 'Hello Bob');
    await send(bob, 'Hi Alice!');
    await waitForMessage(alice, 'Hi Alice!');
    expect(await messageTexts(alice)).toEqual(['Hello Bob', 'Hi Alice!']);
    expect(await messageTexts(bob)).toEqual(['Hello Bob', 'Hi Alice!']);
    expect(world.pageErrors).toEqual([]);
  });

  it('own messages show ticks (✓ sent, ✓✓ delivered, blue ✓✓ read once the peer has the conversation open) and the typing of the peer shows a "typing…" line', async () => {
    const ticks = (tab: Page, text: string) => tab.getByTestId('message').filter({ hasText: text }).getByTestId('ticks').getAttribute('data-state');
    // Both have the conversation open, so each page marks the other's message read: the delivery receipt, then the read receipt.
    await expect.poll(() => ticks(alice, 'Hello Bob'), { timeout: 20_000 }).toBe('read');
    await expect.poll(() => ticks(bob, 'Hi Alice!'), { timeout: 20_000 }).toBe('read');
    expect(await bob.getByTestId('message').filter({ hasText: 'Hello Bob' }).getByTestId('ticks').count()).toBe(0); // only on our own messages
    await alice.getByTestId('compose').fill('I am typ');
    await expect.poll(() => bob.getByTestId('typing').textContent(), { timeout: 20_000 }).toBe('Alice is typing…');
    await alice.getByTestId('compose').fill('');
    await expect.poll(() => bob.getByTestId('typing').isVisible(), { timeout: 20_000 }).toBe(false);
    expect(await messageTexts(bob)).toEqual(['Hello Bob', 'Hi Alice!']); // typing is never a message
  });

  it('replies quote their message and reactions show on it, on both sides', async () => {
    // Bob replies to Alice's first message.
    await bob.getByTestId('message').filter({ hasText: 'Hello Bob' }).getByTestId('reply').click();
    await expect.poll(() => bob.getByTestId('reply-preview').isVisible()).toBe(true);
    await send(bob, 'Replying to you');
    await waitForMessage(alice, 'Replying to you');
    const quoted = alice.getByTestId('message').filter({ hasText: 'Replying to you' }).getByTestId('reply-quote');
    expect(await quoted.textContent()).toBe('Hello Bob');
    // Alice reacts to Bob's reply.
    await alice.getByTestId('message').filter({ hasText: 'Replying to you' }).locator('[data-testid=react][data-emoji="👍"]').click();
    const reactions = bob.getByTestId('message').filter({ hasText: 'Replying to you' }).getByTestId('reactions');
    await expect.poll(() => reactions.textContent(), { timeout: 20_000 }).toBe('👍 1');
    // A reaction is not a message bubble of its own.
    expect(await messageTexts(bob)).toEqual(['Hello Bob', 'Hi Alice!', 'Replying to you']);
  });

  it('edit and delete for everyone: the author edits and deletes, both sides show "(edited)" and "message deleted"', async () => {
    await send(alice, 'Lunch at noon?');
    await waitForMessage(bob, 'Lunch at noon?');
    await send(alice, 'my door code is 4711');
    await waitForMessage(bob, 'my door code is 4711');
    const bubble = (tab: Page, text: string) => tab.getByTestId('message').filter({ hasText: text });
    // Only the author gets the actions.
    expect(await bubble(bob, 'Lunch at noon?').getByTestId('edit').count()).toBe(0);
    await bubble(alice, 'Lunch at noon?').getByTestId('edit').click();
    await alice.getByTestId('edit-input').fill('Lunch at one?');
    await alice.getByTestId('edit-save').click();
    await waitForMessage(bob, 'Lunch at one?');
    await waitForMessage(alice, 'Lunch at one?');
    for (const tab of [alice, bob]) await expect.poll(() => bubble(tab, 'Lunch at one?').getByTestId('edited-mark').textContent()).toBe('(edited)');
    await bubble(alice, 'my door code is 4711').getByTestId('delete-everyone').click();
    for (const tab of [alice, bob]) {
      await expect.poll(() => messageTexts(tab), { timeout: 20_000 }).not.toContain('my door code is 4711');
      expect((await messageTexts(tab)).slice(-2)).toEqual(['Lunch at one?', 'message deleted']);
      expect(await tab.getByTestId('message-deleted').count()).toBe(1);
    }
    expect(world.pageErrors).toEqual([]);
  });

  it('the safety-number screen shows the same 60 digits on both sides, and verifying closes it', async () => {
    const digits = async (tab: Page) => {
      await tab.getByTestId('safety-open').click();
      const shown = tab.getByTestId('safety-digits');
      await expect.poll(() => shown.textContent()).toMatch(/\d/);
      return (await shown.textContent())!.replace(/\s+/g, '');
    };
    const [a, b] = [await digits(alice), await digits(bob)];
    expect(a).toMatch(/^\d{60}$/);
    expect(a).toBe(b);
    await alice.getByTestId('safety-verify').click();
    await alice.getByTestId('safety-dialog').waitFor({ state: 'detached' });
    await bob.getByTestId('safety-close').click();
  });

  it('an offline profile gets what was sent meanwhile when it is back, in order', async () => {
    await bobContext.setOffline(true);
    await waitForConnection(bob, 'offline');
    for (const text of ['while you were away 1', 'while you were away 2', 'while you were away 3']) await send(alice, text);
    // Sent (accepted by the relay) before Bob is back.
    await waitForMessage(alice, 'while you were away 3');
    await new Promise((r) => setTimeout(r, 500));
    expect(await messageTexts(bob)).not.toContain('while you were away 1');
    await bobContext.setOffline(false);
    await waitForMessage(bob, 'while you were away 3');
    const texts = await messageTexts(bob);
    expect(texts.slice(-3)).toEqual(['while you were away 1', 'while you were away 2', 'while you were away 3']);
    await waitForConnection(bob, 'open');
  });

  it('a message under a changed identity key shows the safety-number warning until the user verifies again', async () => {
    const insider = newTestClient(world.services);
    await insider.register();
    const aliceId = (await alice.getByTestId('me').getAttribute('data-account'))!;
    const bobId = (await bob.getByTestId('me').getAttribute('data-account'))!;
    // The key server's operator certifies another identity key for Alice's account and writes to Bob.
    // impersonate() needs only the target's address and card (its profile key gives the relay's access key).
    const bobCard = SealpostClient.decodeContactCard(await bob.getByTestId('my-card').inputValue());
    const bobTarget = { address: { account: bobId, device: 1 }, contactCard: () => bobCard } as unknown as SealpostClient;
    await impersonate(world.services, insider, bobTarget, aliceId, 'this is really Alice');
    await waitForMessage(bob, 'this is really Alice');
    const warning = bob.getByTestId('identity-warning');
    await expect.poll(() => warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toContain("Alice's safety number changed");
    expect(await bob.locator('[data-testid=contact] .badge').count()).toBe(1);
    await bob.getByTestId('identity-warning-check').click();
    await bob.getByTestId('safety-verify').click();
    await expect.poll(() => warning.isVisible()).toBe(false);
    expect(await bob.locator('[data-testid=contact] .badge').count()).toBe(0);
    await insider.close();
  });

  it('a disappearing timer set by Bob shows as a line on both sides; new messages show an hourglass countdown', async () => {
    await bob.getByTestId('disappearing-timer').selectOption('60');
    const line = (tab: Page) => tab.getByTestId('timer-change').last();
    await expect.poll(() => line(alice).textContent(), { timeout: 20_000 }).toBe('Disappearing messages set to 1 minute by Bob');
    await expect.poll(() => line(bob).textContent(), { timeout: 20_000 }).toBe('Disappearing messages set to 1 minute by you');
    await expect.poll(() => alice.getByTestId('disappearing-timer').inputValue()).toBe('60');
    // The change is a line, not a message bubble.
    expect(await messageTexts(bob)).not.toContain('');
    await send(alice, 'this one disappears');
    await waitForMessage(bob, 'this one disappears');
    // Alice's copy counts down from sending, Bob's from reading (his conversation with Alice is open).
    for (const tab of [alice, bob]) {
      const glass = tab.getByTestId('message').filter({ hasText: 'this one disappears' }).getByTestId('hourglass');
      await expect.poll(() => glass.textContent(), { timeout: 20_000 }).toMatch(/^⏳ (1m|[1-5]?\d s|[1-5]?\ds)$/);
    }
    // Older messages (sent before the timer) have none.
    expect(await alice.getByTestId('message').filter({ hasText: 'Hello Bob' }).getByTestId('hourglass').count()).toBe(0);
    expect(world.pageErrors).toEqual([]);
  });

  it('a contact who deleted their account: the next send shows why it failed', async () => {
    const carol = newTestClient(world.services);
    await carol.register();
    await alice.getByTestId('contact-name').fill('Carol');
    await alice.getByTestId('contact-card').fill(SealpostClient.encodeContactCard(carol.contactCard()));
    await alice.getByTestId('add-contact').click();
    await alice.locator('[data-testid=contact]', { hasText: 'Carol' }).click();
    await carol.deleteAccount();
    await send(alice, 'Carol, still there?');
    const problem = alice.getByTestId('problem');
    await expect.poll(() => problem.textContent(), { timeout: 20_000 }).toContain('Carol deleted their account');
    expect(await messageTexts(alice)).not.toContain('Carol, still there?');
  });

  it('the conversation list shows unread badges; the search box finds a message; opening it marks it read and sends the author a read receipt', async () => {
    const received: MessageContent[] = [];
    const sessions: SessionOps = { ...sessionOps, decrypt: (...args) => {
      const out = sessionOps.decrypt(...args);
      received.push(decodeContent(unpadPlaintext(out.plaintext)));
      return out;
    } };
    const carol = newTestClient(world.services, { sessions });
    await carol.register();
    const bobId = (await bob.getByTestId('me').getAttribute('data-account'))!;
    const aliceId = (await alice.getByTestId('me').getAttribute('data-account'))!;
    await carol.addContact(SealpostClient.decodeContactCard(await bob.getByTestId('my-card').inputValue()));
    const sent = await carol.send(bobId, { text: 'a zeppelin over the harbour' });
    const carolEntry = bob.locator(`[data-testid=conversation][data-account="${carol.address.account}"]`);
    await expect.poll(() => carolEntry.getByTestId('unread-badge').textContent(), { timeout: 20_000 }).toBe('1');
    // The open conversation (Alice's) is read as it is shown: no badge.
    expect(await bob.locator(`[data-testid=conversation][data-account="${aliceId}"] [data-testid=unread-badge]`).count()).toBe(0);
    expect(await carolEntry.locator('.last-message').textContent()).toBe('a zeppelin over the harbour');
    await bob.getByTestId('search').fill('ZEPPEL');
    const hit = bob.getByTestId('search-hit');
    await expect.poll(() => hit.textContent()).toContain('[zeppelin]');
    await hit.click();
    await expect.poll(() => carolEntry.getByTestId('unread-badge').count()).toBe(0);
    expect(await bob.getByTestId('conversation-title').textContent()).toBe(carol.address.account.slice(0, 8));
    // Carol's device gets one read receipt naming her message; it is not a chat message.
    // (Bob's page also sends delivery receipts, about a second after a message arrives: only read receipts count here.)
    const readReceipts = () => received.filter((c) => c.receipt?.type === 'read');
    await expect.poll(async () => (await carol.poll(), readReceipts().length), { timeout: 20_000 }).toBe(1);
    expect(readReceipts()[0]?.receipt).toEqual({ type: 'read', targets: [{ author: carol.address.account, timestamp: sent.content.timestamp }] });
    expect(await carol.conversations.list()).toMatchObject([{ peer: bobId, unread: 0, lastMessage: { direction: 'out' } }]);
    // Read receipts switched off (persisted): the next message is read in the open conversation, and Carol gets no receipt.
    await expect.poll(() => bob.getByTestId('read-receipts').isEnabled()).toBe(true);
    expect(await bob.getByTestId('read-receipts').isChecked()).toBe(true);
    await bob.getByTestId('read-receipts').uncheck();
    await carol.send(bobId, { text: 'read quietly' });
    await waitForMessage(bob, 'read quietly');
    await expect.poll(() => carolEntry.getAttribute('data-unread')).toBe('0');
    await carol.poll();
    expect(readReceipts()).toHaveLength(1);
    await bob.reload();
    await expect.poll(() => bob.getByTestId('read-receipts').isEnabled(), { timeout: 20_000 }).toBe(true); // enabled once the setting is read
    expect(await bob.getByTestId('read-receipts').isChecked()).toBe(false);
    await bob.getByTestId('search').fill('');
    await carol.close();
    expect(world.pageErrors).toEqual([]);
  });

  it('writes a screenshot of the chat that is not blank', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = await alice.screenshot({ fullPage: true });
    writeFileSync(join(ARTIFACTS, 'web-chat.png'), png);
    // Text, bubbles, the QR code and the connection dot: far more than a blank page's one or two colours.
    expect(distinctColours(png)).toBeGreaterThan(50);
    expect(world.pageErrors).toEqual([]);
  });
});
