/**
 * A Sealpost device for the session-level SPQR tests, speaking to the
 * libsignal-client peers of libsignal-peer.ts (or to another Sealpost
 * device): keys, prekeys, a record per remote address, service-id
 * addresses (so SignalMessage field 6 is written and checked), and a
 * check that every failed decrypt leaves the record byte-identical.
 */
import { expect } from 'vitest';
import type * as LsTypes from '@signalapp/libsignal-client-0103';
import {
  type IdentityKeyPair,
  type KyberPreKeyRecord,
  type PreKeyBundle,
  type PreKeyRecord,
  type ProtocolAddress,
  type SessionRecord,
  type SignedPreKeyRecord,
  decryptMessage,
  decryptPreKeyMessage,
  deserializeSessionRecord,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  initiateSession,
  serializeSessionRecord,
} from '../../src/index.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import type { Lib, LsPeer } from './libsignal-peer.ts';

/** A message on the wire: libsignal's numeric type (3 PreKey, 2 Whisper) and bytes. */
export interface Wire {
  readonly type: 2 | 3;
  readonly bytes: Uint8Array;
}

const keyOf = (a: ProtocolAddress): string => `${a.name}.${a.deviceId}`;

/** A remote peer as far as a Sealpost device is concerned: its address. */
export type Remote = { readonly address: ProtocolAddress } | SealpostDevice | LsPeer;

export function addressOf(r: Remote): ProtocolAddress {
  const a = r.address as ProtocolAddress | LsTypes.ProtocolAddress;
  if (typeof a.name === 'function') {
    const l = a as LsTypes.ProtocolAddress;
    return { name: l.name(), deviceId: l.deviceId() };
  }
  return a as ProtocolAddress;
}

export class SealpostDevice {
  readonly identity: IdentityKeyPair;
  readonly address: ProtocolAddress;
  readonly records = new Map<string, Uint8Array>();
  private readonly signed = new Map<number, SignedPreKeyRecord>();
  private readonly oneTime = new Map<number, PreKeyRecord>();
  private readonly kyber = new Map<number, KyberPreKeyRecord>();
  private nextId = 1;

  constructor(
    uuid: string,
    readonly registrationId: number,
    private readonly options: { spqr?: boolean; randomBytes?: (n: number) => Uint8Array } = {},
  ) {
    this.identity = generateIdentityKeyPair();
    this.address = { name: uuid, deviceId: 1 };
  }

  bundle(withOneTime: boolean): PreKeyBundle {
    const s = generateSignedPreKey({ identity: this.identity, id: this.nextId++ });
    this.signed.set(s.id, s);
    const k = generateKyberPreKey({ identity: this.identity, id: this.nextId++ });
    this.kyber.set(k.id, k);
    let pre: PreKeyRecord | undefined;
    if (withOneTime) {
      pre = generatePreKey(this.nextId++);
      this.oneTime.set(pre.id, pre);
    }
    return {
      registrationId: this.registrationId,
      deviceId: this.address.deviceId,
      preKeyId: pre?.id ?? null,
      preKeyPublic: pre?.keyPair.publicKey ?? null,
      signedPreKeyId: s.id,
      signedPreKeyPublic: s.keyPair.publicKey,
      signedPreKeySignature: s.signature,
      identityKey: this.identity.publicKey,
      kyberPreKeyId: k.id,
      kyberPreKeyPublic: k.keyPair.publicKey,
      kyberPreKeySignature: k.signature,
    };
  }

  /** Our bundle as libsignal's PreKeyBundle. */
  libsignalBundle(ls: Lib, withOneTime: boolean): LsTypes.PreKeyBundle {
    const b = this.bundle(withOneTime);
    const u = (x: Uint8Array) => Uint8Array.from(x);
    return ls.PreKeyBundle.new(
      b.registrationId, this.address.deviceId,
      b.preKeyId ?? null, b.preKeyPublic ? ls.PublicKey.deserialize(u(b.preKeyPublic)) : null,
      b.signedPreKeyId, ls.PublicKey.deserialize(u(b.signedPreKeyPublic)), u(b.signedPreKeySignature),
      ls.PublicKey.deserialize(u(b.identityKey)),
      b.kyberPreKeyId, ls.KEMPublicKey.deserialize(u(b.kyberPreKeyPublic)), u(b.kyberPreKeySignature),
    );
  }

