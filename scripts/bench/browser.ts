/**
 * `pnpm run bench:browser`: Sealpost against @privacyresearch/libsignal-
 * protocol-typescript (the pure-TS library web apps use) in Chromium, in one
 * run — symmetric ratchet and DH ping-pong messages/s and session setups/s,
 * interleaved rounds, medians — with Sealpost's own figures under Node
 * beside them for context. A script, not a test: the numbers go into
 * docs/benchmarks.md ("Issue 17: browser").
 *
 * The page (browser/page.ts) is bundled by Vite and served on 127.0.0.1 (a
 * secure context); Chromium is the machine's (`@sealpost/devkit/chromium`).
 * Knobs: BENCH_ROUNDS, BENCH_ROUND_MS (timing.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { chromiumAvailable, chromiumPath, launchChromium } from '@sealpost/devkit/chromium';
import type { PageBenchResult } from './browser/page.ts';
import { BROWSER_ROWS } from './browser/rows.ts';
import { sealpost } from './ours.ts';
import { machineDescription } from './report.ts';
import { settings, throughputInterleaved, type Figure, type Runner } from './timing.ts';

const OURS = 'sealpost';
const OURS_NO_SPQR = 'sealpost:no-spqr';
const PEER = 'libsignal-protocol-ts';
const root = fileURLToPath(new URL('./browser/', import.meta.url));

async function inChromium(): Promise<{ result: PageBenchResult; version: string }> {
  const outDir = mkdtempSync(join(tmpdir(), 'sealpost-bench-browser-'));
  try {
    await build({ root, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
    const server = await preview({ root, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
    const address = server.httpServer.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`http://127.0.0.1:${address.port}/`);
      await page.waitForFunction('typeof globalThis.sealpostBench === "function"', undefined, { timeout: 30_000 });
      const options = { rounds: settings.rounds, roundMs: settings.roundMs };
      const result = (await page.evaluate(`globalThis.sealpostBench(${JSON.stringify(options)})`)) as PageBenchResult;
      if (pageErrors.length > 0) result.errors.push(...pageErrors);
      return { result, version: browser.version() };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function inNode(): Promise<Map<string, Figure | null>> {
  const out = new Map<string, Figure | null>();
  for (const row of BROWSER_ROWS) {
    const runners = new Map<string, Runner>([[OURS, await row.runner(sealpost())]]);
    const figures = await throughputInterleaved(runners, (_name, e) => console.error(`node ${row.label}: ${String(e)}`));
    out.set(row.label, figures.get(OURS) ?? null);
  }
  return out;
}

const fmt = (f: Figure | null | undefined): string => (f == null ? 'failed' : Math.round(f.median).toLocaleString('en-US'));
const spread = (f: Figure | null | undefined): string => (f == null ? '–' : `${Math.round(f.min).toLocaleString('en-US')} – ${Math.round(f.max).toLocaleString('en-US')}`);

if (!chromiumAvailable()) {
  console.error(`No Chromium at ${chromiumPath()} (set SEALPOST_CHROMIUM).`);
  process.exit(2);
}
console.error(`rounds ${settings.rounds} × ~${settings.roundMs} ms per figure; Chromium first, then Node…`);
const { result, version } = await inChromium();
const node = await inNode();

const lines: string[] = [];
lines.push(...machineDescription().map((l) => `- ${l}`), `- chromium: ${version} (headless, ${chromiumPath()}), primitives backend in the page: ${result.backend}`, '');
const ratio = (a: Figure | null | undefined, b: Figure | null | undefined): string => (a != null && b != null ? `${(a.median / b.median).toFixed(1)}×` : '–');
lines.push(`| measurement | unit | ${OURS} (Chromium) | ${OURS_NO_SPQR} (Chromium) | ${PEER} (Chromium) | ${OURS} vs ${PEER} | ${OURS_NO_SPQR} vs ${PEER} | ${OURS} (Node) |`);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
for (const row of result.rows) {
  const [ours, plain, peer] = [row.results[OURS], row.results[OURS_NO_SPQR], row.results[PEER]];
  lines.push(`| ${row.label} | ${row.unit} | ${fmt(ours)} | ${fmt(plain)} | ${fmt(peer)} | ${ratio(ours, peer)} | ${ratio(plain, peer)} | ${fmt(node.get(row.label))} |`);
}
lines.push('', 'Spread over rounds (min – max):', '', `| measurement | ${OURS} (Chromium) | ${OURS_NO_SPQR} (Chromium) | ${PEER} (Chromium) | ${OURS} (Node) |`, '|---|---:|---:|---:|---:|');
for (const row of result.rows) {
  lines.push(`| ${row.label} | ${spread(row.results[OURS])} | ${spread(row.results[OURS_NO_SPQR])} | ${spread(row.results[PEER])} | ${spread(node.get(row.label))} |`);
}
lines.push('', ...result.implementations.map((i) => `- **${i.name}**: ${i.description}`));
const ratchetTargets = result.rows
  .filter((r) => BROWSER_ROWS.find((b) => b.label === r.label)?.ratchet === true)
  .map((r) => {
    const ours = r.results[OURS];
    const peer = r.results[PEER];
    return ours != null && peer != null && ours.median / peer.median >= 10;
  });
lines.push('', `Target ≥ 10× (${OURS}, SPQR on, vs ${PEER}) on the ratchet rows: ${ratchetTargets.every(Boolean) ? 'met' : 'not met'} (${ratchetTargets.filter(Boolean).length} of ${ratchetTargets.length} rows).`);
if (result.errors.length > 0) lines.push('', 'Errors:', ...result.errors.map((e) => `- ${e}`));
console.log(lines.join('\n'));
