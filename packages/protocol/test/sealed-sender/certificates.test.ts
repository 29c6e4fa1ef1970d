import { describe, expect, it } from 'vitest';
import { PrivateKey, PublicKey, SenderCertificate as LibSenderCertificate, ServerCertificate as LibServerCertificate } from '@signalapp/libsignal-client';
import { create, toBinary } from '@bufbuild/protobuf';
import { SenderCertificate_CertificateSchema, SenderCertificateSchema } from '../../src/gen/sealed_sender_pb.ts';
import { x25519GenerateKeyPair, xeddsaSign } from '../../src/primitives/index.ts';
import {
  checkSenderCertificate,
  createSenderCertificate,
  createServerCertificate,
  parseSenderCertificate,
  parseServerCertificate,
  senderCertificateIsValid,
  serverCertificateIsValid,
  type ServerCertificate,
} from '../../src/sealed-sender/certificates.ts';

/** Copies into a plain ArrayBuffer-backed array (libsignal's typings want one). */
const ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);
const serialized = (raw: Uint8Array) => Uint8Array.of(0x05, ...raw);

function keyPair() {
  const kp = x25519GenerateKeyPair();
  return { privateKey: kp.privateKey, publicKey: serialized(kp.publicKey) };
}

const ACI = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const NOW = 1_750_000_000_000;

function ourChain() {
  const root = keyPair();
  const server = keyPair();
  const identity = keyPair();
  const serverCert = createServerCertificate({ keyId: 7, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey });
  const senderCert = createSenderCertificate({
    senderUuid: ACI,
    senderDeviceId: 3,
    identityKey: identity.publicKey,
    expires: NOW + 86_400_000,
    serverCertificate: serverCert,
    serverPrivateKey: server.privateKey,
  });
  return { root, server, identity, serverCert, senderCert };
}

describe('our certificates, validated by libsignal-client 0.90', () => {
  it('ServerCertificate.deserialize reads ours field for field', () => {
    const { server, serverCert } = ourChain();
    const lib = LibServerCertificate.deserialize(ab(serverCert.serialized));
    expect(lib.keyId()).toBe(7);
    expect(lib.key().serialize()).toEqual(ab(server.publicKey));
    expect(lib.certificateData()).toEqual(ab(serverCert.certificate));
    expect(lib.signature()).toEqual(ab(serverCert.signature));
  });

  it('SenderCertificate.validate accepts ours against the trust root until expiry, and not after', () => {
    const { root, identity, senderCert } = ourChain();
    const lib = LibSenderCertificate.deserialize(ab(senderCert.serialized));
    expect(lib.senderUuid()).toBe(ACI);
    expect(lib.senderDeviceId()).toBe(3);
    expect(lib.senderE164()).toBeNull();
    expect(lib.expiration()).toBe(NOW + 86_400_000);
    expect(lib.key().serialize()).toEqual(ab(identity.publicKey));
    expect(lib.serverCertificate().keyId()).toBe(7);
    const rootKey = PublicKey.deserialize(ab(root.publicKey));
    expect(lib.validate(rootKey, NOW)).toBe(true);
    expect(lib.validate(rootKey, NOW + 86_400_000)).toBe(true);
    expect(lib.validate(rootKey, NOW + 86_400_001)).toBe(false);
    expect(lib.validate(PublicKey.deserialize(ab(keyPair().publicKey)), NOW)).toBe(false);
  });

  it('libsignal rejects ours when a byte of the signed certificate changes', () => {
    const { root, senderCert } = ourChain();
    const rootKey = PublicKey.deserialize(ab(root.publicKey));
    // Flip a bit inside the identity key (last 32 bytes before the signer are key material).
    const inner = senderCert.certificate.slice();
    const at = inner.indexOf(0x05, 4) + 5;
    inner[at] = inner[at]! ^ 0x01;
    const forged = toBinary(SenderCertificateSchema, create(SenderCertificateSchema, { certificate: inner, signature: senderCert.signature }));
    expect(LibSenderCertificate.deserialize(ab(forged)).validate(rootKey, NOW)).toBe(false);
  });

  it('byte-identical to libsignal for the same inputs (XEdDSA randomness aside)', () => {
    const { root, server, identity, serverCert, senderCert } = ourChain();
    const libServer = LibServerCertificate.new(7, PublicKey.deserialize(ab(server.publicKey)), PrivateKey.deserialize(ab(root.privateKey)));
    expect(libServer.certificateData()).toEqual(ab(serverCert.certificate));
    const libSender = LibSenderCertificate.new(
      ACI,
      null,
      3,
      PublicKey.deserialize(ab(identity.publicKey)),
      NOW + 86_400_000,
      LibServerCertificate.deserialize(ab(serverCert.serialized)),
      PrivateKey.deserialize(ab(server.privateKey)),
    );
    expect(libSender.certificate()).toEqual(ab(senderCert.certificate));
  });
});

