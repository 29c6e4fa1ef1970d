/**
 * UnidentifiedSenderMessageContent: our encoding is byte-identical to
 * libsignal-client 0.90's, and decoding gives back the same fields.
 */
import { describe, expect, it } from 'vitest';
import { decodeSealedContent, encodeSealedContent, SealedContentType } from '../../src/sealed-sender/content.ts';
import { SealpostError } from '../../src/errors.ts';
import { libsignalUsmc, makeTrustChain, newPeer, senderCertificateFor } from './helpers.ts';

describe('sealed sender content (USMC) codec', () => {
  it('encodes byte-identically to libsignal for every hint/group combination', async () => {
    const chain = makeTrustChain();
    const alice = newPeer();
    const bob = newPeer();
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const variants: Array<[number, Uint8Array | null]> = [
      [0, null],
      [1, new Uint8Array(32).fill(0xab)],
      [2, null],
      [1, new Uint8Array(0)],
      [7, new Uint8Array([1, 2, 3])],
    ];
    for (const [hint, groupId] of variants) {
      const usmc = await libsignalUsmc(alice, bob, cert, hint, groupId);
      const type = usmc.msgType() as SealedContentType;
      const ours = encodeSealedContent({
        type,
        senderCertificate: cert.serialize(),
        contents: usmc.contents(),
        contentHint: hint,
        ...(groupId === null ? {} : { groupId }),
      });
      expect(ours).toEqual(usmc.serialize());
      const decoded = decodeSealedContent(usmc.serialize());
      expect(decoded.type).toBe(type);
      expect(decoded.contentHint).toBe(hint);
      expect(decoded.senderCertificate).toEqual(cert.serialize());
      expect(decoded.contents).toEqual(usmc.contents());
      if (groupId !== null && groupId.length > 0) expect(decoded.groupId).toEqual(groupId);
      else expect(decoded.groupId).toBeUndefined();
    }
  });

  it('maps PreKey (3) to the protobuf PREKEY_MESSAGE (1) and back', () => {
    const bytes = encodeSealedContent({ type: SealedContentType.PreKey, senderCertificate: new Uint8Array([1]), contents: new Uint8Array([2]) });
    expect(bytes.subarray(0, 2)).toEqual(new Uint8Array([0x08, 0x01]));
    expect(decodeSealedContent(bytes).type).toBe(SealedContentType.PreKey);
  });

  it('refuses malformed content with typed errors', () => {
    const good = encodeSealedContent({ type: 2, senderCertificate: new Uint8Array([1]), contents: new Uint8Array([2]) });
    const cases: Uint8Array[] = [
      good.subarray(0, good.length - 1), // truncated length-delimited field
      new Uint8Array([0x08, 0x02]), // type only
      new Uint8Array([0x08, 0x05, 0x12, 0x01, 0x01, 0x1a, 0x01, 0x02]), // unknown type 5
      new Uint8Array([0xff, 0xff, 0xff]),
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        decodeSealedContent(c);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SealpostError);
      expect((err as SealpostError).code).toBe('INVALID_MESSAGE');
    }
    expect(() => encodeSealedContent({ type: 4 as SealedContentType, senderCertificate: new Uint8Array(1), contents: new Uint8Array(1) })).toThrow(
      SealpostError,
    );
  });
});
