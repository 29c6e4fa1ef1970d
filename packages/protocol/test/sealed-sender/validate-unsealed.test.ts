/**
 * `unseal` in two steps, for callers that read the sender's identity on
 * record asynchronously in between: `unsealToContent` (decrypt and bind the
 * certificate to the sealing key) then `validateUnsealed` (chain, expiry,
 * not-this-device, expected identity). Same answers as `unseal`; a valid
 * certificate for another identity is a `SenderIdentityMismatchError`
 * (still INVALID_CERTIFICATE), and only when the certificate is otherwise valid.
 */
import { describe, expect, it } from 'vitest';
import { x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { InvalidCertificateError, SealpostError } from '../../src/errors.ts';
import {
  SealedContentType,
  SenderIdentityMismatchError,
  ServerCertificateCache,
  createSenderCertificate,
  createServerCertificate,
  sealV1,
  unseal,
  unsealToContent,
  validateUnsealed,
} from '../../src/sealed-sender/index.ts';

const serialized = (raw: Uint8Array) => Uint8Array.of(0x05, ...raw);
function keyPair() {
  const kp = x25519GenerateKeyPair();
  return { privateKey: kp.privateKey, publicKey: serialized(kp.publicKey) };
}

const ACI = '3e1c0b52-77a4-4f0e-9d7c-2b5a6c8d9e01';
const NOW = 1_750_000_000_000;
const root = keyPair();
const server = keyPair();
const sender = keyPair();
const recipient = keyPair();
const stranger = keyPair();
const serverCertificate = createServerCertificate({ keyId: 3, serverPublicKey: server.publicKey, trustRootPrivateKey: root.privateKey });
const certificate = createSenderCertificate({
  senderUuid: ACI,
  senderDeviceId: 4,
  identityKey: sender.publicKey,
  expires: NOW,
  serverCertificate,
  serverPrivateKey: server.privateKey,
});
const message = sealV1({
  content: { type: SealedContentType.Whisper, senderCertificate: certificate.serialized, contents: Uint8Array.of(9, 8, 7) },
  senderIdentity: sender,
  recipientIdentityPublic: recipient.publicKey,
});

function errorOf(f: () => unknown): SealpostError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SealpostError);
    return e as SealpostError;
  }
  throw new Error('expected an error');
}

describe('unsealToContent + validateUnsealed', () => {
  it('accepts what unseal accepts, with the expected identity given as a key or as a function', () => {
    const whole = unseal({ message, recipientIdentity: recipient, trustRoots: root.publicKey, now: NOW, expectedSenderIdentityKey: () => sender.publicKey });
    const opened = unsealToContent(message, recipient);
    expect(opened.sender.senderUuid).toBe(ACI);
    const cache = new ServerCertificateCache();
    for (const expectedSenderIdentityKey of [undefined, sender.publicKey, sender.publicKey.subarray(1), () => sender.publicKey, () => undefined]) {
      const checked = validateUnsealed(opened, { trustRoots: [root.publicKey], now: NOW, expectedSenderIdentityKey, serverCertificateCache: cache });
      expect(checked).toBe(opened);
      expect(checked.usmc).toEqual(whole.usmc);
      expect(checked.sender.identityKey).toEqual(whole.sender.identityKey);
    }
    expect(cache.size).toBe(1);
  });

  it('refuses another identity with SenderIdentityMismatchError, and bad certificates first with plain INVALID_CERTIFICATE', () => {
    const opened = unsealToContent(message, recipient);
    for (const expectedSenderIdentityKey of [stranger.publicKey, () => stranger.publicKey]) {
      const viaUnseal = errorOf(() => unseal({ message, recipientIdentity: recipient, trustRoots: root.publicKey, now: NOW, expectedSenderIdentityKey }));
      const twoStep = errorOf(() => validateUnsealed(opened, { trustRoots: root.publicKey, now: NOW, expectedSenderIdentityKey }));
      for (const e of [viaUnseal, twoStep]) {
        expect(e).toBeInstanceOf(SenderIdentityMismatchError);
        expect(e).toBeInstanceOf(InvalidCertificateError);
        expect(e.code).toBe('INVALID_CERTIFICATE');
        expect((e as SenderIdentityMismatchError).identityKey).toEqual(sender.publicKey);
      }
    }
    const expired = errorOf(() => validateUnsealed(opened, { trustRoots: root.publicKey, now: NOW + 1, expectedSenderIdentityKey: stranger.publicKey }));
    expect(expired).not.toBeInstanceOf(SenderIdentityMismatchError);
    expect(expired.message).toMatch(/expired/);
    const wrongRoot = errorOf(() => validateUnsealed(opened, { trustRoots: stranger.publicKey, now: NOW, expectedSenderIdentityKey: stranger.publicKey }));
    expect(wrongRoot).not.toBeInstanceOf(SenderIdentityMismatchError);
    expect(wrongRoot.code).toBe('INVALID_CERTIFICATE');
    const self = errorOf(() => validateUnsealed(opened, { trustRoots: root.publicKey, now: NOW, local: { uuid: ACI, deviceId: 4 }, expectedSenderIdentityKey: sender.publicKey }));
    expect(self).not.toBeInstanceOf(SenderIdentityMismatchError);
    expect(self.message).toMatch(/this very device/);
    expect(errorOf(() => validateUnsealed(opened, { trustRoots: [], now: NOW })).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => validateUnsealed(opened, { trustRoots: root.publicKey, now: Number.NaN })).code).toBe('INVALID_ARGUMENT');
  });
});