describe('libsignal-made certificates, validated by ours', () => {
  function libChain(expiration: number, e164: string | null = null) {
    const root = PrivateKey.generate();
    const server = PrivateKey.generate();
    const identity = PrivateKey.generate().getPublicKey();
    const serverCert = LibServerCertificate.new(0x1234, server.getPublicKey(), root);
    const senderCert = LibSenderCertificate.new(ACI, e164, 5, identity, expiration, serverCert, server);
    return { root, server, identity, serverCert, senderCert };
  }

  it('parses and accepts them, and reads every field', () => {
    const { root, identity, serverCert, senderCert } = libChain(NOW + 1000, '+15555550123');
    const parsedServer = parseServerCertificate(serverCert.serialize());
    expect(parsedServer.keyId).toBe(0x1234);
    expect(serverCertificateIsValid(parsedServer, root.getPublicKey().serialize())).toBe(true);
    const parsed = checkSenderCertificate(senderCert.serialize(), root.getPublicKey().serialize(), NOW);
    expect(parsed).toMatchObject({ senderUuid: ACI, senderDeviceId: 5, senderE164: '+15555550123', expires: NOW + 1000 });
    expect(parsed.identityKey).toEqual(identity.serialize());
    // Raw 32-byte trust root works too, as does a list of roots with the right one last.
    expect(senderCertificateIsValid(parsed, root.getPublicKey().serialize().subarray(1), NOW)).toBe(true);
    expect(senderCertificateIsValid(parsed, [keyPair().publicKey, root.getPublicKey().serialize()], NOW)).toBe(true);
  });

  it('rejects expired, wrong-root and tampered certificates', () => {
    const { root, senderCert } = libChain(NOW);
    const rootKey = root.getPublicKey().serialize();
    const cert = parseSenderCertificate(senderCert.serialize());
    expect(senderCertificateIsValid(cert, rootKey, NOW)).toBe(true);
    expect(senderCertificateIsValid(cert, rootKey, NOW + 1)).toBe(false);
    expect(() => checkSenderCertificate(senderCert.serialize(), rootKey, NOW + 1)).toThrow(/expired/);
    expect(senderCertificateIsValid(cert, keyPair().publicKey, NOW)).toBe(false);
    expect(() => checkSenderCertificate(senderCert.serialize(), keyPair().publicKey, NOW)).toThrow(/not signed by a trusted server/);

    const badSig = cert.signature.slice();
    badSig[10] = badSig[10]! ^ 0x80;
    expect(senderCertificateIsValid({ ...cert, signature: badSig }, rootKey, NOW)).toBe(false);
    const signer = (cert.signer as { embedded: ServerCertificate }).embedded;
    const badServerSig = signer.signature.slice();
    badServerSig[0] = badServerSig[0]! ^ 1;
    expect(senderCertificateIsValid({ ...cert, signer: { embedded: { ...signer, signature: badServerSig } } }, rootKey, NOW)).toBe(false);
    // Every single-byte change of the serialized certificate is either unparseable or invalid.
    const bytes = senderCert.serialize();
    for (let i = 0; i < bytes.length; i += 7) {
      const t = bytes.slice();
      t[i] = t[i]! ^ 0x04;
      let ok = false;
      try {
        ok = senderCertificateIsValid(parseSenderCertificate(t), rootKey, NOW);
      } catch (e) {
        expect((e as { code?: string }).code).toMatch(/INVALID_CERTIFICATE|INVALID_KEY|INVALID_ARGUMENT/);
      }
      expect(ok, `byte ${i}`).toBe(false);
    }
  });

  it('rejects a server certificate whose id is revoked (0xDEADC357), as libsignal does', () => {
    const root = keyPair();
    const server = keyPair();
    const revoked = createServerCertificate({ keyId: 0xdeadc357, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey });
    expect(serverCertificateIsValid(revoked, root.publicKey)).toBe(false);
    const sender = createSenderCertificate({
      senderUuid: ACI,
      senderDeviceId: 1,
      identityKey: keyPair().publicKey,
      expires: NOW,
      serverCertificate: revoked,
      serverPrivateKey: server.privateKey,
    });
    expect(LibSenderCertificate.deserialize(ab(sender.serialized)).validate(PublicKey.deserialize(ab(root.publicKey)), 0)).toBe(false);
    expect(senderCertificateIsValid(sender, root.publicKey, 0)).toBe(false);
  });

  it('accepts a signer given by id only when the validator knows that server certificate', () => {
    const { root, server, serverCert } = ourChain();
    const byId = createSenderCertificate({
      senderUuid: ACI,
      senderDeviceId: 2,
      identityKey: keyPair().publicKey,
      expires: NOW,
      serverCertificate: serverCert,
      serverPrivateKey: server.privateKey,
      embedSigner: false,
    });
    const parsed = parseSenderCertificate(byId.serialized);
    expect(parsed.signer).toEqual({ keyId: 7 });
    expect(senderCertificateIsValid(parsed, root.publicKey, NOW)).toBe(false);
    expect(senderCertificateIsValid(parsed, root.publicKey, NOW, { knownServerCertificates: new Map([[7, serverCert]]) })).toBe(true);
  });

  it('reads the 16-byte uuid form and refuses malformed certificates with INVALID_CERTIFICATE', () => {
    const { server, serverCert } = ourChain();
    const inner = toBinary(
      SenderCertificate_CertificateSchema,
      create(SenderCertificate_CertificateSchema, {
        senderUuid: { case: 'uuidBytes', value: Buffer.from(ACI.replaceAll('-', ''), 'hex') },
        senderDevice: 1,
        expires: BigInt(NOW),
        identityKey: keyPair().publicKey,
        signer: { case: 'certificate', value: serverCert.serialized },
      }),
    );
    const withBytes = toBinary(SenderCertificateSchema, create(SenderCertificateSchema, { certificate: inner, signature: xeddsaSign(server.privateKey, inner) }));
    expect(parseSenderCertificate(withBytes).senderUuid).toBe(ACI);
    expect(LibSenderCertificate.deserialize(ab(withBytes)).senderUuid()).toBe(ACI);

    const noDevice = toBinary(
      SenderCertificateSchema,
      create(SenderCertificateSchema, {
        certificate: toBinary(SenderCertificate_CertificateSchema, create(SenderCertificate_CertificateSchema, { senderUuid: { case: 'uuidString', value: ACI }, expires: 1n })),
        signature: new Uint8Array(64),
      }),
    );
    for (const bad of [new Uint8Array(0), Uint8Array.of(0xff, 0xff), noDevice, serverCert.serialized.subarray(0, 20)]) {
      expect(() => parseSenderCertificate(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CERTIFICATE' }));
    }
    expect(() => parseServerCertificate(Uint8Array.of(0x0a, 0x02, 0x08))).toThrow(expect.objectContaining({ code: 'INVALID_CERTIFICATE' }));
  });
});
