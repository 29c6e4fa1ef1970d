/**
 * Makes the key server's key files:
 *
 *   npx tsx scripts/keyserver-trust-root.ts --out <dir> [--key-id N] [--trust-root <dir>/trust-root.json] [--force]
 *
 * - trust-root.json          the offline trust root (private!) — keep it off the server
 * - trust-root.public.json   the trust root's public key — clients pin it
 * - server-certificate.json  a server certificate (key id N, default 1) signed by the
 *                            trust root, with its private key — deploy to the key server
 * - relay-credential-key.json the Ed25519 key relay credentials are signed with — key
 *                            server; the relay only needs its publicKey
 *
 * With --trust-root an existing root signs a new server certificate (rotation)
 * and no new root is made. Existing files are not overwritten without --force.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { createServerCertificate, parseServerCertificate, serverCertificateIsValid } from '@sealpost/protocol/sealed-sender';
import { generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { readTrustRootFile, writeKeyFile, type TrustRootFile } from '@sealpost/keyserver';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'key-id': { type: 'string', default: '1' },
    'trust-root': { type: 'string' },
    force: { type: 'boolean', default: false },
  },
});
if (values.out === undefined) {
  console.error('usage: keyserver-trust-root.ts --out <dir> [--key-id N] [--trust-root trust-root.json] [--force]');
  process.exit(2);
}
const keyId = Number(values['key-id']);
if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffffffff || keyId === 0xdeadc357) {
  console.error('--key-id must be a uint32 (and not libsignal\'s revoked 0xDEADC357)');
  process.exit(2);
}
const out = values.out;
mkdirSync(out, { recursive: true });

function target(name: string): string {
  const path = join(out, name);
  if (existsSync(path) && !values.force) {
    console.error(`${path} exists; pass --force to overwrite`);
    process.exit(1);
  }
  return path;
}

let root: TrustRootFile;
if (values['trust-root'] !== undefined) {
  root = readTrustRootFile(values['trust-root']);
} else {
  const kp = x25519GenerateKeyPair();
  root = { type: 'sealpost-trust-root', publicKey: Uint8Array.of(0x05, ...kp.publicKey), privateKey: kp.privateKey };
  writeKeyFile(target('trust-root.json'), root);
  writeKeyFile(target('trust-root.public.json'), { type: 'sealpost-trust-root-public', publicKey: root.publicKey });
}

const serverKey = x25519GenerateKeyPair();
const cert = createServerCertificate({ keyId, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: root.privateKey });
// Check what we wrote before anyone relies on it.
if (!serverCertificateIsValid(parseServerCertificate(cert.serialized), root.publicKey)) throw new Error('fresh server certificate does not validate');
writeKeyFile(target('server-certificate.json'), { type: 'sealpost-server-certificate', keyId, certificate: cert.serialized, privateKey: serverKey.privateKey });

const relay = generateRelayCredentialKeyPair();
writeKeyFile(target('relay-credential-key.json'), { type: 'sealpost-relay-credential-key', ...relay });

console.log(
  JSON.stringify(
    {
      trustRootPublicKey: Buffer.from(root.publicKey).toString('base64'),
      serverCertificateKeyId: keyId,
      relayCredentialPublicKey: Buffer.from(relay.publicKey).toString('base64'),
      files: ['trust-root.json', 'trust-root.public.json', 'server-certificate.json', 'relay-credential-key.json']
        .filter((f) => values['trust-root'] === undefined || !f.startsWith('trust-root'))
        .map((f) => join(out, f)),
      note: 'keep trust-root.json offline; deploy server-certificate.json and relay-credential-key.json to the key server',
    },
    null,
    2,
  ),
);
