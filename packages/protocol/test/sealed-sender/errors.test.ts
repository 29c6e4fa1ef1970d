/**
 * Sealed-sender failures are real error classes (src/errors.ts), so callers
 * can use `instanceof`, and keep the codes and messages they had as
 * factories: INVALID_MESSAGE / DECRYPTION_FAILED / INVALID_VERSION /
 * INVALID_CERTIFICATE, each message prefixed "sealed sender: ".
 */
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  InvalidCertificateError,
  InvalidMessageError,
  InvalidSealedMessageError,
  InvalidVersionError,
  SealedDecryptionError,
  SealpostError,
  UnknownSealedVersionError,
} from '../../src/errors.ts';
import { x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { createSenderCertificate, createServerCertificate, parseSenderCertificate } from '../../src/sealed-sender/certificates.ts';
import { SealedContentType, sealV1, unseal } from '../../src/sealed-sender/index.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const root = x25519GenerateKeyPair();
const serverKey = x25519GenerateKeyPair();
const server = createServerCertificate({ keyId: 3, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: root.privateKey });
const alice = x25519GenerateKeyPair();
const bob = x25519GenerateKeyPair();
const now = 1_800_000_000_000;
const cert = createSenderCertificate({
  senderUuid: '9d0652a3-dcc3-4d11-975f-74d61598733f',
  senderDeviceId: 1,
  identityKey: alice.publicKey,
  expires: now + 60_000,
  serverCertificate: server,
  serverPrivateKey: serverKey.privateKey,
});
const sealed = sealV1({
  content: { type: SealedContentType.Whisper, senderCertificate: cert.serialized, contents: Uint8Array.of(1, 2, 3) },
  senderIdentity: alice,
  recipientIdentityPublic: bob.publicKey,
});
const open = (message: Uint8Array, at = now) => unseal({ message, recipientIdentity: bob, trustRoots: root.publicKey, now: at });

describe('sealed-sender error classes', () => {
  it('a malformed envelope is an InvalidSealedMessageError (an InvalidMessageError, code INVALID_MESSAGE)', () => {
    const e = thrown(() => open(new Uint8Array(0)));
    expect(e).toBeInstanceOf(InvalidSealedMessageError);
    expect(e).toBeInstanceOf(InvalidMessageError);
    expect(e).toMatchObject({ code: 'INVALID_MESSAGE', message: 'sealed sender: message is empty', name: 'InvalidSealedMessageError' });
  });

  it('an unknown version is an UnknownSealedVersionError carrying the version', () => {
    const e = thrown(() => open(Uint8Array.of(0x71, 0)));
    expect(e).toBeInstanceOf(UnknownSealedVersionError);
    expect(e).toBeInstanceOf(InvalidVersionError);
    expect(e).toMatchObject({ code: 'INVALID_VERSION', version: 7, message: 'sealed sender: unknown version 7' });
  });

  it('a tampered envelope is a SealedDecryptionError (a DecryptionError, code DECRYPTION_FAILED)', () => {
    const tampered = sealed.slice();
    tampered[tampered.length - 1]! ^= 1;
    const e = thrown(() => open(tampered));
    expect(e).toBeInstanceOf(SealedDecryptionError);
    expect(e).toBeInstanceOf(DecryptionError);
    expect((e as SealpostError).code).toBe('DECRYPTION_FAILED');
    expect((e as Error).message).toMatch(/^sealed sender: /);
  });

  it('an expired or malformed certificate is an InvalidCertificateError (code INVALID_CERTIFICATE)', () => {
    expect(open(sealed).sender.senderUuid).toBe('9d0652a3-dcc3-4d11-975f-74d61598733f');
    const expired = thrown(() => open(sealed, now + 60_001));
    expect(expired).toBeInstanceOf(InvalidCertificateError);
    expect(expired).toMatchObject({ code: 'INVALID_CERTIFICATE', message: 'sealed sender: sender certificate expired' });
    const junk = thrown(() => parseSenderCertificate(Uint8Array.of(0xff, 0xff, 0xff)));
    expect(junk).toBeInstanceOf(InvalidCertificateError);
    expect((junk as SealpostError).code).toBe('INVALID_CERTIFICATE');
  });
});
