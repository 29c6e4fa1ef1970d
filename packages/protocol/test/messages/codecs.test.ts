import { describe, expect, it } from 'vitest';
import { InvalidMessageError, InvalidVersionError, SealpostError } from '../../src/errors.ts';
import { generateCurveKeyPair } from '../../src/keys/curve-key.ts';
import { decodePreKeySignalMessage, encodePreKeySignalMessage } from '../../src/messages/prekey-signal-message.ts';
import {
  decodeSignalMessage,
  encodeSignalMessage,
  verifySignalMessageMac,
} from '../../src/messages/signal-message.ts';
import { hmacSha256 } from '../../src/primitives/index.ts';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const senderId = generateCurveKeyPair(fill(32, 1)).publicKey;
const receiverId = generateCurveKeyPair(fill(32, 2)).publicKey;
const ratchet = generateCurveKeyPair(fill(32, 3)).publicKey;
const macKey = fill(32, 4);

function sample(counter = 5) {
  return encodeSignalMessage({
    messageVersion: 4,
    macKey,
    senderRatchetKey: ratchet,
    counter,
    previousCounter: 2,
    ciphertext: fill(32, 0xaa),
    senderIdentity: senderId,
    receiverIdentity: receiverId,
  });
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SealpostError) return e.code;
    return `untyped: ${String(e)}`;
  }
  return 'no error';
}

describe('SignalMessage codec', () => {
  it('frames version 0x44 || protobuf(1,2,3,4) || 8-byte MAC over both identities', () => {
    const m = sample();
    const s = m.serialized;
    expect(s[0]).toBe(0x44);
    // Fields in tag order: ratchet_key(0x0a, len 33), counter(0x10), previous_counter(0x18), ciphertext(0x22).
    expect(Array.from(s.subarray(1, 3))).toEqual([0x0a, 33]);
    expect(Array.from(s.subarray(36, 40))).toEqual([0x10, 5, 0x18, 2]);
    expect(s[40]).toBe(0x22);
    const content = s.subarray(0, s.length - 8);
    const expected = hmacSha256(macKey, new Uint8Array([...senderId, ...receiverId, ...content])).subarray(0, 8);
    expect(s.subarray(s.length - 8)).toEqual(expected);
    const back = decodeSignalMessage(s);
    expect(back.counter).toBe(5);
    expect(back.previousCounter).toBe(2);
    expect(back.senderRatchetKey).toEqual(ratchet);
    expect(verifySignalMessageMac(back, senderId, receiverId, macKey)).toBe(true);
    expect(verifySignalMessageMac(back, receiverId, senderId, macKey)).toBe(false);
  });

  it('writes counter 0 explicitly (libsignal requires the field present)', () => {
    const s = sample(0).serialized;
    expect(Array.from(s.subarray(36, 38))).toEqual([0x10, 0]);
    expect(decodeSignalMessage(s).counter).toBe(0);
  });

  it('MAC is checked over the received bytes, so an SPQR field 5 stays covered', () => {
    const m = sample();
    const body = m.serialized.subarray(1, m.serialized.length - 8);
    const withPq = new Uint8Array([0x44, ...body, 0x2a, 3, 1, 2, 3]);
    const mac = hmacSha256(macKey, new Uint8Array([...senderId, ...receiverId, ...withPq])).subarray(0, 8);
    const framed = new Uint8Array([...withPq, ...mac]);
    const parsed = decodeSignalMessage(framed);
    expect(parsed.pqRatchet).toEqual(Uint8Array.of(1, 2, 3));
    expect(verifySignalMessageMac(parsed, senderId, receiverId, macKey)).toBe(true);
    framed[framed.length - 10]! ^= 1; // inside the pq_ratchet payload
    expect(verifySignalMessageMac(decodeSignalMessage(framed), senderId, receiverId, macKey)).toBe(false);
  });

  it('truncated, oversized-field and wrong-version input give typed errors', () => {
    const s = sample().serialized;
    expect(codeOf(() => decodeSignalMessage(new Uint8Array(0)))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodeSignalMessage(s.subarray(0, 8)))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodeSignalMessage(s.subarray(0, 20)))).toBe('INVALID_MESSAGE');
    for (const v of [0x24, 0x34 - 0x10, 0x54, 0xf4]) {
      const w = s.slice();
      w[0] = v;
      expect(decodeSignalMessage.bind(null, w)).toThrow(InvalidVersionError);
    }
    // A 34-byte ratchet key.
    const big = new Uint8Array([0x44, 0x0a, 34, ...ratchet, 0, 0x10, 1, 0x22, 1, 0, ...fill(8, 0)]);
    expect(decodeSignalMessage.bind(null, big)).toThrow(InvalidMessageError);
    // A counter varint that overflows 64 bits.
    const overflow = new Uint8Array([0x44, 0x0a, 33, ...ratchet, 0x10, ...fill(10, 0xff), 0x01, 0x22, 1, 0, ...fill(8, 0)]);
    expect(codeOf(() => decodeSignalMessage(overflow))).toBe('INVALID_MESSAGE');
    // Missing counter.
    const noCounter = new Uint8Array([0x44, 0x0a, 33, ...ratchet, 0x22, 1, 0, ...fill(8, 0)]);
    expect(codeOf(() => decodeSignalMessage(noCounter))).toBe('INVALID_MESSAGE');
    // Not a Uint8Array.
    expect(codeOf(() => decodeSignalMessage('x' as unknown as Uint8Array))).toBe('INVALID_MESSAGE');
  });
});

