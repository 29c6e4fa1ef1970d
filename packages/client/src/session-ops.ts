/**
 * The client's view of the protocol's session functions: the only module
 * that knows their exact signatures. Each function is pure over serialized
 * session records — `(record, input) -> (record, output)` — and is called
 * inside `withSessionTransaction`.
 */
import {
  DuplicateMessageError,
  decodePreKeySignalMessage,
  decodeSignalMessage,
  decryptMessage,
  decryptPreKeyMessage,
  deserializeSessionRecord,
  encryptMessage,
  initiateSession,
  sameCurvePublicKey,
  serializeSessionRecord,
  type IdentityKeyPair,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type PreKeysUsed,
  type SessionAddresses,
  type SessionRecord,
  type SignedPreKeyRecord,
} from '@sealpost/protocol';
import type { DeviceBundle } from './keyserver-client.ts';
import type { DeviceAddress } from './store/types.ts';

/** This device's long-lived keys. */
export interface LocalKeys {
  identity: IdentityKeyPair;
  registrationId: number;
}

/** Where a PreKeySignalMessage's prekeys are looked up (inside the transaction). */
export interface PreKeyLookup {
  signedPreKey(id: number): SignedPreKeyRecord | undefined;
  oneTimePreKey(id: number): PreKeyRecord | undefined;
  kyberPreKey(id: number): KyberPreKeyRecord | undefined;
}

/**
 * The local and remote address of a session step in the protocol's form
 * (`ProtocolAddress`: the account id — a lower-case UUID, i.e. the ACI
 * service id — and the device id). A PreKeySignalMessage then carries them
 * (SignalMessage field 6), and a received message that carries them must
 * name the sender as sender and this device as recipient, as libsignal
 * ≥ 0.91 writes and checks.
 */
export function sessionAddresses(local: DeviceAddress, remote: DeviceAddress): SessionAddresses {
  return { local: { name: local.account, deviceId: local.device }, remote: { name: remote.account, deviceId: remote.device } };
}

/** Inner message types, as libsignal's `CiphertextMessageType`. */
export type CiphertextType = 2 | 3;

/** Output of `encrypt`. */
export interface Encrypted {
  record: Uint8Array;
  /** 3 = PreKeySignalMessage (session not yet answered), 2 = SignalMessage. */
  type: CiphertextType;
  body: Uint8Array;
  /** The peer device's registration id (for the relay's stale-device check). */
  remoteRegistrationId: number;
  /** The peer's identity key (33 bytes), to seal to. */
  remoteIdentityKey: Uint8Array;
}

/** Output of `decrypt`. */
export interface Decrypted {
  record: Uint8Array;
  plaintext: Uint8Array;
  /** The sender's identity key as the session knows it (33 bytes). */
  remoteIdentityKey: Uint8Array;
  /**
   * The prekeys a PreKeySignalMessage used to build a new session (undefined
   * otherwise): delete the one-time EC key and mark the Kyber key used
   * (`markKyberPreKeyUsed`, with the base key) in the same transaction.
   */
  preKeysUsed: PreKeysUsed | undefined;
}

/** Session operations the client needs. */
export interface SessionOps {
  /** Starts (or replaces) a session from a fetched bundle; verifies both signatures. */
  initiate(record: Uint8Array | undefined, bundle: DeviceBundle, local: LocalKeys, now: number): Uint8Array;
  /**
   * Encrypts on an existing session. With `addresses` (this device and the
   * peer device, see `sessionAddresses`) a PreKeySignalMessage carries them
   * (field 6); the client always passes them.
   */
  encrypt(record: Uint8Array, plaintext: Uint8Array, local: LocalKeys, now: number, addresses?: SessionAddresses): Encrypted;
  /**
   * Decrypts a SignalMessage (2) or PreKeySignalMessage (3); the record may be
   * absent for type 3. `expectedRemoteIdentity` is the sender's identity key
   * as its (validated) sender certificate names it: the decrypt must refuse
   * (throw) a session or PreKeySignalMessage whose remote identity differs.
   * With `addresses` (this device as local, the sender's device as remote) a
   * message carrying field 6 must name exactly them, or the decrypt throws
   * (`BadMacError`, as libsignal); the client always passes them.
   */
  decrypt(
    record: Uint8Array | undefined,
    type: CiphertextType,
    body: Uint8Array,
    local: LocalKeys,
    prekeys: PreKeyLookup,
    now: number,
    expectedRemoteIdentity: Uint8Array,
    addresses?: SessionAddresses,
  ): Decrypted;
}

