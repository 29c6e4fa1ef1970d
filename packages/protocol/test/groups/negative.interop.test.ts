/**
 * Bad input against libsignal-client 0.90: flipped ciphertext or signature
 * bytes, wrong versions, wrong lengths, missing fields. Sealpost throws a
 * typed error wherever libsignal refuses (and accepts where it accepts),
 * and no failure changes a record: ours and libsignal's stay byte-identical.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  SenderKeyDistributionMessage,
  SenderKeyMessage as LsSenderKeyMessage,
  SenderKeyRecord as LsSenderKeyRecord,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import { SealpostError } from '../../src/errors.ts';
import { SenderKeyDistributionMessageSchema, SenderKeyMessageSchema } from '../../src/gen/wire_pb.ts';
import {
  InvalidMessageError,
  InvalidRecordError,
  InvalidSenderKeySessionError,
  InvalidSignatureError,
  InvalidVersionError,
  NoSenderKeyStateError,
  createDistributionMessage,
  decodeDistributionMessage,
  decodeSenderKeyMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
} from '../../src/groups/index.ts';
import { concatBytes, uuidToBytes, xeddsaSign } from '../../src/primitives/index.ts';
import { libsignalFailure, libsignalMember, utf8, expectSameBytes } from './helpers.ts';

const DIST = randomUUID();

/** A chain shared by a Sealpost member and a libsignal member. */
async function setup() {
  const created = createDistributionMessage(undefined, DIST);
  const ours = processDistributionMessage(undefined, created.message.serialized);
  const ls = libsignalMember();
  await processSenderKeyDistributionMessage(ls.address, SenderKeyDistributionMessage.deserialize(ab(created.message.serialized)), ls.store);
  const signingPrivateKey = created.record.states[0]!.signingKey!.privateKey;
  return { created, ours, ls, signingPrivateKey };
}

/** A SenderKeyMessage with a hand-made body and version byte, correctly signed. */
function signedSkm(versionByte: number, fields: Record<string, unknown>, signingPrivateKey: Uint8Array): Uint8Array {
  const body = toBinary(SenderKeyMessageSchema, create(SenderKeyMessageSchema, fields));
  const unsigned = concatBytes(Uint8Array.of(versionByte), body);
  return concatBytes(unsigned, xeddsaSign(signingPrivateKey, unsigned));
}

/** An SKDM with a hand-made body and version byte. */
function rawSkdm(versionByte: number, fields: Record<string, unknown>): Uint8Array {
  return concatBytes(Uint8Array.of(versionByte), toBinary(SenderKeyDistributionMessageSchema, create(SenderKeyDistributionMessageSchema, fields)));
}

