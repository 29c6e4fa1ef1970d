/**
 * Test helpers for sealed sender: libsignal-made certificates and identities
 * handed to our code as raw bytes. libsignal-client is test-only (AGPL).
 */
import { randomUUID } from 'node:crypto';
import {
  PrivateKey,
  SenderCertificate,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';

/** A trust root and a server certificate signed by it (libsignal-made). */
export interface TrustChain {
  trustRoot: PrivateKey;
  serverKey: PrivateKey;
  serverCertificate: ServerCertificate;
}

/** Makes a fresh trust root and server certificate with libsignal. */
export function makeTrustChain(keyId = 1): TrustChain {
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  return { trustRoot, serverKey, serverCertificate: ServerCertificate.new(keyId, serverKey.getPublicKey(), trustRoot) };
}

/** Issues a libsignal sender certificate for `peer`. */
export function senderCertificateFor(chain: TrustChain, peer: LibsignalPeer, expiresAt: number): SenderCertificate {
  return SenderCertificate.new(peer.name, null, peer.deviceId, peer.identity.publicKey, expiresAt, chain.serverCertificate, chain.serverKey);
}

/** A libsignal peer named by a fresh ACI. */
export function newPeer(deviceId = 1, registrationId?: number): LibsignalPeer {
  return new LibsignalPeer({ name: randomUUID(), deviceId, ...(registrationId === undefined ? {} : { registrationId }) });
}

/** Our view of a libsignal identity: raw private scalar and 33-byte public key. */
export function identityOf(peer: LibsignalPeer): { privateKey: Uint8Array; publicKey: Uint8Array } {
  return { privateKey: peer.identity.privateKey.serialize(), publicKey: peer.identity.publicKey.serialize() };
}

/**
 * A libsignal USMC whose inner message is a real libsignal session message
 * from `sender` to `recipient` (a session is started if there is none).
 */
export async function libsignalUsmc(
  sender: LibsignalPeer,
  recipient: LibsignalPeer,
  cert: SenderCertificate,
  hint: number,
  groupId: Uint8Array | null,
  plaintext: Uint8Array = new TextEncoder().encode('sealed hello'),
): Promise<UnidentifiedSenderMessageContent> {
  if (!(await sender.hasSession(recipient.address))) {
    await sender.processBundle(recipient.address, recipient.generateBundle({ withOneTimePreKey: true }));
  }
  const inner = await signalEncrypt(ab(plaintext), recipient.address, sender.sessionStore, sender.identityStore);
  return UnidentifiedSenderMessageContent.new(inner, cert, hint, groupId === null ? null : ab(groupId));
}
