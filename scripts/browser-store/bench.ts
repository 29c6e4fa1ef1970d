/**
 * `pnpm run bench:browser-store`: measures, in Chromium, the two candidate
 * browser stores for the client (docs/browser-store.md has the numbers and
 * the decision): IndexedDB (`openBrowserStore`; plain and encrypted, strict
 * and relaxed durability) against SQLite-wasm 3.41.2 on OPFS in a worker
 * (one round trip per store call, and the whole step batched in one message
 * as a lower bound). One ratchet-step transaction = load the session record,
 * store the next one, add the message, mark its envelope processed; the
 * records are real serialized session records of a PQXDH session.
 * Also: open times and the bytes each adds to the app (gzipped).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { bundleForBrowser, servePage } from '@sealpost/devkit/browser-page';
import { launchChromium } from '@sealpost/devkit/chromium';
import { OursEndpoint } from '@sealpost/devkit/ours';

const STEPS = Number(process.env.BENCH_STEPS ?? 300);
const here = import.meta.dirname;
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number) => n.toFixed(2);

/** Serialized session records of a real session, after successive exchanges. */
async function sessionRecords(): Promise<Uint8Array[]> {
  const a = new OursEndpoint({ name: 'alice', registrationId: 1 });
  const b = new OursEndpoint({ name: 'bob', registrationId: 2 });
  await a.startSession(b.id, await b.bundle({ withOneTimePreKey: true }));
  const records: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) {
    await b.decrypt(a.id, await a.encrypt(b.id, new TextEncoder().encode(`m${i}`)));
    await a.decrypt(b.id, await b.encrypt(a.id, new TextEncoder().encode(`r${i}`)));
    records.push(b.sessions.get('alice.1')!.slice());
  }
  return records;
}

const dir = mkdtempSync(join(tmpdir(), 'sealpost-store-bench-'));
try {
  const sqliteDir = join(dirname(createRequire(import.meta.url).resolve('@sqlite.org/sqlite-wasm/package.json')), 'sqlite-wasm', 'jswasm');
  const page = await bundleForBrowser(join(here, 'page.ts'), dir, 'page');
  const client = await bundleForBrowser(join(here, '..', '..', 'packages', 'client', 'src', 'browser.ts'), dir, 'client');
  const storeOnlyEntry = join(dir, 'store-only.ts');
  writeFileSync(storeOnlyEntry, `export { openBrowserStore } from ${JSON.stringify(join(here, '..', '..', 'packages', 'client', 'src', 'store', 'browser', 'open.ts'))};\n`);
  const storeOnly = await bundleForBrowser(storeOnlyEntry, dir, 'store-only');
  const sqliteJs = readFileSync(join(sqliteDir, 'sqlite3.mjs'));
  const sqliteWasm = readFileSync(join(sqliteDir, 'sqlite3.wasm'));
  const sqliteProxy = readFileSync(join(sqliteDir, 'sqlite3-opfs-async-proxy.js'));

  const served = await servePage(
    {
      'page.js': page.file,
      'sqlite-worker.js': join(here, 'sqlite-worker.js'),
      'sqlite3.mjs': join(sqliteDir, 'sqlite3.mjs'),
      'sqlite3.wasm': join(sqliteDir, 'sqlite3.wasm'),
      'sqlite3-opfs-async-proxy.js': join(sqliteDir, 'sqlite3-opfs-async-proxy.js'),
    },
    'page.js',
    // OPFS in SQLite-wasm 3.41 needs SharedArrayBuffer: cross-origin isolation.
    { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  );
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(served.url);
    await tab.waitForFunction(() => window.sealpostReady === true);
    const records = await sessionRecords();
    const content = new Uint8Array(160).fill(1);
    const isolated = await tab.evaluate(() => window.bench.isolated);
    const idbRuns = [];
    for (const [encrypted, durability] of [[false, 'strict'], [false, 'relaxed'], [true, 'strict'], [true, 'relaxed']] as const) {
      idbRuns.push({ encrypted, durability, ...(await tab.evaluate((o) => window.bench.idb(o), { records, content, steps: STEPS, encrypted, durability })) });
    }
    const sqlite = await tab.evaluate((o) => window.bench.sqlite(o), { records, content, steps: STEPS });
    const chromiumVersion = browser.version();

    const lines = [
      `Chromium ${chromiumVersion} headless, ${STEPS} steps each, session record ${records.at(-1)!.length} bytes, content 160 bytes, cross-origin isolated: ${isolated}`,
      '',
      '| store | one ratchet-step transaction, median ms | p95 ms | open (existing) ms |',
      '| --- | ---: | ---: | ---: |',
      ...idbRuns.map((r) => `| IndexedDB${r.encrypted ? ' + AES-GCM at rest' : ''}, ${r.durability} | ${ms(r.step.median)} | ${ms(r.step.p95)} | ${ms(r.reopenMs)} |`),
      `| SQLite-wasm OPFS worker, one round trip per call | ${ms(sqlite.stepPerCall.median)} | ${ms(sqlite.stepPerCall.p95)} | ${ms(sqlite.startMs)} (worker start + wasm init + open; init+open alone ${ms(sqlite.initAndOpenMs!)}) |`,
      `| SQLite-wasm OPFS worker, step batched in one message (lower bound) | ${ms(sqlite.stepBatched.median)} | ${ms(sqlite.stepBatched.p95)} | — |`,
      '',
      '| bytes added to the app | minified | gzipped |',
      '| --- | ---: | ---: |',
      `| whole client browser entry (IndexedDB store included) | ${kb(client.bytes)} | ${kb(gz(readFileSync(client.file)))} |`,
      `| IndexedDB store alone (openBrowserStore + idb) | ${kb(storeOnly.bytes)} | ${kb(gz(readFileSync(storeOnly.file)))} |`,
      `| SQLite-wasm: sqlite3.mjs + sqlite3.wasm + OPFS proxy | ${kb(sqliteJs.length + sqliteWasm.length + sqliteProxy.length)} | ${kb(gz(sqliteJs) + gz(sqliteWasm) + gz(sqliteProxy))} |`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
    await served.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
