/**
 * `pnpm run web` (scripts/web.ts): builds and serves the page, starts a key
 * server and relay that allow its origin, prints the URL, and stops cleanly.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, SealpostClient, type KtEvent } from '@sealpost/client';

describe('pnpm run web', () => {
  it('serves the page and its config (with the pinned key-transparency log), with CORS for the page origin on both services, until SIGTERM', async () => {
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
      const config = (await (await fetch(`${url}config.json`)).json()) as {
        keyServerUrl: string;
        relayUrl: string;
        trustRoot: string;
        keyTransparency: { origin: string; logVerifierKey: string; vrfPublicKey: string; witnessPolicy: string };
      };
      expect(Buffer.from(config.trustRoot, 'base64')).toHaveLength(33);
      // Key transparency: the page pins the log (origin, note key, VRF key) and a 2-of-3 witness policy; the log's checkpoint is
      // served to the page's origin, signed by the log and cosigned by at least the quorum.
      const kt = config.keyTransparency;
      expect(kt.logVerifierKey.startsWith(`${kt.origin}+`)).toBe(true);
      expect(Buffer.from(kt.vrfPublicKey, 'base64')).toHaveLength(32);
      expect(kt.witnessPolicy.match(/^witness /gm)).toHaveLength(3);
      expect(kt.witnessPolicy).toMatch(/^group \S+ 2 /m);
      // Two clients pinned with exactly the page's configuration: registering logs their keys, and a first send verifies.
      const pinned = { ...kt, mode: 'enforce' as const };
      const client = () =>
        new SealpostClient({
          store: new MemoryStore(),
          keyServerUrl: config.keyServerUrl,
          relayUrl: config.relayUrl,
          trustRoot: new Uint8Array(Buffer.from(config.trustRoot, 'base64')),
          receive: { mode: 'manual' },
          upkeep: { automatic: false },
          keyTransparency: pinned,
        });
      const [alice, bob] = [client(), client()];
      try {
        const events: KtEvent[] = [];
        alice.on('kt', (e) => events.push(e));
        await alice.register();
        await bob.register();
        await alice.addContact(bob.contactCard());
        await alice.send(bob.address.account, { text: 'hi' });
        expect(events.filter((e) => e.source === 'bundle')).toEqual([expect.objectContaining({ kind: 'verified', account: bob.address.account })]);
      } finally {
        await alice.close();
        await bob.close();
      }
      const checkpoint = await fetch(`${config.keyServerUrl}/kt/checkpoint`, { headers: { origin } });
      expect(checkpoint.status).toBe(200);
      expect(checkpoint.headers.get('access-control-allow-origin')).toBe(origin);
      const note = await checkpoint.text();
      expect(note.split('\n')[0]).toBe(kt.origin);
      expect(note.match(/^— witness\.sealpost\.test\/w\d /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
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
