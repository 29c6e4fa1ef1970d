/**
 * libsignal-client peers for the SPQR interop probes: in-memory stores and a
 * prekey bundle, for 0.103.0 (`peerKit(lib103)`) or, through the same code,
 * 0.90.0 (`peerKit(lib090, { legacyAddresses: true })`; its calls take no
 * localAddress). Test-only (libsignal is AGPL; nothing here is shipped).
 * Import the libsignal module dynamically so each test process loads one
 * native addon.
 */
import type * as LsTypes from '@signalapp/libsignal-client-0103';
import { libsignalAddressKey, libsignalStoreClasses } from '@sealpost/devkit/libsignal-stores';
import { ProtoReader } from '../../src/spqr/protobuf.ts';

export type Lib = typeof LsTypes;

export function peerKit(lib: Lib, opts: { legacyAddresses?: boolean } = {}) {
  const ls = lib;
  const legacy = opts.legacyAddresses === true;

  const key = libsignalAddressKey;
  const { SerializedSessions: Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys } = libsignalStoreClasses(ls);

  class Peer {
    readonly address: LsTypes.ProtocolAddress;
    readonly sessions = new Sessions();
    readonly identity: LsTypes.IdentityKeyPair;
    private readonly identities: InstanceType<typeof Identities>;
    private readonly preKeys = new PreKeys();
    private readonly signed = new SignedPreKeys();
    private readonly kyber = new KyberPreKeys();

    /** `sameAccountAs`: another device of that peer's account (same service id and identity key). */
    constructor(
      uuid: string,
      private readonly regId: number,
      deviceId = 1,
      sameAccountAs?: Peer,
    ) {
      this.address = ls.ProtocolAddress.new(uuid, deviceId);
      this.identity = sameAccountAs?.identity ?? ls.IdentityKeyPair.generate();
      this.identities = new Identities(this.identity, regId);
    }

    async bundle(withOneTime: boolean): Promise<LsTypes.PreKeyBundle> {
      const pre = ls.PrivateKey.generate();
      const spk = ls.PrivateKey.generate();
      const spkSig = this.identity.privateKey.sign(spk.getPublicKey().serialize());
      const kem = ls.KEMKeyPair.generate();
      const kemSig = this.identity.privateKey.sign(kem.getPublicKey().serialize());
      await this.preKeys.savePreKey(1, ls.PreKeyRecord.new(1, pre.getPublicKey(), pre));
      await this.signed.saveSignedPreKey(2, ls.SignedPreKeyRecord.new(2, 0, spk.getPublicKey(), spk, spkSig));
      await this.kyber.saveKyberPreKey(3, ls.KyberPreKeyRecord.new(3, 0, kem, kemSig));
      return ls.PreKeyBundle.new(
        this.regId, this.address.deviceId(),
        withOneTime ? 1 : null, withOneTime ? pre.getPublicKey() : null,
        2, spk.getPublicKey(), spkSig,
        this.identity.publicKey,
        3, kem.getPublicKey(), kemSig,
      );
    }

    /** libsignal's argument list: 0.90 has no localAddress after the remote address. */
    private args(remote: LsTypes.ProtocolAddress, ...rest: unknown[]): never {
      return (legacy ? [remote, ...rest] : [remote, this.address, ...rest]) as never;
    }

    async startSession(peer: Peer, withOneTime: boolean): Promise<void> {
      const bundle = await peer.bundle(withOneTime);
      await (ls.processPreKeyBundle as (...a: unknown[]) => Promise<void>)(bundle, ...(this.args(peer.address, this.sessions, this.identities) as unknown[]));
    }

    /** processPreKeyBundle with any bundle (e.g. a Sealpost device's). */
    async startSessionWith(remote: LsTypes.ProtocolAddress, bundle: LsTypes.PreKeyBundle): Promise<void> {
      await (ls.processPreKeyBundle as (...a: unknown[]) => Promise<void>)(bundle, ...(this.args(remote, this.sessions, this.identities) as unknown[]));
    }

    async encrypt(to: Pick<Peer, 'address'>, text: Uint8Array<ArrayBuffer>): Promise<LsTypes.CiphertextMessage> {
      return (ls.signalEncrypt as (...a: unknown[]) => Promise<LsTypes.CiphertextMessage>)(text, ...(this.args(to.address, this.sessions, this.identities) as unknown[]));
    }

    async decrypt(from: Pick<Peer, 'address'>, m: LsTypes.CiphertextMessage): Promise<Uint8Array<ArrayBuffer>> {
      if (m.type() === ls.CiphertextMessageType.PreKey) {
        const pk = ls.PreKeySignalMessage.deserialize(m.serialize());
        const rest = this.args(from.address, this.sessions, this.identities, this.preKeys, this.signed, this.kyber) as unknown[];
        return (ls.signalDecryptPreKey as (...a: unknown[]) => Promise<Uint8Array<ArrayBuffer>>)(pk, ...rest);
      }
      const rest = this.args(from.address, this.sessions, this.identities) as unknown[];
      return (ls.signalDecrypt as (...a: unknown[]) => Promise<Uint8Array<ArrayBuffer>>)(ls.SignalMessage.deserialize(m.serialize()), ...rest);
    }

    record(with_: Pick<Peer, 'address'>): Uint8Array {
      return this.sessions.records.get(key(with_.address))!;
    }
  }

  /** SignalMessage field 5 via libsignal's own parser (cross-check of ours). */
  function libsignalPqRatchet(signal: Uint8Array): Uint8Array {
    return Uint8Array.from(ls.SignalMessage.deserialize(Uint8Array.from(signal)).pqRatchet());
  }

  return { Peer, libsignalPqRatchet, ls };
}

