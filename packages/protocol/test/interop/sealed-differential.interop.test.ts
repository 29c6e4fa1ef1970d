/**
 * Differential sealed-sender parsing against libsignal-client 0.90 (issue 11
 * item 13): the relay's SSv2 SentMessage parser must name exactly the
 * recipients, devices and per-recipient payloads libsignal names — for the
 * non-minimal recipient count `81 00` too, where libsignal reads the value
 * and advances by its minimal length — and v1 / v2 envelopes must open in
 * ours exactly when they open in libsignal.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Ls from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { LibsignalPeer, ab } from '@sealpost/devkit/libsignal';
import { parseV2SentMessage, splitV2ForRecipient } from '../../src/sealed-sender/v2-sent-message.ts';
import { unsealToContent } from '../../src/sealed-sender/unseal.ts';
import { type DifferentialCase, formatResult, isTrailingKeyRejection, runDifferential } from '../support/differential.ts';
import { identityOf, libsignalUsmc, makeTrustChain, newPeer, senderCertificateFor } from '../sealed-sender/helpers.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SEED = 0x55e2;

/** The recipient count at offset 1 re-encoded in `width` bytes (1..11). */
function withCountWidth(sent: Uint8Array, width: number): Uint8Array {
  const count = sent[1]!;
  const varint = [count & 0x7f];
  while (varint.length < width) varint.push(0);
  for (let i = 0; i < varint.length - 1; i++) varint[i]! |= 0x80;
  return Uint8Array.from([sent[0]!, ...varint, ...sent.subarray(2)]);
}

async function seeds() {
  const chain = makeTrustChain();
  const alice = newPeer(1);
  const bob1 = newPeer(1, 1111);
  const bob2 = new LibsignalPeer({ name: bob1.name, deviceId: 2, registrationId: 2222, identityPrivateKey: bob1.identity.privateKey.serialize() });
  const carol = newPeer(1, 3333);
  const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
  for (const r of [bob2, carol]) await alice.processBundle(r.address, r.generateBundle({ withOneTimePreKey: false }));
  const usmc = await libsignalUsmc(alice, bob1, cert, 1, new Uint8Array(16).fill(3));
  const sent = await Ls.sealedSenderMultiRecipientEncrypt({
    content: usmc,
    recipients: [bob1.address, bob2.address, carol.address],
    excludedRecipients: [Ls.Aci.fromUuid(randomUUID())],
    identityStore: alice.identityStore,
    sessionStore: alice.sessionStore,
  });
  const parsed = new SealedSenderMultiRecipientMessage(sent);
  const v2 = parsed.messageForRecipient(parsed.recipientsByServiceIdString()[bob1.name]!);
  const v1 = await Ls.sealedSenderEncrypt(usmc, bob1.address, alice.identityStore);
  return { sent, v1, v2, bob: bob1 };
}

function sentSummaryLib(b: Uint8Array): string {
  const m = new SealedSenderMultiRecipientMessage(ab(b));
  const recipients = m.recipientsByServiceIdString();
  const lines = Object.keys(recipients)
    .sort()
    .map((id) => {
      const r = recipients[id]!;
      return `${id}:${r.deviceIds.join(',')}:${r.registrationIds.join(',')}:${hex(m.messageForRecipient(r))}`;
    });
  return `${lines.join(';')}|excluded ${[...m.excludedRecipientServiceIdStrings()].sort().join(',')}`;
}

function sentSummaryOurs(b: Uint8Array): string {
  const p = parseV2SentMessage(b);
  const lines = p.recipients
    .map((r) => r.serviceId)
    .sort()
    .map((id) => {
      const r = p.recipients.find((x) => x.serviceId === id)!;
      return `${id}:${r.devices.map((d) => d.deviceId).join(',')}:${r.devices.map((d) => d.registrationId).join(',')}:${hex(splitV2ForRecipient(b, id, p))}`;
    });
  return `${lines.join(';')}|excluded ${[...p.excluded].sort().join(',')}`;
}

describe('sealed sender against libsignal-client 0.90 over mutated inputs', async () => {
  const s = await seeds();
  const bobStore = s.bob.identityStore;
  const bobIdentity = identityOf(s.bob);
  const envelope = (name: string, seed: Uint8Array, perSeed: number): DifferentialCase => ({
    name,
    seeds: [seed],
    perSeed,
    pbStart: 1,
    libsignal: async (b) => hex((await Ls.sealedSenderDecryptToUsmc(ab(b), bobStore)).serialize()),
    ours: (b) => hex(unsealToContent(b, bobIdentity).usmc),
    explain: (_b, lib, ours) => (isTrailingKeyRejection(ours, lib) ? 'public key with trailing bytes (refused by us)' : undefined),
  });

  it('interop differential: SSv2 SentMessage with a non-minimal recipient count names the same recipients as libsignal', () => {
    // `81 00`-style counts: libsignal reads the value and advances by its minimal length.
    for (let width = 1; width <= 11; width++) {
      const b = withCountWidth(s.sent, width);
      let lib: string;
      try {
        lib = sentSummaryLib(b);
      } catch {
        lib = 'reject';
      }
      let ours: string;
      try {
        ours = sentSummaryOurs(b);
      } catch {
        ours = 'reject';
      }
      expect(ours, `count encoded in ${width} bytes`).toBe(lib);
    }
    // The canonical encoding is accepted by both and names two recipients (Bob with two devices, Carol).
    expect(sentSummaryOurs(s.sent).split(';')).toHaveLength(2);
  });

  const ssv2: DifferentialCase = {
    name: 'SSv2 SentMessage',
    seeds: [s.sent, withCountWidth(s.sent, 2)],
    perSeed: 2500,
    libsignal: sentSummaryLib,
    ours: sentSummaryOurs,
  };
  for (const c of [ssv2, envelope('sealed sender v1 envelope', s.v1, 1500), envelope('sealed sender v2 ReceivedMessage', s.v2, 1500)]) {
    it(`interop differential: ${c.name} is accepted exactly when libsignal accepts it`, async () => {
      const result = await runDifferential(c, SEED);
      console.log(formatResult(result));
      expect(result.crashes).toEqual([]);
      expect(result.unexplained).toEqual([]);
    }, 120_000);
  }
});
