/**
 * The validated-server-certificate cache: same accept/reject answers as no
 * cache for valid, expired, wrong-root, revoked and tampered certificates;
 * only successes are stored (a tampered certificate never hits); bounded
 * (LRU) and clearable; and it really saves the server-certificate XEdDSA
 * verify (counted on the primitives facade the certificates module calls).
 */
import { describe, expect, it, vi } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';

vi.mock('../../src/primitives/index.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/primitives/index.ts')>();
  return { ...actual, xeddsaVerify: vi.fn(actual.xeddsaVerify) };
});

import { ServerCertificate_CertificateSchema, ServerCertificateSchema } from '../../src/gen/sealed_sender_pb.ts';
import { x25519GenerateKeyPair, xeddsaVerify } from '../../src/primitives/index.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  SealedContentType,
  ServerCertificateCache,
  createSenderCertificate,
  createServerCertificate,
  parseServerCertificate,
  sealV1,
  senderCertificateIsValid,
  unseal,
  type SenderCertificate,
  type ServerCertificate,
} from '../../src/sealed-sender/index.ts';

const verify = vi.mocked(xeddsaVerify);
const serialized = (raw: Uint8Array) => Uint8Array.of(0x05, ...raw);
const ACI = '0f8c3d1e-5b6a-4c7d-8e9f-a0b1c2d3e4f5';
const NOW = 1_750_000_000_000;

function keyPair() {
  const kp = x25519GenerateKeyPair();
  return { privateKey: kp.privateKey, publicKey: serialized(kp.publicKey) };
}

const root = keyPair();
const otherRoot = keyPair();
const server = keyPair();
const identity = keyPair();
const serverCert = createServerCertificate({ keyId: 7, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey });

function senderCert(signer: ServerCertificate, expires = NOW + 60_000): SenderCertificate {
  return createSenderCertificate({
    senderUuid: ACI,
    senderDeviceId: 2,
    identityKey: identity.publicKey,
    expires,
    serverCertificate: signer,
    serverPrivateKey: server.privateKey,
  });
}

/** The server certificate with its outer signature's last byte flipped. */
function flippedSignature(cert: ServerCertificate): ServerCertificate {
  const signature = cert.signature.slice();
  signature[63]! ^= 1;
  return parseServerCertificate(toBinary(ServerCertificateSchema, create(ServerCertificateSchema, { certificate: cert.certificate, signature })));
}

/** The server certificate re-encoded with another key id but the original signature. */
function otherSignedBytes(cert: ServerCertificate, keyId: number): ServerCertificate {
  const certificate = toBinary(ServerCertificate_CertificateSchema, create(ServerCertificate_CertificateSchema, { id: keyId, key: cert.key }));
  return parseServerCertificate(toBinary(ServerCertificateSchema, create(ServerCertificateSchema, { certificate, signature: cert.signature })));
}

/** A sender certificate whose own signature is broken (its server certificate is fine). */
function brokenSenderSignature(cert: SenderCertificate): SenderCertificate {
  const signature = cert.signature.slice();
  signature[0]! ^= 1;
  return { ...cert, signature };
}

const revokedServerCert = createServerCertificate({ keyId: 0xdeadc357, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey });

const cases: { name: string; cert: SenderCertificate; roots: Uint8Array[]; now: number; valid: boolean }[] = [
  { name: 'valid', cert: senderCert(serverCert), roots: [root.publicKey], now: NOW, valid: true },
  { name: 'valid, second of two roots', cert: senderCert(serverCert), roots: [otherRoot.publicKey, root.publicKey], now: NOW, valid: true },
  { name: 'expired', cert: senderCert(serverCert, NOW - 1), roots: [root.publicKey], now: NOW, valid: false },
  { name: 'wrong root', cert: senderCert(serverCert), roots: [otherRoot.publicKey], now: NOW, valid: false },
  { name: 'tampered server signature', cert: senderCert(flippedSignature(serverCert)), roots: [root.publicKey], now: NOW, valid: false },
  { name: 'tampered server certificate bytes', cert: senderCert(otherSignedBytes(serverCert, 8)), roots: [root.publicKey], now: NOW, valid: false },
  { name: 'tampered sender signature', cert: brokenSenderSignature(senderCert(serverCert)), roots: [root.publicKey], now: NOW, valid: false },
  { name: 'revoked server certificate', cert: senderCert(revokedServerCert), roots: [root.publicKey], now: NOW, valid: false },
];

