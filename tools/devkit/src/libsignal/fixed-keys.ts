/**
 * Loading keys WE provide into libsignal-client 0.90.0.
 *
 * - EC keys: `PrivateKey.deserialize(raw32)` takes the raw 32-byte scalar.
 * - Kyber1024: 0.90 has `KEMSecretKey.deserialize` but no way to build a
 *   `KEMKeyPair` from parts, so we build the stored record instead:
 *   `KyberPreKeyRecord.deserialize` accepts libsignal's storage protobuf
 *   `SignedPreKeyRecordStructure { id=1 uint32, public_key=2 bytes,
 *   private_key=3 bytes, signature=4 bytes, timestamp=5 fixed64 }`, whose
 *   key fields hold the 0x08-prefixed serialized Kyber keys. We encode it with
 *   @bufbuild/protobuf's wire writer.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { KyberPreKeyRecord } from '@signalapp/libsignal-client';

/** Kyber1024 key-type byte in libsignal's serialized KEM keys. */
export const KYBER1024_KEY_TYPE = 0x08;
/** Curve25519 key-type byte in libsignal's serialized public keys. */
export const DJB_KEY_TYPE = 0x05;

/**
 * Copies into a fresh ArrayBuffer-backed array: libsignal's typings demand
 * `Uint8Array<ArrayBuffer>` and Node Buffers may sit on a shared pool.
 */
export function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

/** Prefixes a raw key with its libsignal type byte. */
export function withKeyType(type: number, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length + 1);
  out[0] = type;
  out.set(raw, 1);
  return out;
}

/** Encodes libsignal's `SignedPreKeyRecordStructure` storage protobuf. */
export function encodeSignedPreKeyRecordStructure(fields: {
  id: number;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  signature: Uint8Array;
  timestamp: number;
}): Uint8Array {
  return new BinaryWriter()
    .tag(1, WireType.Varint)
    .uint32(fields.id)
    .tag(2, WireType.LengthDelimited)
    .bytes(fields.publicKey)
    .tag(3, WireType.LengthDelimited)
    .bytes(fields.privateKey)
    .tag(4, WireType.LengthDelimited)
    .bytes(fields.signature)
    .tag(5, WireType.Bit64)
    .fixed64(fields.timestamp)
    .finish();
}

/**
 * A libsignal `KyberPreKeyRecord` holding a Kyber1024 key pair we chose.
 * Accepts keys raw (1568 / 3168 bytes) or already 0x08-prefixed.
 */
export function kyberPreKeyRecordFromRaw(
  id: number,
  timestamp: number,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
  signature: Uint8Array,
): KyberPreKeyRecord {
  const pub = publicKey.length === 1568 ? withKeyType(KYBER1024_KEY_TYPE, publicKey) : publicKey;
  const sec = secretKey.length === 3168 ? withKeyType(KYBER1024_KEY_TYPE, secretKey) : secretKey;
  const bytes = encodeSignedPreKeyRecordStructure({ id, publicKey: pub, privateKey: sec, signature, timestamp });
  return KyberPreKeyRecord.deserialize(ab(bytes));
}

/** One chain of libsignal's `SessionStructure.Chain`. */
export interface LibsignalChainFields {
  /** 33-byte serialized ratchet public key. */
  senderRatchetKey: Uint8Array;
  /** 32-byte private key (sender chain only). */
  senderRatchetKeyPrivate?: Uint8Array;
  chainKeyIndex: number;
  chainKey: Uint8Array;
}

/** The fields of libsignal's storage `SessionStructure` a PQXDH session uses. */
export interface LibsignalSessionFields {
  sessionVersion: number;
  localIdentityPublic: Uint8Array;
  remoteIdentityPublic: Uint8Array;
  rootKey: Uint8Array;
  previousCounter: number;
  senderChain: LibsignalChainFields;
  receiverChains: LibsignalChainFields[];
  pendingPreKey?: { preKeyId?: number; signedPreKeyId: number; baseKey: Uint8Array; timestampSeconds: number };
  pendingKyberPreKey?: { preKeyId: number; ciphertext: Uint8Array };
  remoteRegistrationId: number;
  localRegistrationId: number;
  aliceBaseKey: Uint8Array;
}

function encodeChain(c: LibsignalChainFields): Uint8Array {
  const w = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(c.senderRatchetKey);
  if (c.senderRatchetKeyPrivate !== undefined) w.tag(2, WireType.LengthDelimited).bytes(c.senderRatchetKeyPrivate);
  const ck = new BinaryWriter().tag(1, WireType.Varint).uint32(c.chainKeyIndex).tag(2, WireType.LengthDelimited).bytes(c.chainKey).finish();
  return w.tag(3, WireType.LengthDelimited).bytes(ck).finish();
}

/**
 * Encodes libsignal's storage `RecordStructure { current_session = 1 }`
 * around a `SessionStructure` built from explicit fields (field numbers from
 * libsignal's storage.proto). Used to hand libsignal a session state whose
 * keys we derived, so libsignal can check messages produced against it.
 * The SPQR state (field 15) is left empty: a session without SPQR.
 */