  /** Starts a session from a Sealpost bundle or a libsignal one. */
  startSession(remote: Remote, bundle: PreKeyBundle | LsTypes.PreKeyBundle): void {
    const b: PreKeyBundle =
      typeof (bundle as LsTypes.PreKeyBundle).registrationId === 'function'
        ? fromLibsignalBundle(bundle as LsTypes.PreKeyBundle)
        : (bundle as PreKeyBundle);
    const k = keyOf(addressOf(remote));
    const { record } = initiateSession({
      record: this.load(k),
      ourIdentity: this.identity,
      ourRegistrationId: this.registrationId,
      bundle: b,
      spqr: this.options.spqr,
    });
    this.records.set(k, serializeSessionRecord(record));
  }

  private load(k: string): SessionRecord | undefined {
    const r = this.records.get(k);
    return r === undefined ? undefined : deserializeSessionRecord(r);
  }

  record(remote: Remote): SessionRecord {
    return this.load(keyOf(addressOf(remote)))!;
  }

  encrypt(to: Remote, plaintext: Uint8Array): Wire {
    const remote = addressOf(to);
    const k = keyOf(remote);
    const out = encryptMessage({
      record: this.load(k)!,
      plaintext,
      addresses: { local: this.address, remote },
      randomBytes: this.options.randomBytes,
    });
    this.records.set(k, serializeSessionRecord(out.record));
    return { type: out.message.type === 'prekey' ? 3 : 2, bytes: out.message.serialized };
  }

  /** Decrypts; on failure asserts the stored record is byte-identical, then rethrows. */
  decrypt(from: Remote, m: Wire): Uint8Array {
    const remote = addressOf(from);
    const k = keyOf(remote);
    const before = this.records.get(k);
    const addresses = { local: this.address, remote };
    try {
      const record = this.load(k);
      if (m.type === 3) {
        const out = decryptPreKeyMessage({
          record,
          ourIdentity: this.identity,
          ourRegistrationId: this.registrationId,
          message: m.bytes,
          loadSignedPreKey: (id) => this.signed.get(id),
          loadPreKey: (id) => this.oneTime.get(id),
          loadKyberPreKey: (id) => this.kyber.get(id),
          addresses,
          spqr: this.options.spqr,
        });
        if (out.usedPreKeyId !== undefined) this.oneTime.delete(out.usedPreKeyId);
        this.records.set(k, serializeSessionRecord(out.record));
        return out.plaintext;
      }
      const out = decryptMessage({ record, message: m.bytes, addresses });
      this.records.set(k, serializeSessionRecord(out.record));
      return out.plaintext;
    } catch (e) {
      expect(this.records.get(k)).toEqual(before);
      if (before !== undefined) expect(serializeSessionRecord(deserializeSessionRecord(before))).toEqual(before);
      throw e;
    }
  }

  /** The SPQR epoch of our current session with `remote` (0n: SPQR off). */
  spqrEpoch(remote: Remote): bigint {
    const pq = this.record(remote).current?.pqRatchetState ?? new Uint8Array(0);
    return pq.length === 0 ? 0n : (decodePqRatchetState(pq).v1?.epoch ?? 0n);
  }
}

export function fromLibsignalBundle(b: LsTypes.PreKeyBundle): PreKeyBundle {
  const pre = b.preKeyPublic();
  return {
    registrationId: b.registrationId(),
    deviceId: b.deviceId(),
    preKeyId: b.preKeyId(),
    preKeyPublic: pre === null ? null : pre.serialize(),
    signedPreKeyId: b.signedPreKeyId(),
    signedPreKeyPublic: b.signedPreKeyPublic().serialize(),
    signedPreKeySignature: b.signedPreKeySignature(),
    identityKey: b.identityKey().serialize(),
    kyberPreKeyId: b.kyberPreKeyId(),
    kyberPreKeyPublic: b.kyberPreKeyPublic().serialize(),
    kyberPreKeySignature: b.kyberPreKeySignature(),
  };
}

/** libsignal's CiphertextMessage-like view of a Wire message, for LsPeer.decrypt. */
export function asLibsignal(m: Wire): LsTypes.CiphertextMessage {
  return { type: () => m.type, serialize: () => Uint8Array.from(m.bytes) } as unknown as LsTypes.CiphertextMessage;
}

/** A libsignal CiphertextMessage as a Wire message. */
export function fromLibsignal(m: LsTypes.CiphertextMessage): Wire {
  return { type: m.type() as 2 | 3, bytes: Uint8Array.from(m.serialize()) };
}
