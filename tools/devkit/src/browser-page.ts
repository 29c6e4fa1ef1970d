/**
 * `@sealpost/devkit/browser-page`: browser test pages. `bundleForBrowser`
 * bundles a TypeScript entry with esbuild as a browser would get it (the
 * `browser` condition, so the protocol's web primitives; any Node built-in
 * import fails the build — no polyfills), and `servePage` serves the bundle
 * from http://127.0.0.1 (a secure context: WebCrypto, Web Locks) with a
 * blank HTML page that loads it as a module. `startBrowserWorld` does both
 * and launches Chromium: one per test file.
 *
 * esbuild (0.28, Node ≥ 18; already in the tree under Vite) rather than Vite
 * itself: one call bundles one entry in well under a second, with no config
 * file, which keeps each browser test file's set-up short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium } from './chromium.ts';

export interface BrowserBundle {
  /** The bundle file. */
  readonly file: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The source files bundled (paths relative to the working directory). */
  readonly inputs: readonly string[];
}

/** Bundles `entry` (ESM, minified) into `outDir/<name>.js`. Rejects on any Node built-in import. */
export async function bundleForBrowser(entry: string, outDir: string, name = 'bundle', options: { minify?: boolean } = {}): Promise<BrowserBundle> {
  const file = join(outDir, `${name}.js`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['browser', 'sealpost-web'],
    minify: options.minify ?? true,
    logLevel: 'silent',
    metafile: true,
    // Vitest's environment leaks into the bundle otherwise.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const out = result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith(`${name}.js`))!]!;
  return { file, bytes: out.bytes, inputs: Object.keys(result.metafile.inputs) };
}

export interface ServedPage {
  /** http://127.0.0.1:PORT/ — the page loading the bundle. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `files` (name → path on disk) on 127.0.0.1; `/` is a page loading `/<script>` as a module. */
export async function servePage(files: Record<string, string>, script: string, headers: Record<string, string> = {}): Promise<ServedPage> {
  const html = `<!doctype html><meta charset="utf-8"><title>sealpost test</title><script type="module" src="/${script}"></script>`;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const done = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    if (path === '/') return done(200, 'text/html; charset=utf-8', html);
    const file = files[path.slice(1)];
    if (file === undefined) return done(404, 'text/plain', 'not found');
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.json') ? 'application/json' : 'text/javascript';
    readFile(file).then(
      (body) => done(200, type, body),
      () => done(404, 'text/plain', 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

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

/**
 * Bundles `entry` once into a temp dir, serves it, and launches Chromium.
 * The page script signals it started by setting `window.sealpostReady = true`.
 */
export async function startBrowserWorld(entry: string, options: { extraFiles?: Record<string, string>; chromiumArgs?: string[] } = {}): Promise<BrowserWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-browser-'));
  const bundle = await bundleForBrowser(entry, dir, 'page', { minify: false });
  const page = await servePage({ 'page.js': bundle.file, ...options.extraFiles }, 'page.js');
  const browser = await launchChromium({ args: options.chromiumArgs ?? [] });
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
