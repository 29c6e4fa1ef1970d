/**
 * The two kinds of client in the end-to-end tests, both speaking through the
 * real relay and key server:
 *
 * - libsignal-client 0.90 does everything itself: sessions,
 *   `sealedSenderEncryptMessage`, `sealedSenderMultiRecipientEncrypt`,
 *   `sealedSenderDecryptMessage`;
 * - "ours" uses @sealpost/protocol for everything: sessions (our PQXDH +
 *   Double Ratchet, via the protocol tests' `OursEndpoint`), `sealV1`,
 *   `sealV2MultiRecipient`, `unseal`.
 */
import {
  ProtocolAddress,
  SenderCertificate,
  UnidentifiedSenderMessageContent,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { encodeSealedContent, sealV1, sealV2MultiRecipient, unseal, type SealedContentType } from '@sealpost/protocol/sealed-sender';
import { ab } from '@sealpost/devkit/libsignal';
import type { EndpointId } from '@sealpost/devkit/libsignal';
import type { Account, Device, World } from './world.ts';

/** Our view of an account's identity key pair. */
export function identityOf(account: Account): { privateKey: Uint8Array; publicKey: Uint8Array } {
  return account.identity;
}

const libAddress = (a: EndpointId): ProtocolAddress => ProtocolAddress.new(a.name, a.deviceId);

function libsignalOf(device: Device) {
  if (device.libsignal === undefined) throw new Error('not a libsignal device');
  return device.libsignal;
}

/** Makes sure `from` has a session with every device of `to` (bundles from the key server). */
export async function ensureSessions(world: World, from: Device, to: Account): Promise<void> {
  for (const d of to.devices) {
    if (!(await from.endpoint.hasSession(d.address))) await from.endpoint.startSession(d.address, await world.bundle(from, to, d.deviceId));
  }
}

/** libsignal seals v1 (`sealedSenderEncryptMessage`: session + seal) for every device of `to`. */
export async function libsignalSendV1(world: World, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const peer = libsignalOf(from);
  const cert = SenderCertificate.deserialize(ab(from.senderCertificate));
  const messages = [];
  for (const d of to.devices) {
    const sealed = await sealedSenderEncryptMessage(ab(plaintext), libAddress(d.address), cert, peer.sessionStore, peer.identityStore);
    messages.push({ deviceId: d.deviceId, registrationId: d.registrationId, content: sealed });
  }
  return world.client.send(to.id, to.accessKey, messages);
}

/** We seal v1 (`sealV1`) around a session message from `from`'s endpoint, for every device of `to`. */
export async function ourSendV1(world: World, fromAccount: Account, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const messages = [];
  for (const d of to.devices) {
    const inner = await from.endpoint.encrypt(d.address, plaintext);
    const sealed = sealV1({
      content: { type: inner.type as SealedContentType, senderCertificate: from.senderCertificate, contents: inner.bytes },
      senderIdentity: identityOf(fromAccount),
      recipientIdentityPublic: to.identity.publicKey,
    });
    messages.push({ deviceId: d.deviceId, registrationId: d.registrationId, content: sealed });
  }
  return world.client.send(to.id, to.accessKey, messages);
}

/**
 * One v2 SentMessage to every device of `to`, made by libsignal
 * (`sealedSenderMultiRecipientEncrypt`) or by us (`sealV2MultiRecipient`).
 * The shared content is a session message for `to`'s first device.
 */
export async function sendV2(world: World, maker: 'libsignal' | 'ours', fromAccount: Account, from: Device, to: Account, plaintext: Uint8Array) {
  await ensureSessions(world, from, to);
  const first = to.devices[0]!;
  let sent: Uint8Array;
  if (maker === 'libsignal') {
    const peer = libsignalOf(from);
    const inner = await signalEncrypt(ab(plaintext), libAddress(first.address), peer.sessionStore, peer.identityStore);
    const usmc = UnidentifiedSenderMessageContent.new(inner, SenderCertificate.deserialize(ab(from.senderCertificate)), 0, null);
    sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: to.devices.map((d) => libAddress(d.address)),
      identityStore: peer.identityStore,
      sessionStore: peer.sessionStore,
    });
  } else {
    const inner = await from.endpoint.encrypt(first.address, plaintext);
    sent = sealV2MultiRecipient({
      content: encodeSealedContent({ type: inner.type as SealedContentType, senderCertificate: from.senderCertificate, contents: inner.bytes }),
      senderIdentity: identityOf(fromAccount),
      recipients: [{ serviceId: to.id, identityKey: to.identity.publicKey, devices: to.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) }],
    });
  }
  return world.client.sendMulti(sent, { [to.id]: to.accessKey });
}

/** What a receiving device made of one envelope. */
export interface Opened {
  senderAccount: string;
  senderDevice: number;
  /** The decrypted inner plaintext, or undefined when the inner message was for a sibling device (v2). */
  plaintext: Uint8Array | undefined;
  version: number;
}

/** Our receive path: `unseal` (trust root, expiry, identity on record), then our session. */
export async function ourOpen(world: World, me: Account, device: Device, sealed: Uint8Array, known: Map<string, Uint8Array>): Promise<Opened> {
  const u = unseal({
    message: sealed,
    recipientIdentity: identityOf(me),
    trustRoots: world.trustRoot.getPublicKey().serialize(),
    now: Date.now(),
    expectedSenderIdentityKey: (cert) => known.get(cert.senderUuid),
    local: { uuid: me.id, deviceId: device.deviceId },
  });
  known.set(u.sender.senderUuid, u.sender.identityKey);
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = await device.endpoint.decrypt({ name: u.sender.senderUuid, deviceId: u.sender.senderDeviceId }, { type: u.content.type as 2 | 3, bytes: u.content.contents });
  } catch {
    plaintext = undefined;
  }
  return { senderAccount: u.sender.senderUuid, senderDevice: u.sender.senderDeviceId, plaintext, version: u.version };
}

/** libsignal's receive path: `sealedSenderDecryptMessage` (validates the certificate against the trust root). */
export async function libsignalOpen(world: World, me: Account, device: Device, sealed: Uint8Array): Promise<Opened> {
  const peer = libsignalOf(device);
  try {
    const r = await sealedSenderDecryptMessage(
      ab(sealed),
      world.trustRoot.getPublicKey(),
      Date.now(),
      null,
      me.id,
      device.deviceId,
      peer.sessionStore,
      peer.identityStore,
      peer.preKeyStore,
      peer.signedPreKeyStore,
      peer.kyberPreKeyStore,
    );
    return { senderAccount: r.senderUuid(), senderDevice: r.deviceId(), plaintext: r.message(), version: sealed[0]! >> 4 };
  } catch (e) {
    // v2 content meant for a sibling device: the seal opens and the certificate checks out,
    // but the inner session message is not for this device.
    const usmc = await sealedSenderDecryptToUsmc(ab(sealed), peer.identityStore);
    const cert = usmc.senderCertificate();
    if (!cert.validate(world.trustRoot.getPublicKey(), Date.now())) throw e;
    return { senderAccount: cert.senderUuid(), senderDevice: cert.senderDeviceId(), plaintext: undefined, version: sealed[0]! >> 4 };
  }
}
