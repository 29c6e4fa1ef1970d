// Runs inside a fresh app where only the packed @sealpost/* tarballs are
// installed: plain node, no tsx, nothing from the workspace. It starts the key
// server and the relay on 127.0.0.1 (ephemeral ports, temporary SQLite files),
// registers two accounts with @sealpost/client, and round-trips a message both
// ways: to Bob over the relay's WebSocket push (the client's default
// WebSocket, `ws`, loaded from the installed dependencies), back to Alice by
// polling. Prints the marker below and exits 0 when everything worked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCurveKeyPair, generateRelayCredentialKeyPair, relayCredentialVerifier } from '@sealpost/protocol';
import { createServerCertificate } from '@sealpost/protocol/sealed-sender';
import { buildKeyServer } from '@sealpost/keyserver';
import { buildRelay } from '@sealpost/relay';
import { SealpostClient } from '@sealpost/client';
import { SqliteStore } from '@sealpost/client/sqlite';

const MARKER = 'SEALPOST_PACKED_ROUND_TRIP_OK';
const watchdog = setTimeout(() => {
  console.error('round trip timed out');
  process.exit(1);
}, 60_000);
watchdog.unref();

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function urlOf(app) {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

const dir = mkdtempSync(join(tmpdir(), 'sealpost-packed-run-'));
const trustRoot = generateCurveKeyPair();
const serverKey = generateCurveKeyPair();
const serverCertificate = createServerCertificate({ keyId: 1, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: trustRoot.privateKey });
const relayKey = generateRelayCredentialKeyPair();

const keyServer = await buildKeyServer({
  dbPath: join(dir, 'keyserver.db'),
  senderCertificate: { certificate: serverCertificate.serialized, privateKey: serverKey.privateKey },
  relayCredentialKey: relayKey,
  docs: false,
  settings: { registrationRateLimit: false, bundleRateLimit: false },
});
await keyServer.listen({ host: '127.0.0.1', port: 0 });
const keyServerUrl = urlOf(keyServer);
const relay = await buildRelay({
  verifyCredential: relayCredentialVerifier(relayKey.publicKey),
  keyserverUrl: keyServerUrl,
  dbPath: join(dir, 'relay.db'),
  deviceCacheTtlMs: 0,
  log: { level: 'silent' },
});
await relay.listen({ host: '127.0.0.1', port: 0 });
const relayUrl = urlOf(relay);

async function newClient(name, inbox, mode) {
  const client = await SealpostClient.open({
    store: new SqliteStore(join(dir, `${name}.db`)),
    keyServerUrl,
    relayUrl,
    trustRoot: trustRoot.publicKey,
    receive: { mode, backoff: { initialMs: 50, maxMs: 400 } },
    upkeep: { automatic: false },
  });
  client.on('message', (m) => inbox.push(m.content.text));
  return client;
}

const aliceInbox = [];
const bobInbox = [];
const alice = await newClient('alice', aliceInbox, 'manual');
const bob = await newClient('bob', bobInbox, 'websocket');

async function until(condition, what) {
  for (const deadline = Date.now() + 20_000; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
try {
  await alice.register();
  await bob.register();
  const A = alice.address.account;
  const B = bob.address.account;
  // Contact cards travel as text (a QR code in a real app).
  await alice.addContact(SealpostClient.decodeContactCard(SealpostClient.encodeContactCard(bob.contactCard())));
  await bob.addContact(SealpostClient.decodeContactCard(SealpostClient.encodeContactCard(alice.contactCard())));

  await bob.start();
  await alice.send(B, { text: 'hello Bob, from the packed packages' });
  await until(() => bobInbox.length > 0, 'Bob to receive over the WebSocket');
  check(bobInbox.length === 1 && bobInbox[0] === 'hello Bob, from the packed packages', `Bob received ${JSON.stringify(bobInbox)}`);

  await bob.send(A, { text: 'hello Alice, right back' });
  await alice.poll();
  check(aliceInbox.length === 1 && aliceInbox[0] === 'hello Alice, right back', `Alice received ${JSON.stringify(aliceInbox)}`);

  const aliceView = await alice.safetyNumber(B);
  const bobView = await bob.safetyNumber(A);
  check(aliceView.grouped === bobView.grouped, 'both sides compute the same safety number');
} finally {
  await alice.close();
  await bob.close();
  await relay.close();
  await keyServer.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(MARKER);
