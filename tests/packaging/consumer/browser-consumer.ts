// Type-checked (tsc --noEmit -p tsconfig.browser.json, never run) inside the
// fresh app: what a browser bundle sees. Bundler resolution with the
// `browser` condition, the DOM library and no @types/node, so a Node type
// (Buffer, NodeJS.*) leaking into the public declarations of the protocol or
// of the client's root and browser entries fails the check.
import { generateIdentityKeyPair, type IdentityKeyPair } from '@sealpost/protocol';
import { sealV1 } from '@sealpost/protocol/sealed-sender';
import { createFingerprint } from '@sealpost/protocol/fingerprint';
import { primitivesBackend, sha256 } from '@sealpost/protocol/primitives';
import { MemoryStore, SealpostClient, type SealpostClientOptions } from '@sealpost/client';
import { openBrowserStore, browserWebSocket, type BrowserStore } from '@sealpost/client/browser';

const identity: IdentityKeyPair = generateIdentityKeyPair();
const digest: Uint8Array = sha256(identity.publicKey);
const options: SealpostClientOptions = {
  store: new MemoryStore(),
  keyServerUrl: 'https://keys.example',
  relayUrl: 'https://relay.example',
  trustRoot: identity.publicKey,
  receive: { mode: 'poll' },
};
const client: Promise<SealpostClient> = SealpostClient.open(options);

const browserStore: Promise<BrowserStore> = crypto.subtle
  .generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  .then((key) => openBrowserStore({ name: 'sealpost', key }));
const browserClient = browserStore.then((store) => SealpostClient.open({ ...options, store, WebSocket: browserWebSocket(), receive: { mode: 'websocket' } }));

export const used = { digest, client, sealV1, createFingerprint, primitivesBackend, browserClient };
