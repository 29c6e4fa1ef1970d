/** Helpers of the group tests: registered clients that know each other's contact cards, polling until quiet, collected messages and events. */
import { deriveAccessKey } from '@sealpost/protocol';
import { createSenderCertificate, sealV1, splitV2ForRecipient, unsealToContent } from '@sealpost/protocol/sealed-sender';
import type { LocalServices } from '@sealpost/devkit/services';
import type { ReceivedMessage, SealpostClient } from '../../src/client.ts';
import { encodeContent, type MessageContent } from '../../src/content.ts';
import { padPlaintext } from '../../src/padding.ts';
import { sessionAddresses, sessionOps } from '../../src/session-ops.ts';
import type { GroupChangeEvent } from '../../src/groups/types.ts';

/** Client options of the group tests: small prekey batches (registration is most of a test's time otherwise), no upkeep timer. */
export const GROUP_TEST_CLIENT = { upkeep: { automatic: false, batchSize: 8, minimumCount: 2 } } as const;

/** Registers each client and gives every one the others' contact cards. */
export async function registerAll(clients: SealpostClient[]): Promise<void> {
  for (const c of clients) await c.register();
  for (const a of clients) for (const b of clients) if (a !== b && a.address.account !== b.address.account) await a.addContact(b.contactCard());
}

/** Polls every client, round after round, until a round handles nothing (at most `rounds`). */
export async function pollAll(clients: SealpostClient[], rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    let handled = 0;
    for (const c of clients) handled += await c.poll();
    if (handled === 0) return;
  }
}

/** The messages a client receives from now on. */
export function collect(client: SealpostClient): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  client.on('message', (m) => out.push(m));
  return out;
}

/** The group changes a client applies from now on. */
export function collectChanges(client: SealpostClient): GroupChangeEvent[] {
  const out: GroupChangeEvent[] = [];
  client.on('groupChanged', (e) => out.push(e));
  return out;
}

/** Takes the client's queued envelopes off the relay without processing them (a relay that drops them). Returns how many. */
export async function dropQueued(client: SealpostClient): Promise<number> {
  const { envelopes } = await client.relay.fetch();
  await client.relay.acknowledge(envelopes.map((e) => e.id));
  return envelopes.length;
}

/** Texts of group messages among `messages`. */
export const texts = (messages: ReceivedMessage[], group?: string) => messages.filter((m) => group === undefined || m.group === group).map((m) => m.content.text);

/** Records every sealed sender v2 SentMessage `client` hands the relay (what the relay sees). */
export function captureSentMessages(client: SealpostClient): Uint8Array[] {
  const out: Uint8Array[] = [];
  const send = client.relay.sendMultiRecipient.bind(client.relay);
  client.relay.sendMultiRecipient = async (message, keys) => {
    out.push(message);
    return send(message, keys);
  };
  return out;
}

/** The sender-key message inside a SentMessage, as `recipient` unseals its copy. */
export async function senderKeyMessageFor(recipient: SealpostClient, sent: Uint8Array): Promise<Uint8Array> {
  const local = await recipient.store.identities.localAccount();
  const received = splitV2ForRecipient(sent, recipient.address.account);
  return unsealToContent(received, { privateKey: local!.identityPrivateKey, publicKey: local!.identityPublicKey }).content.contents;
}

/**
 * Sends `content` to every device of `to` as `from` (its real account and
 * identity key, a sender certificate minted with the key server's key as an
 * insider could, a fresh session from `to`'s bundle): lets a test deliver
 * group content that `from`'s own client would never send.
 */
export async function sendAs(services: LocalServices, from: SealpostClient, to: SealpostClient, content: Omit<MessageContent, 'version'>): Promise<void> {
  const local = await from.store.identities.localAccount();
  const identity = { privateKey: local!.identityPrivateKey, publicKey: local!.identityPublicKey };
  const keys = { identity, registrationId: local!.registrationId };
  const now = Date.now();
  const certificate = createSenderCertificate({
    senderUuid: from.address.account,
    senderDeviceId: from.address.device,
    identityKey: identity.publicKey,
    expires: now + 3600_000,
    serverCertificate: services.serverCertificate,
    serverPrivateKey: services.serverPrivateKey,
  });
  const envelopes = [];
  for (const bundle of await from.keyServer.bundles(to.address.account)) {
    const record = sessionOps.initiate(undefined, bundle, keys, now);
    const addresses = sessionAddresses(from.address, { account: to.address.account, device: bundle.deviceId });
    const enc = sessionOps.encrypt(record, padPlaintext(encodeContent({ ...content, version: 1 })), keys, now, addresses);
    const sealed = sealV1({ content: { type: enc.type, senderCertificate: certificate.serialized, contents: enc.body, contentHint: 1 }, senderIdentity: identity, recipientIdentityPublic: enc.remoteIdentityKey });
    envelopes.push({ deviceId: bundle.deviceId, registrationId: enc.remoteRegistrationId, content: sealed });
  }
  await from.relay.send(to.address.account, deriveAccessKey(to.contactCard().profileKey), envelopes, now);
}

/** The errors a client reports from now on (e.g. refused group envelopes). */
export function collectErrors(client: SealpostClient): unknown[] {
  const out: unknown[] = [];
  client.on('error', (p) => out.push(p.error));
  return out;
}