describe('ServerCertificateCache', () => {
  it('gives the same answers as no cache, cold and warm, and stores only successful validations', () => {
    for (const c of cases) {
      const uncached = senderCertificateIsValid(c.cert, c.roots, c.now);
      expect(uncached, c.name).toBe(c.valid);
      // Cold cache, twice (the second call may use what the first stored).
      const cold = new ServerCertificateCache({ maxEntries: 4 });
      expect(senderCertificateIsValid(c.cert, c.roots, c.now, { serverCertificateCache: cold }), c.name).toBe(uncached);
      expect(senderCertificateIsValid(c.cert, c.roots, c.now, { serverCertificateCache: cold }), c.name).toBe(uncached);
      const serverOk = c.name.startsWith('valid') || c.name === 'expired' || c.name === 'tampered sender signature';
      expect(cold.size, c.name).toBe(serverOk ? 1 : 0);
      // Warm cache: the genuine server certificate validated against the genuine root beforehand.
      const warm = new ServerCertificateCache();
      expect(senderCertificateIsValid(senderCert(serverCert), root.publicKey, NOW, { serverCertificateCache: warm })).toBe(true);
      for (let i = 0; i < 2; i++) {
        expect(senderCertificateIsValid(c.cert, c.roots, c.now, { serverCertificateCache: warm }), c.name).toBe(uncached);
      }
      expect(warm.size, c.name).toBe(1);
    }
  });

  it('saves the server-certificate verify: 2 XEdDSA verifies uncached, 1 per message once cached', () => {
    const cert = senderCert(serverCert);
    const cache = new ServerCertificateCache();
    const count = (f: () => void) => {
      verify.mockClear();
      f();
      return verify.mock.calls.length;
    };
    expect(count(() => expect(senderCertificateIsValid(cert, root.publicKey, NOW)).toBe(true))).toBe(2);
    expect(count(() => expect(senderCertificateIsValid(cert, root.publicKey, NOW)).toBe(true))).toBe(2);
    expect(count(() => expect(senderCertificateIsValid(cert, root.publicKey, NOW, { serverCertificateCache: cache })).toBe(true))).toBe(2);
    for (let i = 0; i < 3; i++) {
      expect(count(() => expect(senderCertificateIsValid(cert, root.publicKey, NOW, { serverCertificateCache: cache })).toBe(true))).toBe(1);
    }
    // A tampered server certificate misses the cache and is verified (and refused) every time.
    const tampered = senderCert(flippedSignature(serverCert));
    for (let i = 0; i < 2; i++) {
      expect(count(() => expect(senderCertificateIsValid(tampered, root.publicKey, NOW, { serverCertificateCache: cache })).toBe(false))).toBe(1);
    }
    // After clear() the verify is needed again.
    cache.clear();
    expect(cache.size).toBe(0);
    expect(count(() => expect(senderCertificateIsValid(cert, root.publicKey, NOW, { serverCertificateCache: cache })).toBe(true))).toBe(2);
  });

  it('is used by unseal: the second envelope under the same server certificate costs one verify', () => {
    const recipient = keyPair();
    const cert = senderCert(serverCert);
    const seal = () =>
      sealV1({
        content: { type: SealedContentType.Whisper, senderCertificate: cert.serialized, contents: Uint8Array.of(1, 2, 3) },
        senderIdentity: identity,
        recipientIdentityPublic: recipient.publicKey,
      });
    const cache = new ServerCertificateCache({ maxEntries: 1 });
    const open = (message: Uint8Array, trustRoots: Uint8Array) => {
      verify.mockClear();
      const sender = unseal({ message, recipientIdentity: recipient, trustRoots, now: NOW, serverCertificateCache: cache }).sender;
      expect(sender.senderUuid).toBe(ACI);
      return verify.mock.calls.length;
    };
    expect(open(seal(), root.publicKey)).toBe(2);
    expect(open(seal(), root.publicKey)).toBe(1);
    expect(() => open(seal(), otherRoot.publicKey)).toThrow(/not signed by a trusted server/);
    expect(cache.size).toBe(1);
  });

  it('is bounded (least recently used evicted first) and checks its bound', () => {
    const certs = [1, 2, 3].map((keyId) => createServerCertificate({ keyId, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey }));
    const cache = new ServerCertificateCache({ maxEntries: 2 });
    expect(cache.maxEntries).toBe(2);
    cache.add(certs[0]!, root.publicKey);
    cache.add(certs[1]!, root.publicKey);
    expect(cache.has(certs[0]!, root.publicKey)).toBe(true); // certs[1] is now the least recently used
    cache.add(certs[2]!, root.publicKey);
    expect(cache.size).toBe(2);
    expect(cache.has(certs[1]!, root.publicKey)).toBe(false);
    expect(cache.has(certs[0]!, root.publicKey)).toBe(true);
    expect(cache.has(certs[2]!, root.publicKey)).toBe(true);
    // Keyed by the trust root too; raw and 0x05-prefixed forms of one root are the same key.
    expect(cache.has(certs[0]!, otherRoot.publicKey)).toBe(false);
    expect(cache.has(certs[0]!, root.publicKey.subarray(1))).toBe(true);
    expect(new ServerCertificateCache().maxEntries).toBe(16);
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) expect(() => new ServerCertificateCache({ maxEntries })).toThrow(InvalidArgumentError);
  });
});
