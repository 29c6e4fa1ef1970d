/**
 * libsignal compatibility with Sealpost running in Chromium: our protocol
 * core (web primitives, in the page) against libsignal-client 0.90.0 (in
 * Node), both directions — PreKey messages and the follow-ups, a reordered,
 * dropped and duplicated conversation, a reset, and simultaneous initiation.
 * The bytes each side produces are decrypted by the other.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { startBrowserWorld, type BrowserWorld, type Page } from '@sealpost/devkit/browser-page';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { runConversation, runResetScenario, runSimultaneousInitiation, type SessionEndpoint } from '../support/session-scenarios.ts';
import { BrowserEndpoint } from './browser-endpoint.ts';

const MESSAGES_EACH = 100;
const PREKEY = 3;
const WHISPER = 2;
const text = (s: string) => new TextEncoder().encode(s);

describe.runIf(chromiumAvailable())('interop: Sealpost in Chromium with libsignal-client 0.90.0 in Node', () => {
  let world: BrowserWorld;
  let page: Page;
  let n = 0;
  beforeAll(async () => {
    world = await startBrowserWorld(join(import.meta.dirname, 'fixtures', 'endpoint-page.ts'));
    page = await world.open();
  });
  afterAll(async () => {
    await world?.close();
  });

  const browser = (name: string) => BrowserEndpoint.create(page, `${name}-${n++}`, 1000 + n);
  const libsignal = (name: string) => new LibsignalEndpoint({ name: `${name}-${n++}`, registrationId: 2000 + n });

  it('interop: the page runs our protocol core on the web primitives', async () => {
    expect(await page.evaluate(() => window.sealpostEndpoints.backend)).toBe('web');
  });

  for (const withOneTimePreKey of [true, false]) {
    const what = withOneTimePreKey ? 'with' : 'without';
    it(`interop: Chromium initiates (${what} one-time prekey): libsignal decrypts the PreKey messages and follow-ups, the page decrypts libsignal's replies`, async () => {
      const a = await browser('chromium-alice');
      const b = libsignal('libsignal-bob');
      await a.startSession(b.id, await b.bundle({ withOneTimePreKey }));
      const first = [await a.encrypt(b.id, text('hello 1')), await a.encrypt(b.id, text('hello 2'))];
      expect(first.map((m) => m.type)).toEqual([PREKEY, PREKEY]);
      expect(new TextDecoder().decode(await b.decrypt(a.id, first[1]!))).toBe('hello 2');
      expect(new TextDecoder().decode(await b.decrypt(a.id, first[0]!))).toBe('hello 1');
      const reply = await b.encrypt(a.id, text('reply'));
      expect(reply.type).toBe(WHISPER);
      expect(new TextDecoder().decode(await a.decrypt(b.id, reply))).toBe('reply');
      const followUp = await a.encrypt(b.id, text('follow-up'));
      expect(followUp.type).toBe(WHISPER);
      expect(new TextDecoder().decode(await b.decrypt(a.id, followUp))).toBe('follow-up');
      await conversation(a, b, withOneTimePreKey ? 11 : 12);
    });

    it(`interop: libsignal initiates (${what} one-time prekey): the page decrypts the PreKey messages and follow-ups, libsignal decrypts the page's replies`, async () => {
      const a = libsignal('libsignal-alice');
      const b = await browser('chromium-bob');
      const bundle = await b.bundle({ withOneTimePreKey });
      expect(bundle.preKeyId === null).toBe(!withOneTimePreKey);
      await a.startSession(b.id, bundle);
      const first = await a.encrypt(b.id, text('hi from libsignal'));
      expect(first.type).toBe(PREKEY);
      expect(new TextDecoder().decode(await b.decrypt(a.id, first))).toBe('hi from libsignal');
      const reply = await b.encrypt(a.id, text('hi from chromium'));
      expect(reply.type).toBe(WHISPER);
      expect(new TextDecoder().decode(await a.decrypt(b.id, reply))).toBe('hi from chromium');
      await conversation(a, b, withOneTimePreKey ? 21 : 22);
    });
  }

  it('interop: the page resets its session and re-establishes it with libsignal', async () => {
    const a = await browser('chromium-resetter');
    const b = libsignal('libsignal-peer');
    const c = await runResetScenario(a, b, { resetter: 'a', withOneTimePreKey: true, seed: 31, messagesEach: 60 });
    console.log(`interop: Chromium reset: ${c.aToB} messages chromium->libsignal, ${c.bToA} libsignal->chromium`);
    expect(c.aToB).toBeGreaterThan(50);
    expect(c.bToA).toBeGreaterThan(50);
  });

  it('interop: the page and libsignal initiate at the same time', async () => {
    const a = await browser('chromium-simul');
    const b = libsignal('libsignal-simul');
    const c = await runSimultaneousInitiation(a, b, { withOneTimePreKey: false, seed: 41, messagesEach: 60 });
    console.log(`interop: Chromium simultaneous initiation: ${c.aToB} messages chromium->libsignal, ${c.bToA} libsignal->chromium`);
    expect(c.aToB).toBeGreaterThan(50);
    expect(c.bToA).toBeGreaterThan(50);
  });
});

/** A reordered/dropped/duplicated conversation; every message not dropped decrypts exactly once. */
async function conversation(a: SessionEndpoint, b: SessionEndpoint, seed: number): Promise<void> {
  const t = await runConversation(a, b, { seed, messagesEach: MESSAGES_EACH });
  console.log(
    `interop: ${a.implementation}->${b.implementation} ${t.aToB} messages, ${b.implementation}->${a.implementation} ${t.bToA} ` +
      `(${t.dropped} dropped, ${t.duplicatesRejected} duplicates rejected, ${t.reordered} reordered, ${t.reorderedAcrossChains} across chains)`,
  );
  expect(t.aToB + t.bToA + t.dropped).toBe(2 * MESSAGES_EACH);
  expect(t.aToB).toBeGreaterThan(0.9 * MESSAGES_EACH);
  expect(t.bToA).toBeGreaterThan(0.9 * MESSAGES_EACH);
  expect(t.duplicatesRejected).toBeGreaterThan(0);
}
