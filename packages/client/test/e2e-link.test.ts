/**
 * Linking a second device through the real key server and relay (issue 11
 * item 16): the new device's link URI holds only its mailbox id and
 * one-time public key, the relay carries only the sealed provisioning
 * envelope, and the linked device then sends and receives. The mailbox is
 * single-use; a cancelled link fails with a typed error.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedMessage, SealpostClient } from '../src/client.ts';
import { ClientError, ServiceError } from '../src/errors.ts';
import { parseLinkUri } from '../src/linking.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

function collect(client: SealpostClient): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  client.on('message', (m) => out.push(m));
  return out;
}

/** The text forms a leaked key would take: base64, base64url (unpadded) and hex. */
function encodings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('base64'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), b.toString('hex')];
}

/** The identity private key and profile key of a registered client (read from its store). */
async function secretsOf(client: SealpostClient): Promise<Uint8Array[]> {
  const a = await client.store.identities.localAccount();
  if (a?.account === undefined) throw new Error('not registered');
  return [a.identityPrivateKey, a.profileKey];
}

describe('device linking through the relay provisioning mailbox', () => {
  it('links a second device with no private key in the URI or on the relay; the linked device sends and receives', async () => {
    const alice = local.client();
    const phone = local.client();
    const laptop = local.client();
    await alice.register();
    await phone.register();
    const [identityPrivate, profileKey] = await secretsOf(phone);

    const linking = await laptop.beginLink();
    expect(linking.uri).toMatch(/^sealpost:\/\/link\?uuid=[A-Za-z0-9_-]{22}&pub_key=[A-Za-z0-9_-]{44}$/);
    expect(linking.expiresAt).toBeGreaterThan(Date.now());
    for (const text of [...encodings(identityPrivate!), ...encodings(profileKey!)]) expect(linking.uri).not.toContain(text);
    const target = parseLinkUri(linking.uri);
    // A one-time key, not the account's identity key.
    const identityPublic = (await phone.store.identities.localAccount())!.identityPublicKey;
    expect(Buffer.from(target.publicKey).equals(Buffer.from(identityPublic))).toBe(false);

    // What the relay is handed: the sealed envelope only.
    const carried: Uint8Array[] = [];
    const put = phone.relay.putProvisioningMessage.bind(phone.relay);
    phone.relay.putProvisioningMessage = async (id, envelope) => {
      carried.push(envelope.slice());
      return put(id, envelope);
    };
    await phone.approveLink(linking.uri);
    expect(carried).toHaveLength(1);
    for (const secret of [identityPrivate!, profileKey!]) expect(Buffer.from(carried[0]!).includes(Buffer.from(secret))).toBe(false);

    const address = await linking.complete();
    expect(address).toEqual({ account: phone.address.account, device: 2 });
    expect(laptop.address).toEqual(address);
    const [laptopIdentity, laptopProfile] = await secretsOf(laptop);
    expect(Buffer.from(laptopIdentity!).equals(Buffer.from(identityPrivate!))).toBe(true);
    expect(Buffer.from(laptopProfile!).equals(Buffer.from(profileKey!))).toBe(true);
    expect((await phone.devices()).map((d) => d.deviceId).sort()).toEqual([1, 2]);

    // The mailbox was single-use: approving the same URI again finds nothing to deliver to.
    const again = await phone.approveLink(linking.uri).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ServiceError);
    expect([(again as ServiceError).status, (again as ServiceError).serviceCode]).toEqual([404, 'UNKNOWN_MAILBOX']);

    // The linked laptop receives and sends.
    const [aliceIn, phoneIn, laptopIn] = [collect(alice), collect(phone), collect(laptop)];
    await alice.addContact(phone.contactCard());
    const first = await alice.send(phone.address.account, { text: 'hello both devices' });
    expect(first.devices).toEqual([1, 2]);
    await laptop.poll();
    expect(laptopIn.map((m) => m.content.text)).toEqual(['hello both devices']);
    const answer = await laptop.reply(alice.address.account, 'from the newly linked laptop', first.ref);
    expect(answer.syncedDevices).toEqual([1]);
    await alice.poll();
    await phone.poll();
    expect(aliceIn.map((m) => [m.sender.account, m.sender.device, m.content.text])).toEqual([[phone.address.account, 2, 'from the newly linked laptop']]);
    expect(phoneIn.map((m) => [m.fromSelf, m.content.text])).toEqual([
      [false, 'hello both devices'],
      [true, 'from the newly linked laptop'],
    ]);
  });

  it('a cancelled link fails with LINK_FAILED; a registered device cannot begin one; junk URIs are INVALID_DATA', async () => {
    const phone = local.client();
    await phone.register();
    const fresh = local.client();
    const linking = await fresh.beginLink();
    linking.cancel();
    await expect(linking.complete()).rejects.toMatchObject({ code: 'LINK_FAILED' });
    expect(fresh.registered).toBe(false);
    await expect(phone.approveLink(linking.uri)).rejects.toMatchObject({ status: 404, serviceCode: 'UNKNOWN_MAILBOX' });
    await expect(phone.beginLink()).rejects.toMatchObject({ code: 'ALREADY_REGISTERED' });
    const junk = await phone.approveLink('sealpost-link:eyJjIjoiMSJ9').catch((e: unknown) => e);
    expect(junk).toBeInstanceOf(ClientError);
    expect((junk as ClientError).code).toBe('INVALID_DATA');
  });
});