describe('PreKeySignalMessage codec', () => {
  const fields = {
    messageVersion: 4,
    registrationId: 1234,
    preKeyId: 9 as number | undefined,
    signedPreKeyId: 7,
    kyberPreKeyId: 11 as number | undefined,
    kyberCiphertext: new Uint8Array([0x08, ...fill(1568, 5)]) as Uint8Array | undefined,
    baseKey: generateCurveKeyPair(fill(32, 6)).publicKey,
    identityKey: senderId,
    message: sample(),
  };

  it('round-trips, fields in ascending tag order as libsignal writes them', () => {
    const m = encodePreKeySignalMessage(fields);
    expect(m.serialized[0]).toBe(0x44);
    expect(m.serialized[1]).toBe(0x08); // pre_key_id first
    const back = decodePreKeySignalMessage(m.serialized);
    expect(back.registrationId).toBe(1234);
    expect(back.preKeyId).toBe(9);
    expect(back.signedPreKeyId).toBe(7);
    expect(back.kyberPreKeyId).toBe(11);
    expect(back.kyberCiphertext).toEqual(fields.kyberCiphertext);
    expect(back.baseKey).toEqual(fields.baseKey);
    expect(back.message.serialized).toEqual(fields.message.serialized);
  });

  it('omits the one-time prekey id when none was used', () => {
    const m = encodePreKeySignalMessage({ ...fields, preKeyId: undefined });
    expect(decodePreKeySignalMessage(m.serialized).preKeyId).toBeUndefined();
  });

  it('refuses a v4 message without Kyber material, and half-present Kyber material', () => {
    const none = encodePreKeySignalMessage({ ...fields, kyberPreKeyId: undefined, kyberCiphertext: undefined });
    expect(codeOf(() => decodePreKeySignalMessage(none.serialized))).toBe('INVALID_MESSAGE');
  });

  it('truncation anywhere gives a typed error, never a crash', () => {
    const s = encodePreKeySignalMessage(fields).serialized;
    for (let n = 0; n < s.length; n += 7) {
      const code = codeOf(() => decodePreKeySignalMessage(s.subarray(0, n)));
      expect(['INVALID_MESSAGE', 'INVALID_VERSION']).toContain(code);
    }
    const w = s.slice();
    w[0] = 0x54;
    expect(codeOf(() => decodePreKeySignalMessage(w))).toBe('INVALID_VERSION');
  });
});
