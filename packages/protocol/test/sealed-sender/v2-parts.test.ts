/**
 * The two parts of a recipient's ReceivedMessage that a relay storing the
 * shared part once keeps apart: `v2RecipientHeader` (0x22 ‖ C ‖ AT, per
 * recipient) and `v2SharedPayload` (E.pub ‖ ciphertext, the same for all);
 * joined they are exactly `splitV2ForRecipient`, and both are copies.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { parseV2SentMessage, sealV2MultiRecipient, splitV2ForRecipient, v2RecipientHeader, v2SharedPayload } from '../../src/sealed-sender/index.ts';

describe('sealed sender v2 ReceivedMessage parts', () => {
  it('header ‖ shared = splitV2ForRecipient for every recipient; copies, not views', () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const sent = sealV2MultiRecipient({
      content: { type: 7, senderCertificate: new Uint8Array(50).fill(1), contents: new Uint8Array(200).fill(2) },
      senderIdentity: x25519GenerateKeyPair(),
      recipients: ids.map((serviceId, i) => ({ serviceId, identityKey: x25519GenerateKeyPair().publicKey, devices: [{ deviceId: 1, registrationId: 10 + i }, { deviceId: 2, registrationId: 20 + i }] })),
    });
    const parsed = parseV2SentMessage(sent);
    const shared = v2SharedPayload(sent, parsed);
    expect(shared.length).toBe(sent.length - parsed.sharedOffset);
    const headers = parsed.recipients.map((r) => v2RecipientHeader(sent, r));
    parsed.recipients.forEach((r, i) => {
      expect(headers[i]!.length).toBe(49);
      expect(headers[i]![0]).toBe(0x22);
      expect(Buffer.concat([headers[i]!, shared])).toEqual(Buffer.from(splitV2ForRecipient(sent, r.serviceId, parsed)));
    });
    expect(new Set(headers.map((h) => Buffer.from(h).toString('hex'))).size).toBe(3);
    const before = [Buffer.from(headers[0]!), Buffer.from(shared)];
    sent.fill(0);
    expect([Buffer.from(headers[0]!), Buffer.from(shared)]).toEqual(before);
  });
});
