/**
 * `npx tsx scripts/bench/conversations-browser.ts [messages=10000]`: the
 * measurements of conversations.ts on the browser store as it runs in a
 * browser — KvStore on IndexedDB (plain, no at-rest cipher) in Chromium, the
 * whole run inside the page. Prints one Markdown row (with the header).
 */
import { join } from 'node:path';
import { startBrowserWorld } from '@sealpost/devkit/browser-page';
import { figuresHeader, figuresRow } from './conversations-core.ts';

const N = Number(process.argv[2] ?? 10_000);
const world = await startBrowserWorld(join(import.meta.dirname, 'conversations-page.ts'));
try {
  const page = await world.open();
  const figures = await page.evaluate((n) => window.conversationsBench.run(n), N);
  console.log(figuresHeader(N));
  console.log(figuresRow('KvStore on IndexedDB, Chromium (token index)', figures));
} finally {
  await world.close();
}
