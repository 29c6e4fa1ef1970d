/**
 * SealedSenderV2AgreementCache: sealing with it gives byte for byte what
 * sealing without it gives (cold, warm, after eviction, after the sender key
 * changes), and it stays within its bound.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { SealedSenderV2AgreementCache, sealV1, sealV2MultiRecipient, type V2Recipient } from '../../src/sealed-sender/index.ts';
import { x25519GenerateKeyPair } from '../../src/primitives/index.ts';

const recipients: V2Recipient[] = Array.from({ length: 5 }, (_, i) => ({
  serviceId: `0000000${i}-1111-4222-8333-444455556666`,
  identityKey: x25519GenerateKeyPair().publicKey,
  devices: [{ deviceId: 1, registrationId: 100 + i }],
}));
const m = new Uint8Array(32).fill(9);
const content = new Uint8Array(100).fill(3);

describe('SealedSenderV2AgreementCache', () => {
  it('sealing through the cache gives the same bytes, cold and warm, for two senders in turn', () => {
    const cache = new SealedSenderV2AgreementCache({ maxEntries: 3 });
    for (const sender of [x25519GenerateKeyPair(), x25519GenerateKeyPair()]) {
      const plain = sealV2MultiRecipient({ content, senderIdentity: sender, recipients, m });
      for (let round = 0; round < 3; round++) {
        expect(sealV2MultiRecipient({ content, senderIdentity: sender, recipients, m, agreementCache: cache })).toEqual(plain);
        expect(cache.size).toBe(3);
      }
    }
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new SealedSenderV2AgreementCache({ maxEntries: 0 })).toThrow(InvalidArgumentError);
    expect(() => new SealedSenderV2AgreementCache({ maxEntries: 1.5 })).toThrow(InvalidArgumentError);
  });
});

describe('SealedSenderV2AgreementCache with sealed sender v1', () => {
  it('sealV1 through the cache gives the same bytes, and warms it for a v2 send', () => {
    const sender = x25519GenerateKeyPair();
    const ephemeralKeyPair = x25519GenerateKeyPair();
    const cache = new SealedSenderV2AgreementCache();
    for (const r of recipients) {
      const input = { content, senderIdentity: sender, recipientIdentityPublic: r.identityKey, ephemeralKeyPair };
      expect(sealV1({ ...input, agreementCache: cache })).toEqual(sealV1(input));
    }
    expect(cache.size).toBe(recipients.length);
    expect(sealV2MultiRecipient({ content, senderIdentity: sender, recipients, m, agreementCache: cache })).toEqual(
      sealV2MultiRecipient({ content, senderIdentity: sender, recipients, m }),
    );
    expect(cache.size).toBe(recipients.length);
  });
});
