/**
 * Property tests: whatever bytes arrive, unsealing and SentMessage parsing
 * either succeed or throw our typed `SealpostError` — never anything else —
 * and never modify their input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealpostError } from '../../src/errors.ts';
import { x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { parseV2SentMessage, sealV1, sealV2MultiRecipient, splitV2ForRecipient, unseal, unsealToContent } from '../../src/sealed-sender/index.ts';
import { createSenderCertificate, createServerCertificate } from '../../src/sealed-sender/certificates.ts';

const trustRoot = x25519GenerateKeyPair();
const server = x25519GenerateKeyPair();
const sender = x25519GenerateKeyPair();
const recipient = x25519GenerateKeyPair();
const senderUuid = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const recipientUuid = '0e1b9a2c-6f1e-4b61-9d22-3b2f0b6a7c11';
const cert = createSenderCertificate({
  senderUuid,
  senderDeviceId: 1,
  identityKey: sender.publicKey,
  expires: 4_000_000_000_000,
  serverCertificate: createServerCertificate({ keyId: 1, serverPublicKey: server.publicKey, trustRootPrivateKey: trustRoot.privateKey }),
  serverPrivateKey: server.privateKey,
});
const content = { type: 2 as const, senderCertificate: cert.serialized, contents: new Uint8Array(40).fill(1) };
const v1 = sealV1({ content, senderIdentity: sender, recipientIdentityPublic: recipient.publicKey });
const sent = sealV2MultiRecipient({
  content,
  senderIdentity: sender,
  recipients: [{ serviceId: recipientUuid, identityKey: recipient.publicKey, devices: [{ deviceId: 1, registrationId: 42 }] }],
});
const v2 = splitV2ForRecipient(sent, recipientUuid);

function onlyTyped(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof SealpostError) return true;
    throw e;
  }
}

/** A mutation: flip, truncate, or splice random bytes into a valid message. */
const mutated = (base: Uint8Array) =>
  fc.oneof(
    fc.record({ at: fc.nat(base.length - 1), mask: fc.integer({ min: 1, max: 255 }) }).map(({ at, mask }) => {
      const m = base.slice();
      m[at]! ^= mask;
      return m;
    }),
    fc.nat(base.length - 1).map((n) => base.slice(0, n)),
    fc.tuple(fc.nat(base.length), fc.uint8Array({ maxLength: 40 })).map(([at, junk]) => Uint8Array.from([...base.subarray(0, at), ...junk, ...base.subarray(at)])),
    fc.uint8Array({ maxLength: 300 }),
  );

describe('sealed sender robustness', () => {
  it('valid envelopes unseal with the certificate validated', () => {
    for (const m of [v1, v2]) {
      const u = unseal({ message: m, recipientIdentity: recipient, trustRoots: trustRoot.publicKey, now: Date.now() });
      expect(u.sender.senderUuid).toBe(senderUuid);
      expect(u.content.contents).toEqual(content.contents);
    }
  });

  it('mutated v1/v2 envelopes only ever fail with SealpostError and are never modified', () => {
    for (const base of [v1, v2]) {
      fc.assert(
        fc.property(mutated(base), (m) => {
          const copy = m.slice();
          expect(onlyTyped(() => unsealToContent(m, recipient))).toBe(true);
          expect(m).toEqual(copy);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('mutated SentMessages only ever fail parsing/splitting with SealpostError', () => {
    fc.assert(
      fc.property(mutated(sent), (m) => {
        expect(
          onlyTyped(() => {
            const p = parseV2SentMessage(m);
            for (const r of p.recipients) splitV2ForRecipient(m, r.serviceId, p);
          }),
        ).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
