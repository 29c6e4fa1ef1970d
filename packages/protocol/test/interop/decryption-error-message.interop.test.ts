/**
 * Issue 11 item 14: the retry request ("decryption-error message") is
 * libsignal's DecryptionErrorMessage, carried as a PlaintextContent — made
 * by us and parsed by libsignal-client 0.90.0, and the other way round; the
 * decoders refuse what libsignal refuses.
 */
import { describe, expect, it } from 'vitest';
import {
  CiphertextMessageType,
  DecryptionErrorMessage as LibDecryptionErrorMessage,
  PlaintextContent as LibPlaintextContent,
} from '@signalapp/libsignal-client';
import {
  InvalidMessageError,
  decodeDecryptionErrorMessage,
  decryptionErrorMessageForOriginal,
  encodeDecryptionErrorMessage,
  encodePlaintextContent,
  encodePreKeySignalMessage,
  encodeSignalMessage,
  extractDecryptionErrorMessage,
  generateCurveKeyPair,
  generateKyberKeyPair,
  kyberEncapsulate,
  plaintextContentBody,
} from '../../src/index.ts';
import { randomBytes } from '../../src/primitives/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(h, 'hex'));
const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** A framed SignalMessage (v4) with a fresh sender ratchet key. */
function signalMessage() {
  return encodeSignalMessage({
    messageVersion: 4,
    macKey: randomBytes(32),
    senderRatchetKey: generateCurveKeyPair().publicKey,
    counter: 3,
    previousCounter: 1,
    ciphertext: randomBytes(48),
    senderIdentity: generateCurveKeyPair().publicKey,
    receiverIdentity: generateCurveKeyPair().publicKey,
  });
}

function preKeySignalMessage() {
  const message = signalMessage();
  const kyber = generateKyberKeyPair();
  return {
    message,
    prekey: encodePreKeySignalMessage({
      messageVersion: 4,
      registrationId: 77,
      preKeyId: 5,
      signedPreKeyId: 6,
      kyberPreKeyId: 7,
      kyberCiphertext: kyberEncapsulate(kyber.publicKey).ciphertext,
      baseKey: generateCurveKeyPair().publicKey,
      identityKey: generateCurveKeyPair().publicKey,
      message,
    }),
  };
}

