/**
 * `pnpm run web` (scripts/web.ts): builds and serves the page, starts a key
 * server and relay that allow its origin, prints the URL, and stops cleanly.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('pnpm run web', () => {
  it('serves the page and its config, with CORS for the page origin on both services, until SIGTERM', async () => {
    const root = join(import.meta.dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'web.ts'), '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed in 90 s:\n${out}\n${err}`)), 90_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const found = /Sealpost web chat: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (found !== null) {
            clearTimeout(timer);
            resolve(found[1]!);
          }
        });
      });
      const origin = new URL(url).origin;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
      const config = (await (await fetch(`${url}config.json`)).json()) as { keyServerUrl: string; relayUrl: string; trustRoot: string };
      expect(Buffer.from(config.trustRoot, 'base64')).toHaveLength(33);
      for (const service of [config.keyServerUrl, config.relayUrl]) {
        const r = await fetch(`${service}/health`, { headers: { origin } });
        expect(r.headers.get('access-control-allow-origin')).toBe(origin);
        const other = await fetch(`${service}/health`, { headers: { origin: 'http://127.0.0.1:1' } });
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);
  });
});
