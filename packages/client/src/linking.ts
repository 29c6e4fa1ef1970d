/**
 * Device linking as Signal's provisioning does it, the parts between the
 * two devices:
 *
 * - the link URI the new device shows (QR code): `sealpost://link?uuid=<relay
 *   mailbox id>&pub_key=<base64url of its one-time 0x05-prefixed X25519
 *   public key>` — public values only;
 * - the provisioning message the primary seals to that key
 *   (`ProvisionMessage`: identity key pair, account, key-server
 *   provisioning code, profile key), encoded and strictly decoded here.
 *
 * The sealing is provisioning-cipher.ts, the transport
 * provisioning-mailbox.ts, the account steps account.ts.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { curveKeyPairFromPrivate, isSerializedCurvePublicKey, PROFILE_KEY_LENGTH } from '@sealpost/protocol';
import { constantTimeEqual } from '@sealpost/protocol/primitives';
import { fromBase64Url, toBase64Url } from './encoding.ts';
import { ClientError } from './errors.ts';
import { ProvisionMessageSchema } from './gen/provisioning_pb.ts';
import { ProvisioningMessageError } from './provisioning-cipher.ts';
import type { DeviceAddress } from './store/types.ts';

/** Scheme and host of a link URI. */
export const LINK_URI_PREFIX = 'sealpost://link?';
/** The `ProvisionMessage` contents version this code writes and reads. */
export const PROVISION_MESSAGE_VERSION = 1;
const MAILBOX_ID = /^[A-Za-z0-9_-]{22}$/;

/** What a link URI names. */
export interface LinkTarget {
  /** The relay mailbox the new device listens on. */
  mailboxId: string;
  /** Its one-time public key (33 bytes, 0x05 ‖ u). */
  publicKey: Uint8Array;
}

/** The link URI of `target` (only public values). */
export function formatLinkUri(target: LinkTarget): string {
  return `${LINK_URI_PREFIX}uuid=${encodeURIComponent(target.mailboxId)}&pub_key=${toBase64Url(target.publicKey)}`;
}

/** Parses a link URI; anything else is `ClientError('INVALID_DATA')`. */
export function parseLinkUri(uri: string): LinkTarget {
  if (typeof uri !== 'string' || !uri.startsWith(LINK_URI_PREFIX) || uri.length > 512) throw new ClientError('INVALID_DATA', 'not a Sealpost link URI (sealpost://link?uuid=…&pub_key=…)');
  const params = new URLSearchParams(uri.slice(LINK_URI_PREFIX.length));
  const mailboxId = params.get('uuid');
  const key = params.get('pub_key');
  if (mailboxId === null || !MAILBOX_ID.test(mailboxId) || key === null || params.getAll('uuid').length !== 1 || params.getAll('pub_key').length !== 1) {
    throw new ClientError('INVALID_DATA', 'link URI needs exactly one uuid (relay mailbox id) and one pub_key');
  }
  const publicKey = fromBase64Url('link URI pub_key', key);
  if (!isSerializedCurvePublicKey(publicKey)) throw new ClientError('INVALID_DATA', 'link URI pub_key is not a 33-byte Curve25519 public key');
  return { mailboxId, publicKey };
}

/** The contents of a provisioning message. */
export interface ProvisionContents {
  identityPublicKey: Uint8Array;
  identityPrivateKey: Uint8Array;
  account: string;
  provisioningCode: string;
  profileKey: Uint8Array;
  /** History transfer: the primary's offer id (16 bytes), when it offers history. */
  historyTransferId?: Uint8Array;
}

/** Serializes a `ProvisionMessage`. */
export function encodeProvisionMessage(c: ProvisionContents): Uint8Array {
  return toBinary(
    ProvisionMessageSchema,
    create(ProvisionMessageSchema, {
      provisioningVersion: PROVISION_MESSAGE_VERSION,
      identityKeyPublic: c.identityPublicKey,
      identityKeyPrivate: c.identityPrivateKey,
      account: c.account,
      provisioningCode: c.provisioningCode,
      profileKey: c.profileKey,
      historyTransferId: c.historyTransferId ?? new Uint8Array(0),
    }),
  );
}

/**
 * Decodes and checks a `ProvisionMessage` (copies what it returns): version
 * 1, a private key whose public key is the one given, a 32-byte profile
 * key, a non-empty account and code. Anything else is
 * `ProvisioningMessageError`.
 */
export function decodeProvisionMessage(bytes: Uint8Array): ProvisionContents {
  let m;
  try {
    m = fromBinary(ProvisionMessageSchema, bytes);
  } catch (e) {
    throw new ProvisioningMessageError('provisioning message is not a valid ProvisionMessage', { cause: e });
  }
  if (m.provisioningVersion !== PROVISION_MESSAGE_VERSION) throw new ProvisioningMessageError(`provisioning message version ${m.provisioningVersion} is not supported`);
  if (m.identityKeyPrivate.length !== 32 || !isSerializedCurvePublicKey(m.identityKeyPublic)) throw new ProvisioningMessageError('provisioning message identity key pair is malformed');
  const identity = curveKeyPairFromPrivate(m.identityKeyPrivate.slice());
  if (!constantTimeEqual(identity.publicKey, m.identityKeyPublic)) throw new ProvisioningMessageError('provisioning message identity private key does not match its public key');
  if (m.profileKey.length !== PROFILE_KEY_LENGTH) throw new ProvisioningMessageError(`provisioning message profile key must be ${PROFILE_KEY_LENGTH} bytes`);
  if (m.account.length === 0 || m.account.length > 64 || m.provisioningCode.length === 0 || m.provisioningCode.length > 256) {
    throw new ProvisioningMessageError('provisioning message account or provisioning code is missing or too long');
  }
  if (m.historyTransferId.length !== 0 && m.historyTransferId.length !== 16) throw new ProvisioningMessageError('provisioning message history transfer id must be 16 bytes');
  const out: ProvisionContents = { identityPublicKey: identity.publicKey, identityPrivateKey: identity.privateKey, account: m.account, provisioningCode: m.provisioningCode, profileKey: m.profileKey.slice() };
  if (m.historyTransferId.length === 16) out.historyTransferId = m.historyTransferId.slice();
  return out;
}

/** A link request of a new device, waiting for its primary (from `SealpostClient.beginLink()`). */
export interface DeviceLinking {
  /** Show this to the primary device (QR code); it holds only public values. */
  readonly uri: string;
  /** When the relay mailbox expires, ms since the epoch. */
  readonly expiresAt: number;
  /** Waits for the primary's provisioning message, then links this device; `LINK_FAILED` if the mailbox ends first. */
  complete(): Promise<DeviceAddress>;
  /** Gives the request up (`complete()` rejects with `LINK_FAILED`). */
  cancel(): void;
}