describe('interop: DecryptionErrorMessage and PlaintextContent against libsignal-client 0.90.0', () => {
  it('interop: a DecryptionErrorMessage made by Sealpost (forOriginal) is parsed by libsignal with equal fields, and serializes to the same bytes', () => {
    const original = signalMessage();
    const ours = decryptionErrorMessageForOriginal(original.serialized, 2, 1_733_000_000_123, 3);
    const encoded = encodeDecryptionErrorMessage(ours);
    const theirs = LibDecryptionErrorMessage.deserialize(own(encoded));
    expect(theirs.timestamp()).toBe(1_733_000_000_123);
    expect(theirs.deviceId()).toBe(3);
    expect(hex(theirs.ratchetKey()!.serialize())).toBe(hex(original.senderRatchetKey));
    expect(hex(theirs.serialize())).toBe(hex(encoded));
    // libsignal's own forOriginal of the same message gives the same bytes.
    const lib = LibDecryptionErrorMessage.forOriginal(own(original.serialized), CiphertextMessageType.Whisper, 1_733_000_000_123, 3);
    expect(hex(lib.serialize())).toBe(hex(encoded));
  });

  it('interop: a DecryptionErrorMessage made by libsignal (forOriginal, all message types) is parsed by Sealpost', () => {
    const { message, prekey } = preKeySignalMessage();
    const cases = [
      { type: CiphertextMessageType.Whisper, bytes: message.serialized, key: message.senderRatchetKey },
      { type: CiphertextMessageType.PreKey, bytes: prekey.serialized, key: message.senderRatchetKey },
      { type: CiphertextMessageType.SenderKey, bytes: randomBytes(10), key: undefined },
    ];
    for (const [i, c] of cases.entries()) {
      const lib = LibDecryptionErrorMessage.forOriginal(own(c.bytes), c.type, 1_700_000_000_000 + i, 9 + i);
      const ours = decodeDecryptionErrorMessage(lib.serialize());
      expect(ours.timestamp).toBe(1_700_000_000_000 + i);
      expect(ours.deviceId).toBe(9 + i);
      expect(ours.ratchetKey === undefined ? undefined : hex(ours.ratchetKey)).toBe(c.key === undefined ? undefined : hex(c.key));
      // Our forOriginal agrees on every type.
      expect(hex(encodeDecryptionErrorMessage(decryptionErrorMessageForOriginal(c.bytes, c.type, 1_700_000_000_000 + i, 9 + i)))).toBe(hex(lib.serialize()));
    }
    expect(() => decryptionErrorMessageForOriginal(randomBytes(10), 8, 1, 1)).toThrow();
    expect(() => LibDecryptionErrorMessage.forOriginal(own(randomBytes(10)), CiphertextMessageType.Plaintext, 1, 1)).toThrow();
  });

  it('interop: PlaintextContent bytes round-trip both ways', () => {
    const dem = { ratchetKey: generateCurveKeyPair().publicKey, timestamp: 1_733_111_222_333, deviceId: 2 };
    const ours = encodePlaintextContent(dem);
    const lib = LibPlaintextContent.from(LibDecryptionErrorMessage.deserialize(own(encodeDecryptionErrorMessage(dem))));
    expect(hex(ours)).toBe(hex(lib.serialize()));
    expect(ours[0]).toBe(0xc0);
    // libsignal reads ours ...
    const parsedByLib = LibPlaintextContent.deserialize(own(ours));
    expect(hex(parsedByLib.body())).toBe(hex(plaintextContentBody(ours)));
    const extracted = LibDecryptionErrorMessage.extractFromSerializedBody(parsedByLib.body());
    expect(extracted.timestamp()).toBe(dem.timestamp);
    expect(extracted.deviceId()).toBe(2);
    expect(hex(extracted.ratchetKey()!.serialize())).toBe(hex(dem.ratchetKey));
    // ... and we read libsignal's.
    const back = extractDecryptionErrorMessage(plaintextContentBody(lib.serialize()));
    expect(back).toEqual(dem);
  });

  it('interop: the decoders refuse exactly what libsignal refuses on hand-made edge cases', () => {
    const key = hex(generateCurveKeyPair().publicKey);
    const messages: Record<string, string> = {
      empty: '',
      onlyTimestamp: '1001',
      timestampAndDevice: '10011801',
      shortKey: '0a030501021001',
      rawKey: `0a20${key.slice(2)}1001`,
      emptyKey: '0a001001',
      goodKey: `0a21${key}1005`,
      trailingGarbage: '1001ff',
      timestampAsLength: '1201001803',
      keyAsVarint: '08011001',
      timestampFixed64: '110100000000000000',
      deviceFixed32: '10011d01000000',
      repeatedTimestamp: '10011002',
      nonMinimalTimestamp: '108100',
      unknownVarint: '10012001',
      unknownEmptyLength: '10012a00',
      unknownFixed64: '1001210100000000000000',
      unknownGroup: '10012b2c',
      unknownTruncatedLength: '10012a0500',
      fieldZero: '10010001',
      varintTooLong: '10ffffffffffffffffffff01',
      zeroTimestamp: '1000',
      maxDevice: '100118ffffffff0f',
      bigFieldNumber: '1001f8ffffff0f01',
    };
    for (const [name, h] of Object.entries(messages)) {
      let libOk: boolean;
      try {
        const m = LibDecryptionErrorMessage.deserialize(bytes(h));
        m.timestamp();
        libOk = true;
      } catch {
        libOk = false;
      }
      let oursOk: boolean;
      try {
        decodeDecryptionErrorMessage(bytes(h));
        oursOk = true;
      } catch (e) {
        expect(e, name).toBeInstanceOf(InvalidMessageError);
        oursOk = false;
      }
      expect(oursOk, name).toBe(libOk);
    }
    // Bodies for extractFromSerializedBody: the boundary byte is required, exactly once.
    const body = hex(plaintextContentBody(encodePlaintextContent({ ratchetKey: undefined, timestamp: 5, deviceId: 1 })));
    const bodies: Record<string, string> = { ok: body, noBoundary: body.slice(0, -2), twoBoundaries: `${body}80`, boundaryThenZero: `${body}00`, onlyBoundary: '80', empty: '', emptyDem: '420080', badDem: '4201ff80' };
    for (const [name, h] of Object.entries(bodies)) {
      let libOk: boolean;
      try {
        LibDecryptionErrorMessage.extractFromSerializedBody(bytes(h));
        libOk = true;
      } catch {
        libOk = false;
      }
      let oursOk: boolean;
      try {
        oursOk = extractDecryptionErrorMessage(bytes(h)) !== undefined;
      } catch (e) {
        expect(e, name).toBeInstanceOf(InvalidMessageError);
        oursOk = false;
      }
      expect(oursOk, name).toBe(libOk);
    }
    expect(() => plaintextContentBody(new Uint8Array(0))).toThrow(InvalidMessageError);
    expect(() => plaintextContentBody(Uint8Array.of(0xc1))).toThrow(InvalidMessageError);
    expect(() => LibPlaintextContent.deserialize(bytes('c1'))).toThrow();
  });
});
