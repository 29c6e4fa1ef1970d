/**
 * The two kinds of client in the end-to-end tests, both speaking through the
 * real relay and key server:
 *
 * - libsignal-client 0.90 does everything itself (`sealedSenderEncryptMessage`,
 *   `sealedSenderMultiRecipientEncrypt`, `sealedSenderDecryptMessage`);
 * - "ours" seals and unseals with @sealpost/protocol (`sealV1`,
 *   `sealV2MultiRecipient`, `unseal`), with libsignal sessions for the inner
 *   1:1 messages.
 */
import {
  CiphertextMessageType,
  ProtocolAddress,
  SenderCertificate,
  UnidentifiedSenderMessageContent,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { sealV1, sealV2MultiRecipient, unseal, type UnsealedContent } from '@sealpost/protocol/sealed-sender/index.ts';
import { ab } from '../../../../packages/protocol/test/support/fixed-keys.ts';
import type { Account, Device, World } from './world.ts';

/** Our view of an account's identity key pair. */
export function identityOf(account: Account): { privateKey: Uint8Array; publicKey: Uint8Array } {
  return { privateKey: account.identity.serialize(), publicKey: account.identity.getPublicKey().serialize() };
}

/** Makes sure `from` has a session with every device of `to` (bundles from the key server). */
export async function ensureSessions(world: World, from: Device, to: Account): Promise<void> {
  for (const d of to.devices) {
    if (!(await from.peer.hasSession(d.address))) await from.peer.processBundle(d.address, await world.bundle(from, to, d.deviceId));
  }
}

/** libsignal seals v1 for every device of `to`; returns the relay answer. */
export async function libsignalSendV1(world: World, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const cert = SenderCertificate.deserialize(ab(from.senderCertificate));
  const messages = [];
  for (const d of to.devices) {
    const sealed = await sealedSenderEncryptMessage(ab(plaintext), d.address, cert, from.peer.sessionStore, from.peer.identityStore);
    messages.push({ deviceId: d.deviceId, registrationId: d.registrationId, content: sealed });
  }
  return world.client.send(to.id, to.accessKey, messages);
}

/** We seal v1 (our sealV1) around libsignal session messages for every device of `to`. */
export async function ourSendV1(world: World, fromAccount: Account, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const messages = [];
  for (const d of to.devices) {
    const inner = await signalEncrypt(ab(plaintext), d.address, from.peer.sessionStore, from.peer.identityStore);
    const sealed = sealV1({
      content: { type: inner.type() as 2 | 3, senderCertificate: from.senderCertificate, contents: inner.serialize() },
      senderIdentity: identityOf(fromAccount),
      recipientIdentityPublic: to.identity.getPublicKey().serialize(),
    });
    messages.push({ deviceId: d.deviceId, registrationId: d.registrationId, content: sealed });
  }
  return world.client.send(to.id, to.accessKey, messages);
}

/**
 * One v2 SentMessage to every device of `to`, made by libsignal or by us. The
 * inner content is a session message for `to`'s first device (v2 shares one
 * content between all recipients).
 */
export async function sendV2(world: World, maker: 'libsignal' | 'ours', fromAccount: Account, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const first = to.devices[0]!;
  const inner = await signalEncrypt(ab(plaintext), first.address, from.peer.sessionStore, from.peer.identityStore);
  const cert = SenderCertificate.deserialize(ab(from.senderCertificate));
  const usmc = UnidentifiedSenderMessageContent.new(inner, cert, 0, null);
  let sent: Uint8Array;
  if (maker === 'libsignal') {
    sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: to.devices.map((d) => d.address),
      identityStore: from.peer.identityStore,
      sessionStore: from.peer.sessionStore,
    });
  } else {
    sent = sealV2MultiRecipient({
      content: usmc.serialize(),
      senderIdentity: identityOf(fromAccount),
      recipients: [{ serviceId: to.id, identityKey: to.identity.getPublicKey().serialize(), devices: to.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) }],
    });
  }
  return world.client.sendMulti(sent, { [to.id]: to.accessKey });
}

/** What a receiving device made of one envelope. */
export interface Opened {
  senderAccount: string;
  senderDevice: number;
  /** The decrypted inner plaintext, or undefined when the inner message was for another device (v2). */
  plaintext: Uint8Array | undefined;
  version: number;
}

/** Our receive path: `unseal` (trust root, expiry, identity on record), then the libsignal session. */
export async function ourOpen(world: World, me: Account, device: Device, sealed: Uint8Array, known: Map<string, Uint8Array>): Promise<Opened> {
  const u: UnsealedContent = unseal({
    message: sealed,
    recipientIdentity: identityOf(me),
    trustRoots: world.trustRoot.getPublicKey().serialize(),
    now: Date.now(),
    expectedSenderIdentityKey: (cert) => known.get(cert.senderUuid),
    local: { uuid: me.id, deviceId: device.deviceId },
  });
  known.set(u.sender.senderUuid, u.sender.identityKey);
  const from = ProtocolAddress.new(u.sender.senderUuid, u.sender.senderDeviceId);
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = await device.peer.decrypt(from, { type: u.content.type as CiphertextMessageType.Whisper | CiphertextMessageType.PreKey, bytes: u.content.contents });
  } catch {
    plaintext = undefined;
  }
  return { senderAccount: u.sender.senderUuid, senderDevice: u.sender.senderDeviceId, plaintext, version: u.version };
}

/** libsignal's receive path: `sealedSenderDecryptMessage` (validates the certificate against the trust root). */
export async function libsignalOpen(world: World, me: Account, device: Device, sealed: Uint8Array): Promise<Opened> {
  try {
    const r = await sealedSenderDecryptMessage(
      ab(sealed),
      world.trustRoot.getPublicKey(),
      Date.now(),
      null,
      me.id,
      device.deviceId,
      device.peer.sessionStore,
      device.peer.identityStore,
      device.peer.preKeyStore,
      device.peer.signedPreKeyStore,
      device.peer.kyberPreKeyStore,
    );
    return { senderAccount: r.senderUuid(), senderDevice: r.deviceId(), plaintext: r.message(), version: sealed[0]! >> 4 };
  } catch (e) {
    // v2 content meant for a sibling device: the seal opens, the inner session message does not.
    const { sealedSenderDecryptToUsmc } = await import('@signalapp/libsignal-client');
    const usmc = await sealedSenderDecryptToUsmc(ab(sealed), device.peer.identityStore);
    const cert = usmc.senderCertificate();
    if (!cert.validate(world.trustRoot.getPublicKey(), Date.now())) throw e;
    return { senderAccount: cert.senderUuid(), senderDevice: cert.senderDeviceId(), plaintext: undefined, version: sealed[0]! >> 4 };
  }
}
