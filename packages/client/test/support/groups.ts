/** Helpers of the group tests: registered clients that know each other's contact cards, polling until quiet, collected messages and events. */
import { splitV2ForRecipient, unsealToContent } from '@sealpost/protocol/sealed-sender';
import type { ReceivedMessage, SealpostClient } from '../../src/client.ts';
import type { GroupChangeEvent } from '../../src/groups/types.ts';

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
