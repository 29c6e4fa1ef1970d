// Type-checked (tsc --noEmit, never run) inside the fresh app that installed
// the packed tarballs: the public entries resolve to dist/*.d.ts and carry
// real types. Each @ts-expect-error fails the check if a type degrades to any.
import { generateCurveKeyPair, generateIdentityKeyPair, type IdentityKeyPair } from '@sealpost/protocol';
import { createServerCertificate, type ServerCertificate } from '@sealpost/protocol/sealed-sender';
import { createFingerprint, DEFAULT_FINGERPRINT_ITERATIONS, type Fingerprint } from '@sealpost/protocol/fingerprint';
import { hkdfSha256, randomBytes, sha256 } from '@sealpost/protocol/primitives';
import { SealpostClient, type ReceivedMessage, type SealpostClientOptions } from '@sealpost/client';
import { SqliteStore } from '@sealpost/client/sqlite';

const identity: IdentityKeyPair = generateIdentityKeyPair();
const trustRoot = generateCurveKeyPair();
const certificate: ServerCertificate = createServerCertificate({
  keyId: 7,
  serverPublicKey: generateCurveKeyPair().publicKey,
  trustRootPrivateKey: trustRoot.privateKey,
});
const keyId: number = certificate.keyId;

const fingerprint: Fingerprint = createFingerprint(2, DEFAULT_FINGERPRINT_ITERATIONS, { identifier: randomBytes(16), identityKey: identity.publicKey }, { identifier: randomBytes(16), identityKey: trustRoot.publicKey });
const digits: string = fingerprint.displayable;
const okm: Uint8Array = hkdfSha256(sha256(randomBytes(32)), new Uint8Array(0), new Uint8Array(0), 42);

// @ts-expect-error: sha256 hashes bytes, not strings
sha256('not bytes');
// @ts-expect-error: the fingerprint's digits are a string
const wrong: number = fingerprint.displayable;

const options: SealpostClientOptions = {
  store: new SqliteStore(':memory:'),
  keyServerUrl: 'http://127.0.0.1:8080',
  relayUrl: 'http://127.0.0.1:8081',
  trustRoot: trustRoot.publicKey,
  receive: { mode: 'manual' },
};
const client: SealpostClient = await SealpostClient.open(options);
const card: string = SealpostClient.encodeContactCard(client.contactCard());
client.on('message', (message: ReceivedMessage) => {
  const text: string | undefined = message.content.text;
  console.log(text, message.sender.account);
});
// @ts-expect-error: a client needs a store
new SealpostClient({ keyServerUrl: 'x', relayUrl: 'y', trustRoot: trustRoot.publicKey });

export const used = { keyId, digits, okm, wrong, card };