describe('sender key negative interop (libsignal-client 0.90)', () => {
  it('interop: flipped ciphertext or signature bytes are refused by both; neither record changes', async () => {
    const { created, ours, ls } = await setup();
    const good = groupEncrypt(created.record, DIST, utf8('some plaintext that spans blocks')).message.serialized;
    const before = serializeSenderKeyRecord(ours);
    const lsBefore = ls.store.recordBytes(ls.address, DIST);
    expectSameBytes(lsBefore, before);
    const ciphertextAt = good.length - 64 - 5;
    for (const at of [ciphertextAt, good.length - 64, good.length - 1, 1]) {
      const bad = good.slice();
      bad[at]! ^= 0x01;
      let ourError: unknown;
      try {
        groupDecrypt(ours, bad);
      } catch (e) {
        ourError = e;
      }
      expect(ourError).toBeInstanceOf(SealpostError);
      if (at !== 1) expect(ourError).toBeInstanceOf(InvalidSignatureError);
      const failure = await libsignalFailure(() => lsGroupDecrypt(ls.address, ls.store, ab(bad)));
      if (at !== 1) expect(failure.message).toMatch(/signature/i);
      expectSameBytes(serializeSenderKeyRecord(ours), before);
      expectSameBytes(ls.store.recordBytes(ls.address, DIST), lsBefore);
    }
    // The untouched message still decrypts in both.
    expect(groupDecrypt(ours, good).plaintext).toEqual(utf8('some plaintext that spans blocks'));
    expect(await lsGroupDecrypt(ls.address, ls.store, ab(good))).toEqual(utf8('some plaintext that spans blocks'));
  });

  it('interop: version bytes: a high nibble of 2 or 4 is refused by both, the low nibble is ignored by both', async () => {
    const { created, ours, ls, signingPrivateKey } = await setup();
    const chainId = created.message.chainId;
    const fields = { distributionUuid: uuidToBytes(DIST), chainId, iteration: 0 };
    const ciphertext = groupEncrypt(created.record, DIST, utf8('v')).message.ciphertext;
    for (const versionByte of [0x23, 0x43, 0x03, 0xf3]) {
      const bad = signedSkm(versionByte, { ...fields, ciphertext }, signingPrivateKey);
      expect(() => decodeSenderKeyMessage(bad)).toThrow(InvalidVersionError);
      expect(() => LsSenderKeyMessage.deserialize(ab(bad))).toThrow(/version/i);
      expect(() => groupDecrypt(ours, bad)).toThrow(InvalidVersionError);
      const skdm = created.message.serialized.slice();
      skdm[0] = versionByte;
      expect(() => decodeDistributionMessage(skdm)).toThrow(InvalidVersionError);
      expect(() => SenderKeyDistributionMessage.deserialize(ab(skdm))).toThrow(/version/i);
    }
    // 0x3f: version 3 with another low nibble, signed as sent: both decrypt it.
    const odd = signedSkm(0x3f, { ...fields, ciphertext }, signingPrivateKey);
    expect(groupDecrypt(ours, odd).plaintext).toEqual(utf8('v'));
    expect(await lsGroupDecrypt(ls.address, ls.store, ab(odd))).toEqual(utf8('v'));
  });

  it('interop: wrong lengths and missing fields are refused by both decoders', () => {
    const priv = createDistributionMessage(undefined, DIST).record.states[0]!.signingKey!.privateKey;
    const uuid = uuidToBytes(DIST);
    const full = { distributionUuid: uuid, chainId: 5, iteration: 9, ciphertext: new Uint8Array(16) };
    const skms: [string, Uint8Array][] = [
      ['15-byte distribution id', signedSkm(0x33, { ...full, distributionUuid: uuid.subarray(0, 15) }, priv)],
      ['17-byte distribution id', signedSkm(0x33, { ...full, distributionUuid: concatBytes(uuid, Uint8Array.of(0)) }, priv)],
      ['no distribution id', signedSkm(0x33, { chainId: 5, iteration: 9, ciphertext: new Uint8Array(16) }, priv)],
      ['no chain id', signedSkm(0x33, { distributionUuid: uuid, iteration: 9, ciphertext: new Uint8Array(16) }, priv)],
      ['no iteration', signedSkm(0x33, { distributionUuid: uuid, chainId: 5, ciphertext: new Uint8Array(16) }, priv)],
      ['no ciphertext', signedSkm(0x33, { distributionUuid: uuid, chainId: 5, iteration: 9 }, priv)],
      ['64 bytes', new Uint8Array(64).fill(0x33)],
      ['empty', new Uint8Array(0)],
      ['bad protobuf', concatBytes(Uint8Array.of(0x33, 0x0a, 0x7f), new Uint8Array(64))],
    ];
    for (const [name, bytes] of skms) {
      expect(() => decodeSenderKeyMessage(bytes), name).toThrow(InvalidMessageError);
      expect(() => LsSenderKeyMessage.deserialize(ab(bytes)), name).toThrow();
    }
    const signingKey = createDistributionMessage(undefined, DIST).message.signingKey;
    const skdm = { distributionUuid: uuid, chainId: 5, iteration: 9, chainKey: new Uint8Array(32).fill(7), signingKey };
    const withKey = (k: Uint8Array) => ({ ...skdm, signingKey: k });
    const skdms: [string, Uint8Array][] = [
      ['31-byte chain key', rawSkdm(0x33, { ...skdm, chainKey: new Uint8Array(31) })],
      ['33-byte chain key', rawSkdm(0x33, { ...skdm, chainKey: new Uint8Array(33) })],
      ['32-byte signing key', rawSkdm(0x33, withKey(signingKey.subarray(1)))],
      ['34-byte signing key', rawSkdm(0x33, withKey(concatBytes(signingKey, Uint8Array.of(0))))],
      ['signing key type 0x06', rawSkdm(0x33, withKey(concatBytes(Uint8Array.of(6), signingKey.subarray(1))))],
      ['15-byte distribution id', rawSkdm(0x33, { ...skdm, distributionUuid: uuid.subarray(0, 15) })],
      ['no iteration', rawSkdm(0x33, { distributionUuid: uuid, chainId: 5, chainKey: skdm.chainKey, signingKey })],
      ['no chain key', rawSkdm(0x33, { distributionUuid: uuid, chainId: 5, iteration: 1, signingKey })],
      ['64 bytes', new Uint8Array(64).fill(0x33)],
    ];
    for (const [name, bytes] of skdms) {
      expect(() => decodeDistributionMessage(bytes), name).toThrow(InvalidMessageError);
      expect(() => SenderKeyDistributionMessage.deserialize(ab(bytes)), name).toThrow();
    }
    // The well-formed one is accepted by both, with the same fields.
    const ok = rawSkdm(0x33, skdm);
    expect(decodeDistributionMessage(ok)).toMatchObject({ chainId: 5, iteration: 9 });
    expect(SenderKeyDistributionMessage.deserialize(ab(ok)).iteration()).toBe(9);
  });

  it('interop: no state, a foreign chain and a member record used to send are typed errors in both', async () => {
    const { created, ours, ls } = await setup();
    const message = groupEncrypt(created.record, DIST, utf8('x')).message.serialized;
    expect(() => groupDecrypt(undefined, message)).toThrow(NoSenderKeyStateError);
    const stranger = libsignalMember();
    expect((await libsignalFailure(() => lsGroupDecrypt(stranger.address, stranger.store, ab(message)))).message).toMatch(/missing sender key state/);
    const foreign = groupEncrypt(createDistributionMessage(undefined, DIST).record, DIST, utf8('x')).message.serialized;
    expect(() => groupDecrypt(ours, foreign)).toThrow(NoSenderKeyStateError);
    expect((await libsignalFailure(() => lsGroupDecrypt(ls.address, ls.store, ab(foreign)))).message).toMatch(/missing sender key state/);
    // Sending with a member's copy (no private key).
    expect(() => groupEncrypt(ours, DIST, utf8('x'))).toThrow(InvalidSenderKeySessionError);
    expect(() => groupEncrypt(undefined, DIST, utf8('x'))).toThrow(NoSenderKeyStateError);
    const failure = await libsignalFailure(() => lsGroupEncrypt(ls.address, DIST, ls.store, ab(utf8('x'))));
    expect(failure.message).toMatch(/invalid sender key session/i);
  });

  it('interop: malformed record bytes are refused by both', () => {
    const good = serializeSenderKeyRecord(createDistributionMessage(undefined, DIST).record);
    for (const bad of [Uint8Array.of(0x0a, 0x05, 0x08), Uint8Array.of(0x0a), concatBytes(good, Uint8Array.of(0x0a, 0x10))]) {
      expect(() => deserializeSenderKeyRecord(bad)).toThrow(InvalidRecordError);
      expect(() => LsSenderKeyRecord.deserialize(ab(bad))).toThrow();
    }
    expect(deserializeSenderKeyRecord(new Uint8Array(0)).states).toEqual([]);
    expectSameBytes(LsSenderKeyRecord.deserialize(ab(new Uint8Array(0))).serialize(), new Uint8Array(0));
  });
});
