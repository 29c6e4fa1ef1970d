/**
 * Plays a malicious insider who runs the key server: with the server
 * certificate's private key it issues a sender certificate naming a victim's
 * account but the insider's own identity key, starts a session with the
 * target from the target's real bundle, and sends a sealed message "from"
 * the victim. Trust on first use must flag the changed identity. Used by
 * the client's identity tests and the demo.
 */
import { type SealpostClient, encodeContent, padPlaintext, sessionOps } from '@sealpost/client';
import { deriveAccessKey, generateIdentityKeyPair, type IdentityKeyPair } from '@sealpost/protocol';
import { createSenderCertificate, sealV1 } from '@sealpost/protocol/sealed-sender';
import type { LocalServices } from './local-services.ts';

/**
 * Sends `text` to `target` claiming to be device `victimDevice` of `victimAccount`.
 * `insider` is any registered client (used only to fetch the target's bundle
 * and to reach the relay). Returns the forged (certified) identity public key.
 * `sessionIdentity`: start the session with this other identity instead of
 * the certified one (a certificate and session that disagree).
 */
export async function impersonate(
  services: LocalServices,
  insider: SealpostClient,
  target: SealpostClient,
  victimAccount: string,
  text: string,
  victimDevice = 1,
  options: { sessionIdentity?: IdentityKeyPair } = {},
): Promise<Uint8Array> {
  const fake = generateIdentityKeyPair();
  const [bundle] = await insider.keyServer.bundles(target.address.account, target.address.device);
  if (bundle === undefined) throw new Error('the target has no bundle');
  const local = { identity: options.sessionIdentity ?? fake, registrationId: 4242 };
  const now = Date.now();
  const record = sessionOps.initiate(undefined, bundle, local, now);
  // Padded as every Sealpost client pads, so only the forged identity gives it away.
  const enc = sessionOps.encrypt(record, padPlaintext(encodeContent({ timestamp: now, text })), local, now);
  const certificate = createSenderCertificate({
    senderUuid: victimAccount,
    senderDeviceId: victimDevice,
    identityKey: fake.publicKey,
    expires: now + 3600_000,
    serverCertificate: services.serverCertificate,
    serverPrivateKey: services.serverPrivateKey,
  });
  const sealed = sealV1({
    content: { type: enc.type, senderCertificate: certificate.serialized, contents: enc.body },
    senderIdentity: fake,
    recipientIdentityPublic: enc.remoteIdentityKey,
  });
  await insider.relay.send(
    target.address.account,
    deriveAccessKey(target.contactCard().profileKey),
    [{ deviceId: target.address.device, registrationId: enc.remoteRegistrationId, content: sealed }],
    now,
  );
  return fake.publicKey;
}
