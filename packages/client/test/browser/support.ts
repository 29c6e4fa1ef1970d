/**
 * One Chromium per browser test file: the page script bundled once into a
 * temp dir (browser conditions, esbuild), served from http://127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@sealpost/devkit/chromium';
import { bundleForBrowser, servePage, type BrowserBundle, type ServedPage } from '@sealpost/devkit/browser-page';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
export type Page = Awaited<ReturnType<Browser['newPage']>>;

export interface BrowserWorld {
  readonly browser: Browser;
  readonly page: ServedPage;
  readonly bundle: BrowserBundle;
  /** A fresh page (in a new context unless one is given) with the script loaded. */
  open(context?: Awaited<ReturnType<Browser['newContext']>>): Promise<Page>;
  close(): Promise<void>;
}

/** Waits until the page script set `window.sealpostReady`. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { sealpostReady?: boolean }).sealpostReady === true, undefined, { timeout: 30_000 });
}

export async function startBrowserWorld(entry: string, extraFiles: Record<string, string> = {}): Promise<BrowserWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-browser-'));
  const bundle = await bundleForBrowser(entry, dir, 'page', { minify: false });
  const page = await servePage({ 'page.js': bundle.file, ...extraFiles }, 'page.js');
  const browser = await launchChromium();
  return {
    browser,
    page,
    bundle,
    async open(context) {
      const p = await (context ?? (await browser.newContext())).newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(String(e)));
      await p.goto(page.url);
      await ready(p).catch((e: unknown) => {
        throw new Error(`page script did not start: ${errors.join('; ') || String(e)}`);
      });
      return p;
    },
    async close() {
      await browser.close();
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
