/**
 * `pnpm run web`: the browser chat on this machine. Builds apps/web with
 * Vite, serves it on http://127.0.0.1:<port> (a secure context for
 * WebCrypto), starts a local key server and relay (tools/devkit, in-memory
 * databases, CORS and the relay's WebSocket Origin check allowing the page)
 * with key transparency on (three witnesses, 2 of 3; the page pins the log
 * and the policy and shows a KT status per conversation),
 * and prints the URL. Open it in two browser profiles (or a normal and a
 * private window) to chat with yourself. Ctrl-C stops everything.
 *
 *   pnpm run web [-- --port 5173]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toBase64 } from '@sealpost/protocol/primitives';
import { buildWebApp, serveWebApp } from '@sealpost/web/server';
import { startWallClockKt } from './demo-kt.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a TCP port');
  process.exit(2);
}

const outDir = mkdtempSync(join(tmpdir(), 'sealpost-web-'));
console.log('Building the page…');
await buildWebApp(outDir);
const page = await serveWebApp(outDir, { port });
const localhost = page.origin.replace('127.0.0.1', 'localhost');
// Key transparency on (scripts/demo-kt.ts): the key server logs every identity key, three witnesses cosign (2 of 3).
const kt = await startWallClockKt({ corsOrigins: [page.origin, localhost] });
const services = kt.services;
page.setConfig({
  keyServerUrl: services.keyServerUrl,
  relayUrl: services.relayUrl,
  trustRoot: toBase64(services.trustRoot),
  // The page pins the log and the witness policy (mode enforce); a sealed sender's key is checked within a second here.
  keyTransparency: { origin: kt.pinned.origin, logVerifierKey: kt.pinned.logVerifierKey, vrfPublicKey: String(kt.pinned.vrfPublicKey), witnessPolicy: kt.pinned.witnessPolicy, monitorIntervalMs: kt.monitorIntervalMs, backgroundDelayMs: 1000 },
});

console.log(`Key server ${services.keyServerUrl}, relay ${services.relayUrl} (in memory: accounts last until Ctrl-C).`);
console.log(`Key transparency: log ${kt.settings.origin}, witnesses ${kt.witnesses.urls.join(' ')} (quorum ${kt.settings.witnessQuorum}).`);
console.log(`\nSealpost web chat: ${page.url}\n(open it in two browser profiles, exchange contact cards, chat)`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await page.close();
  await kt.close();
  rmSync(outDir, { recursive: true, force: true });
  process.exit(0);
};
// Vite's preview server installs its own SIGTERM listener (close the page server, exit 143): ours closes everything.
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