export function encodeLibsignalSessionRecord(s: LibsignalSessionFields): Uint8Array {
  const w = new BinaryWriter()
    .tag(1, WireType.Varint)
    .uint32(s.sessionVersion)
    .tag(2, WireType.LengthDelimited)
    .bytes(s.localIdentityPublic)
    .tag(3, WireType.LengthDelimited)
    .bytes(s.remoteIdentityPublic)
    .tag(4, WireType.LengthDelimited)
    .bytes(s.rootKey)
    .tag(5, WireType.Varint)
    .uint32(s.previousCounter)
    .tag(6, WireType.LengthDelimited)
    .bytes(encodeChain(s.senderChain));
  for (const c of s.receiverChains) w.tag(7, WireType.LengthDelimited).bytes(encodeChain(c));
  if (s.pendingPreKey !== undefined) {
    const p = new BinaryWriter();
    if (s.pendingPreKey.preKeyId !== undefined) p.tag(1, WireType.Varint).uint32(s.pendingPreKey.preKeyId);
    p.tag(2, WireType.LengthDelimited)
      .bytes(s.pendingPreKey.baseKey)
      .tag(3, WireType.Varint)
      .int32(s.pendingPreKey.signedPreKeyId)
      .tag(4, WireType.Varint)
      .uint64(s.pendingPreKey.timestampSeconds);
    w.tag(9, WireType.LengthDelimited).bytes(p.finish());
  }
  w.tag(10, WireType.Varint).uint32(s.remoteRegistrationId).tag(11, WireType.Varint).uint32(s.localRegistrationId);
  w.tag(13, WireType.LengthDelimited).bytes(s.aliceBaseKey);
  if (s.pendingKyberPreKey !== undefined) {
    const k = new BinaryWriter()
      .tag(1, WireType.Varint)
      .uint32(s.pendingKyberPreKey.preKeyId)
      .tag(2, WireType.LengthDelimited)
      .bytes(s.pendingKyberPreKey.ciphertext)
      .finish();
    w.tag(14, WireType.LengthDelimited).bytes(k);
  }
  const session = w.finish();
  return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(session).finish();
}

function readFields(bytes: Uint8Array): Map<number, (Uint8Array | bigint | number)[]> {
  const out = new Map<number, (Uint8Array | bigint | number)[]>();
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    let v: Uint8Array | bigint | number;
    if (type === WireType.LengthDelimited) v = r.bytes();
    else if (type === WireType.Varint) v = BigInt(r.uint64());
    else if (type === WireType.Bit64) v = BigInt(r.fixed64());
    else {
      r.skip(type, no);
      continue;
    }
    const list = out.get(no) ?? [];
    list.push(v);
    out.set(no, list);
  }
  return out;
}

const one = (f: Map<number, (Uint8Array | bigint | number)[]>, no: number): Uint8Array | bigint | number | undefined => f.get(no)?.[0];
const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const numOf = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);

function decodeChain(bytes: Uint8Array): LibsignalChainFields & { messageKeyCount: number } {
  const f = readFields(bytes);
  const ck = readFields(bytesOf(one(f, 3)));
  const priv = one(f, 2);
  return {
    senderRatchetKey: bytesOf(one(f, 1)),
    ...(priv instanceof Uint8Array ? { senderRatchetKeyPrivate: priv } : {}),
    chainKeyIndex: numOf(one(ck, 1)),
    chainKey: bytesOf(one(ck, 2)),
    messageKeyCount: f.get(4)?.length ?? 0,
  };
}

/**
 * Decodes the current session of a serialized libsignal `SessionRecord`
 * (storage.proto field numbers) so tests can compare libsignal's derived
 * state with ours. Returns undefined when there is no current session.
 */
export function decodeLibsignalSessionRecord(record: Uint8Array):
  | (Omit<LibsignalSessionFields, 'senderChain' | 'receiverChains'> & {
      senderChain: (LibsignalChainFields & { messageKeyCount: number }) | undefined;
      receiverChains: (LibsignalChainFields & { messageKeyCount: number })[];
      pqRatchetStateLength: number;
      previousSessionCount: number;
    })
  | undefined {
  const rec = readFields(record);
  const current = one(rec, 1);
  if (!(current instanceof Uint8Array)) return undefined;
  const f = readFields(current);
  const sender = one(f, 6);
  const pending = one(f, 9);
  const pendingKyber = one(f, 14);
  let pendingPreKey: LibsignalSessionFields['pendingPreKey'];
  if (pending instanceof Uint8Array) {
    const p = readFields(pending);
    const id = one(p, 1);
    pendingPreKey = {
      ...(id !== undefined ? { preKeyId: numOf(id) } : {}),
      baseKey: bytesOf(one(p, 2)),
      signedPreKeyId: numOf(one(p, 3)),
      timestampSeconds: numOf(one(p, 4)),
    };
  }
  let pendingKyberPreKey: LibsignalSessionFields['pendingKyberPreKey'];
  if (pendingKyber instanceof Uint8Array) {
    const k = readFields(pendingKyber);
    pendingKyberPreKey = { preKeyId: numOf(one(k, 1)), ciphertext: bytesOf(one(k, 2)) };
  }
  return {
    sessionVersion: numOf(one(f, 1)),
    localIdentityPublic: bytesOf(one(f, 2)),
    remoteIdentityPublic: bytesOf(one(f, 3)),
    rootKey: bytesOf(one(f, 4)),
    previousCounter: numOf(one(f, 5)),
    senderChain: sender instanceof Uint8Array ? decodeChain(sender) : undefined,
    receiverChains: (f.get(7) ?? []).map((c) => decodeChain(bytesOf(c))),
    ...(pendingPreKey !== undefined ? { pendingPreKey } : {}),
    ...(pendingKyberPreKey !== undefined ? { pendingKyberPreKey } : {}),
    remoteRegistrationId: numOf(one(f, 10)),
    localRegistrationId: numOf(one(f, 11)),
    aliceBaseKey: bytesOf(one(f, 13)),
    pqRatchetStateLength: bytesOf(one(f, 15)).length,
    previousSessionCount: rec.get(2)?.length ?? 0,
  };
}
