/**
 * The browser tests' world: the page built once (per test file) and served
 * on 127.0.0.1, a real key server and relay allowing its origin, and the
 * machine's Chromium. Helpers drive the page the way a user does (fill,
 * click) and read what it shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '@sealpost/devkit/chromium';
import { startLocalServices, type LocalServices } from '@sealpost/devkit/services';
import { toBase64 } from '@sealpost/protocol/primitives';
import { buildWebApp, serveWebApp, type WebServer } from '../../server/web-server.ts';

export interface ChatWorld {
  browser: Browser;
  services: LocalServices;
  page: WebServer;
  /** Uncaught errors of every page opened with `open` (a test expects none). */
  pageErrors: string[];
  /** A new page of `context` on the chat, ready (registration or chat shown). */
  open(context: BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

/** Builds and serves the page, starts the services and the browser. */
export async function startChatWorld(): Promise<ChatWorld> {
  const outDir = mkdtempSync(join(tmpdir(), 'sealpost-web-test-'));
  await buildWebApp(outDir);
  const page = await serveWebApp(outDir);
  const services = await startLocalServices({ corsOrigins: [page.origin] });
  page.setConfig({ keyServerUrl: services.keyServerUrl, relayUrl: services.relayUrl, trustRoot: toBase64(services.trustRoot) });
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  return {
    browser,
    services,
    page,
    pageErrors,
    async open(context) {
      const tab = await context.newPage();
      tab.on('pageerror', (e) => pageErrors.push(e.message));
      await tab.goto(page.url);
      await tab.locator('[data-testid=register], [data-testid=me], [data-testid=fatal]').first().waitFor();
      return tab;
    },
    async close() {
      await browser.close().catch(() => {});
      await page.close();
      await services.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Registers on a fresh page; resolves with the account id the page shows. */
export async function register(tab: Page, name: string): Promise<string> {
  await tab.getByTestId('register-name').fill(name);
  await tab.getByTestId('register').click();
  const me = tab.getByTestId('me');
  await me.waitFor({ timeout: 30_000 });
  return (await me.getAttribute('data-account'))!;
}

/** `from` adds `to` (by the card text `to` shows) under `name`. */
export async function addContact(from: Page, to: Page, name: string): Promise<void> {
  const card = await to.getByTestId('my-card').inputValue();
  await from.getByTestId('contact-name').fill(name);
  await from.getByTestId('contact-card').fill(card);
  await from.getByTestId('add-contact').click();
  await from.locator(`[data-testid=contact]`, { hasText: name }).waitFor();
}

/** Types and sends `text` in the open conversation. */
export async function send(tab: Page, text: string): Promise<void> {
  await tab.getByTestId('compose').fill(text);
  await tab.getByTestId('send').click();
}

/** The texts of the open conversation's messages, in order. */
export async function messageTexts(tab: Page): Promise<string[]> {
  return tab.getByTestId('message-text').allTextContents();
}

/** Waits until the open conversation shows a message with exactly `text`. */
export async function waitForMessage(tab: Page, text: string, timeout = 20_000): Promise<void> {
  await tab.getByTestId('message-text').filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first().waitFor({ timeout });
}

/** Waits until the page's connection indicator shows `state`. */
export async function waitForConnection(tab: Page, state: string, timeout = 20_000): Promise<void> {
  await tab.locator(`[data-testid=connection][data-state=${state}]`).waitFor({ timeout });
}