/** True if `e` is a protocol error saying the message was already decrypted. */
export function isDuplicateMessage(e: unknown): boolean {
  return e instanceof DuplicateMessageError;
}

/**
 * Our current sending ratchet public key in a stored session record (what
 * a peer's decryption-error message names), or undefined without one.
 */
export function currentSenderRatchetKey(record: Uint8Array | undefined): Uint8Array | undefined {
  if (record === undefined) return undefined;
  return deserializeSessionRecord(record).current?.senderChain?.ratchetKeyPair.publicKey.slice();
}

/** The remote registration id and identity key of a stored session record's current state, if it has one. */
export function sessionRemote(record: Uint8Array | undefined): { registrationId: number; identityKey: Uint8Array } | undefined {
  if (record === undefined) return undefined;
  const state = deserializeSessionRecord(record).current;
  return state === undefined ? undefined : { registrationId: state.remoteRegistrationId, identityKey: state.remoteIdentityKey.slice() };
}

/** The sender ratchet key of an encrypted message body of `type` (2 or 3). */
export function messageRatchetKey(type: CiphertextType, body: Uint8Array): Uint8Array {
  return (type === 3 ? decodePreKeySignalMessage(body).message : decodeSignalMessage(body)).senderRatchetKey.slice();
}

function parseRecord(bytes: Uint8Array): SessionRecord {
  return deserializeSessionRecord(bytes);
}

/** The implementation over `@sealpost/protocol`'s session functions. */
export const sessionOps: SessionOps = {
  initiate(record, bundle, local, now) {
    const { record: next } = initiateSession({
      record: record === undefined ? undefined : parseRecord(record),
      ourIdentity: local.identity,
      ourRegistrationId: local.registrationId,
      bundle: {
        registrationId: bundle.registrationId,
        deviceId: bundle.deviceId,
        preKeyId: bundle.preKey?.keyId,
        preKeyPublic: bundle.preKey?.publicKey,
        signedPreKeyId: bundle.signedPreKey.keyId,
        signedPreKeyPublic: bundle.signedPreKey.publicKey,
        signedPreKeySignature: bundle.signedPreKey.signature,
        identityKey: bundle.identityKey,
        kyberPreKeyId: bundle.pqPreKey.keyId,
        kyberPreKeyPublic: bundle.pqPreKey.publicKey,
        kyberPreKeySignature: bundle.pqPreKey.signature,
      },
      now,
    });
    return serializeSessionRecord(next);
  },

  encrypt(record, plaintext, _local, now, addresses) {
    const { record: next, message } = encryptMessage({ record: parseRecord(record), plaintext, now, addresses });
    const state = next.current!;
    return {
      record: serializeSessionRecord(next),
      type: message.type === 'prekey' ? 3 : 2,
      body: message.serialized,
      remoteRegistrationId: state.remoteRegistrationId,
      remoteIdentityKey: state.remoteIdentityKey,
    };
  },

  decrypt(record, type, body, local, prekeys, _now, expectedRemoteIdentity, addresses) {
    const parsed = record === undefined ? undefined : parseRecord(record);
    // The protocol checks it (UntrustedIdentityError): first thing for a PreKeySignalMessage, after decrypting a SignalMessage.
    const isTrusted = (identityKey: Uint8Array) => sameCurvePublicKey(identityKey, expectedRemoteIdentity);
    if (type === 3) {
      const r = decryptPreKeyMessage({
        record: parsed,
        ourIdentity: local.identity,
        ourRegistrationId: local.registrationId,
        message: body,
        isTrusted,
        loadSignedPreKey: (id) => prekeys.signedPreKey(id),
        loadPreKey: (id) => prekeys.oneTimePreKey(id),
        loadKyberPreKey: (id) => prekeys.kyberPreKey(id),
        addresses,
      });
      return {
        record: serializeSessionRecord(r.record),
        plaintext: r.plaintext,
        remoteIdentityKey: r.remoteIdentity,
        preKeysUsed: r.preKeysUsed,
      };
    }
    const r = decryptMessage({ record: parsed, message: body, isTrusted, addresses });
    return {
      record: serializeSessionRecord(r.record),
      plaintext: r.plaintext,
      remoteIdentityKey: r.remoteIdentity,
      preKeysUsed: undefined,
    };
  },
};
