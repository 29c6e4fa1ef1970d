/**
 * The browser entry's bundle budget: `@sealpost/client/browser` bundled for
 * browsers (esbuild, minified, the `browser` condition — so the protocol's
 * web primitives) is at most 250 KB gzipped, and the build fails on any Node
 * built-in import (nothing is polyfilled).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '@sealpost/devkit/browser-page';

const BUDGET_GZIP_BYTES = 250 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'sealpost-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('browser bundle', () => {
  it('the browser entry bundles without Node built-ins, with the web primitives, within 250 KB gzipped', async () => {
    const bundle = await bundleForBrowser(join(import.meta.dirname, '..', '..', 'src', 'browser.ts'), dir, 'client');
    const code = readFileSync(bundle.file);
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`browser bundle: ${(gzipped / 1024).toFixed(1)} KB gzipped (${(bundle.bytes / 1024).toFixed(1)} KB minified)`);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    const text = code.toString('utf8');
    // The protocol's web primitives are in, its node backend is not.
    expect(bundle.inputs.some((f) => f.endsWith('protocol/src/primitives/web/index.ts'))).toBe(true);
    expect(bundle.inputs.filter((f) => f.includes('/primitives/node/'))).toEqual([]);
    expect(bundle.inputs.some((f) => f.includes('node_modules/idb/'))).toBe(true);
    expect(text).not.toMatch(/["']node:[a-z_/]+["']/);
    expect(text).not.toContain('better-sqlite3');
  });

  it('a Node built-in import fails the browser build', async () => {
    const entry = join(dir, 'uses-node.ts');
    writeFileSync(entry, "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    await expect(bundleForBrowser(entry, dir, 'uses-node')).rejects.toThrow(/node:fs/);
    const bare = join(dir, 'uses-bare.ts');
    writeFileSync(bare, "import { createHash } from 'crypto';\nexport const h = createHash;\n");
    await expect(bundleForBrowser(bare, dir, 'uses-bare')).rejects.toThrow(/crypto/);
  });
});
