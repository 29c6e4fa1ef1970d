import { Fingerprint, PrivateKey } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { FingerprintError, InvalidArgumentError, InvalidKeyError } from '../src/errors.ts';
import {
  compareScannableFingerprints,
  createFingerprint,
  DEFAULT_FINGERPRINT_ITERATIONS,
  displayableFingerprint,
  encodeScannable,
  scannableFingerprint,
} from '../src/fingerprint.ts';
import { fromHex, randomBytes, toHex } from '../src/primitives/index.ts';

function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function fingerprintError(fn: () => unknown): FingerprintError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FingerprintError) return e;
    throw e;
  }
  throw new Error('expected a FingerprintError');
}

describe('numeric fingerprints vs libsignal-client Fingerprint.new', () => {
  it('displayable (60 digits) and scannable bytes are identical for random identities, both versions', () => {
    for (let i = 0; i < 8; i++) {
      const version = i % 2 === 0 ? 2 : 1;
      const iterations = i < 4 ? DEFAULT_FINGERPRINT_ITERATIONS : 1024 + i;
      const localKey = PrivateKey.generate().getPublicKey();
      const remoteKey = PrivateKey.generate().getPublicKey();
      // v2 uses 16-byte ACI bytes; v1 uses E.164 text.
      const localId = version === 2 ? randomBytes(16) : new TextEncoder().encode(`+1415555${1000 + i}`);
      const remoteId = version === 2 ? randomBytes(16) : new TextEncoder().encode(`+1415666${1000 + i}`);

      const theirs = Fingerprint.new(iterations, version, ab(localId), localKey, ab(remoteId), remoteKey);
      const local = { identifier: localId, identityKey: localKey.serialize() };
      // Raw 32-byte keys work too (the 0x05 prefix is added).
      const remote = { identifier: remoteId, identityKey: remoteKey.serialize().subarray(1) };
      const ours = createFingerprint(version, iterations, local, remote);

      expect(ours.displayable).toMatch(/^\d{60}$/);
      expect(ours.displayable).toBe(theirs.displayableFingerprint().toString());
      expect(toHex(ours.scannable)).toBe(toHex(theirs.scannableFingerprint().toBuffer()));
      expect(displayableFingerprint(iterations, remote, local)).toBe(ours.displayable);
      expect(toHex(scannableFingerprint(version, iterations, local, remote))).toBe(toHex(ours.scannable));

      // The peer's view, computed by libsignal, matches ours under compare().
      const peer = Fingerprint.new(iterations, version, ab(remoteId), remoteKey, ab(localId), localKey);
      expect(compareScannableFingerprints(ours.scannable, peer.scannableFingerprint().toBuffer())).toBe(true);
      expect(compareScannableFingerprints(ours.scannable, ours.scannable)).toBe(false);
    }
  });

  it('a man in the middle changes both encodings', () => {
    const a = { identifier: randomBytes(16), identityKey: PrivateKey.generate().getPublicKey().serialize() };
    const b = { identifier: randomBytes(16), identityKey: PrivateKey.generate().getPublicKey().serialize() };
    const m = { identifier: b.identifier, identityKey: PrivateKey.generate().getPublicKey().serialize() };
    const aliceView = createFingerprint(2, 1024, a, m);
    const bobView = createFingerprint(2, 1024, b, a);
    expect(aliceView.displayable).not.toBe(bobView.displayable);
    expect(compareScannableFingerprints(aliceView.scannable, bobView.scannable)).toBe(false);
  });
});

describe('fingerprint input checks', () => {
  const party = { identifier: new Uint8Array(16), identityKey: fromHex(`05${'11'.repeat(32)}`) };

  it('rejects iteration counts outside 2..1000000 and bad versions', () => {
    expect(() => createFingerprint(2, 1, party, party)).toThrow(InvalidArgumentError);
    expect(() => createFingerprint(2, 1_000_001, party, party)).toThrow(/iterations must be an integer in 2..1000000, got 1000001/);
    expect(() => createFingerprint(-1, 1024, party, party)).toThrow(/version must be a uint32/);
  });

  it('rejects identity keys that are not 32 raw bytes or 0x05 || 32 bytes', () => {
    expect(() => createFingerprint(2, 1024, { ...party, identityKey: fromHex(`08${'11'.repeat(32)}`) }, party)).toThrow(InvalidKeyError);
    expect(() => createFingerprint(2, 1024, party, { ...party, identityKey: new Uint8Array(31) })).toThrow(/remote identity key must be 32 raw bytes or 33 bytes starting with 0x05/);
  });

  it('compare: version mismatch and malformed input give typed FingerprintErrors', () => {
    const v1 = encodeScannable(1, new Uint8Array(32), new Uint8Array(32));
    const v2 = encodeScannable(2, new Uint8Array(32), new Uint8Array(32));
    const mismatch = fingerprintError(() => compareScannableFingerprints(v2, v1));
    expect(mismatch.code).toBe('FINGERPRINT_VERSION_MISMATCH');
    expect(mismatch.message).toBe('fingerprint version mismatch: theirs 1, ours 2');
    expect(fingerprintError(() => compareScannableFingerprints(v2, fromHex('0802ff'))).code).toBe('FINGERPRINT_PARSE_ERROR');
    // Their message without the remote half.
    expect(fingerprintError(() => compareScannableFingerprints(v2, fromHex(`080212220a20${'00'.repeat(32)}`))).message).toBe(
      'missing their remote fingerprint',
    );
    expect(() => encodeScannable(2, new Uint8Array(31), new Uint8Array(32))).toThrow(InvalidArgumentError);
  });

  it('libsignal agrees that swapped halves match (their local = our remote)', () => {
    const ours = encodeScannable(2, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    const theirs = encodeScannable(2, new Uint8Array(32).fill(2), new Uint8Array(32).fill(1));
    expect(compareScannableFingerprints(ours, theirs)).toBe(true);
    expect(toHex(ours)).toBe(`080212220a20${'01'.repeat(32)}1a220a20${'02'.repeat(32)}`);
    expect(ours).toHaveLength(74);
  });
});
