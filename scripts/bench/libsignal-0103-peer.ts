/**
 * A libsignal-client 0.103.0 device for the benchmark's `libsignal-client-0103`
 * column: the same surface as the dev kit's 0.90 `LibsignalPeer` that
 * peer-libsignal-client.ts drives (`LibsignalDevice`), over 0.103's classes.
 * The dev kit's peer and stores import 0.90 statically, and a store handed to
 * one native addon must return that addon's record objects, so 0.103 uses
 * the dev kit's per-module store classes (`@sealpost/devkit/libsignal-stores`,
 * shared with the SPQR interop tests), keeping records live like the 0.90
 * column's.
 * The calls are those of packages/protocol/test/spqr/libsignal-peer.ts (which
 * drives 0.103 in the interop tests): 0.103 takes a `localAddress` after the
 * remote address on processPreKeyBundle / signalEncrypt / signalDecrypt(PreKey),
 * and addresses are ServiceId strings (UUIDs) so PreKey messages carry and
 * check `SignalMessage.addresses` (field 6), as an app's do.
 *
 * AGPL — this file is a benchmark, never imported from src/.
 */
import * as ls from '@signalapp/libsignal-client-0103';
import type { WireMessage } from '@sealpost/devkit/libsignal';
import { libsignalAddressKey, libsignalStoreClasses } from '@sealpost/devkit/libsignal-stores';
import type { LibsignalDevice } from './peer-libsignal-client.ts';

type Address = ls.ProtocolAddress;
const key = libsignalAddressKey;
const { LiveSessions: Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys } = libsignalStoreClasses(ls);

/** A ServiceId-shaped (UUID) address name, distinct per (role, index). */
export function serviceIdName(role: number, index: number): string {
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${hex(role, 8)}-0000-4000-8000-${hex(index, 12)}`;
}

/** One 0.103 device: identity, stores, a last-resort signed + Kyber prekey, fresh one-time prekeys. */
export class Libsignal0103Peer implements LibsignalDevice<Address, ls.PreKeyBundle> {
  readonly address: Address;
  readonly sessions = new Sessions();
  private readonly identity = ls.IdentityKeyPair.generate();
  private readonly identities: InstanceType<typeof Identities>;
  private readonly preKeys = new PreKeys();
  private readonly signed = new SignedPreKeys();
  private readonly kyber = new KyberPreKeys();
  private nextPreKeyId = 10;
  private readonly lastResort: { spk: ls.PrivateKey; spkSig: Uint8Array<ArrayBuffer>; kem: ls.KEMKeyPair; kemSig: Uint8Array<ArrayBuffer> };

  constructor(
    name: string,
    private readonly regId: number,
  ) {
    this.address = ls.ProtocolAddress.new(name, 1);
    this.identities = new Identities(this.identity, regId);
    const spk = ls.PrivateKey.generate();
    const kem = ls.KEMKeyPair.generate();
    this.lastResort = {
      spk,
      spkSig: this.identity.privateKey.sign(spk.getPublicKey().serialize()),
      kem,
      kemSig: this.identity.privateKey.sign(kem.getPublicKey().serialize()),
    };
    void this.signed.saveSignedPreKey(2, ls.SignedPreKeyRecord.new(2, 0, spk.getPublicKey(), spk, this.lastResort.spkSig));
    void this.kyber.saveKyberPreKey(3, ls.KyberPreKeyRecord.new(3, 0, kem, this.lastResort.kemSig));
  }

  addressFor(name: string): Address {
    return ls.ProtocolAddress.new(name, 1);
  }

  bundle(): ls.PreKeyBundle {
    const id = this.nextPreKeyId++;
    const pre = ls.PrivateKey.generate();
    void this.preKeys.savePreKey(id, ls.PreKeyRecord.new(id, pre.getPublicKey(), pre));
    const { spk, spkSig, kem, kemSig } = this.lastResort;
    return ls.PreKeyBundle.new(this.regId, 1, id, pre.getPublicKey(), 2, spk.getPublicKey(), spkSig, this.identity.publicKey, 3, kem.getPublicKey(), kemSig);
  }

  /** `as`: the local address this device speaks as (a per-setup name in the setup row). */
  async processBundle(remote: Address, bundle: ls.PreKeyBundle, as: Address = this.address): Promise<void> {
    await ls.processPreKeyBundle(bundle, remote, as, this.sessions, this.identities);
  }

  async encrypt(remote: Address, plaintext: Uint8Array, as: Address = this.address): Promise<WireMessage> {
    const m = await ls.signalEncrypt(Uint8Array.from(plaintext), remote, as, this.sessions, this.identities);
    return { type: m.type() as WireMessage['type'], bytes: m.serialize() };
  }

  async decrypt(remote: Address, message: WireMessage, as: Address = this.address): Promise<Uint8Array> {
    const bytes = Uint8Array.from(message.bytes);
    if (message.type === ls.CiphertextMessageType.PreKey) {
      const pk = ls.PreKeySignalMessage.deserialize(bytes);
      return ls.signalDecryptPreKey(pk, remote, as, this.sessions, this.identities, this.preKeys, this.signed, this.kyber);
    }
    return ls.signalDecrypt(ls.SignalMessage.deserialize(bytes), remote, as, this.sessions, this.identities);
  }

  rawSession(remote: Address): Uint8Array {
    return this.sessions.records.get(key(remote))!.serialize();
  }

  holdRecord(bytes: Uint8Array): unknown {
    return ls.SessionRecord.deserialize(bytes as Uint8Array<ArrayBuffer>);
  }
}