export type PeerKit = ReturnType<typeof peerKit>;
export type LsPeer = InstanceType<PeerKit['Peer']>;

/** SessionStructure.pq_ratchet_state (field 15) of the current session and of every previous one. */
export function pqStatesOf(record: Uint8Array): { current: Uint8Array; previous: Uint8Array[] } {
  const r = new ProtoReader(record);
  const cur = new ProtoReader(r.bytes(1));
  return { current: cur.bytes(15), previous: r.repeatedBytes(2).map((s) => new ProtoReader(s).bytes(15)) };
}

/** The serialized SignalMessage (version ‖ protobuf ‖ MAC) inside a (PreKey)SignalMessage. */
export function signalMessageOf(m: LsTypes.CiphertextMessage): Uint8Array {
  const bytes = m.serialize();
  return m.type() === 3 /* CiphertextMessageType.PreKey */ ? new ProtoReader(bytes.subarray(1)).bytes(4) : bytes;
}

/** The current session's sending chain key (SessionStructure.sender_chain.chain_key.key). */
export function senderChainKeyOf(record: Uint8Array): Uint8Array {
  const session = new ProtoReader(new ProtoReader(record).bytes(1));
  return new ProtoReader(new ProtoReader(session.bytes(6)).bytes(3)).bytes(2);
}

/** SignalMessage field 5 of a serialized (PreKey)SignalMessage, parsed by hand and via libsignal. */
export function pqPayloadOf(kit: PeerKit, m: LsTypes.CiphertextMessage): Uint8Array {
  const signal = signalMessageOf(m);
  const mine = new ProtoReader(signal.subarray(1, signal.length - 8)).bytes(5);
  const theirs = kit.libsignalPqRatchet(signal);
  if (Buffer.compare(mine, theirs) !== 0) throw new Error('field 5 parse disagrees with libsignal');
  return theirs;
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let shift = 1;
  for (;;) {
    const x = b[at++]!;
    v += (x & 0x7f) * shift;
    shift *= 128;
    if ((x & 0x80) === 0) return [v, at];
  }
}
function writeVarint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Replaces length-delimited field `field` of a protobuf message, keeping every other byte. */
export function replaceField(msg: Uint8Array, field: number, value: Uint8Array): Uint8Array {
  const out: number[] = [];
  let at = 0;
  let done = false;
  const emit = () => out.push(...writeVarint((field << 3) | 2), ...writeVarint(value.length), ...value);
  while (at < msg.length) {
    const start = at;
    const [key, a1] = readVarint(msg, at);
    at = a1;
    const wire = key & 7;
    if (wire === 0) at = readVarint(msg, at)[1];
    else if (wire === 2) {
      const [len, a2] = readVarint(msg, at);
      at = a2 + len;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error('unsupported wire type');
    if (key >>> 3 === field) continue;
    if (!done && key >>> 3 > field) {
      emit();
      done = true;
    }
    out.push(...msg.subarray(start, at));
  }
  if (!done) emit();
  return Uint8Array.from(out);
}

/** A session record whose current session carries `pq` as its pq_ratchet_state. */
export function withPqState(record: Uint8Array, pq: Uint8Array): Uint8Array<ArrayBuffer> {
  const current = new ProtoReader(record).bytes(1);
  return Uint8Array.from(replaceField(record, 1, replaceField(current, 15, pq)));
}

/** Overwrites the stored session `peer` ↔ `with_` with `record`. */
export function storeRecord(peer: LsPeer, with_: LsPeer, record: Uint8Array<ArrayBuffer>): void {
  peer.sessions.records.set(`${with_.address.name()}.${with_.address.deviceId()}`, record);
}
