import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../src/chromium.ts';

describe.runIf(chromiumAvailable())('machine Chromium (browser suites)', () => {
  it('launches headless with the machine flags and runs WebCrypto on a loopback page (a secure context)', async () => {
    const server = createServer((_req, res) => res.end('<!doctype html><p id="x">hello</p>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const digest = await page.evaluate(async () => {
        const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
        return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
      });
      expect(digest).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(await page.textContent('#x')).toBe('hello');
    } finally {
      await browser.close();
      server.close();
    }
  });
});
