/**
 * C2SP signed notes: the spec's worked example (c2sp.org/signed-note,
 * "Verifier keys" → "Example", C2SP/C2SP@5ba5ee8) as a known answer,
 * round trips, the spec's rules on unknown keys, failing known keys and
 * signature counts, and rejection of every single-bit change of every byte
 * of a signed note.
 */
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '@sealpost/protocol/primitives';
import { KeyTransparencyError } from '../src/errors.ts';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  noteKeyId,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from '../src/signed-note.ts';

const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE = 'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KeyTransparencyError);
    return (e as KeyTransparencyError).code;
  }
}

describe('the C2SP signed-note example', () => {
  it('its verifier key parses and its key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]', () => {
    const k = parseVerifierKey(SPEC_VKEY);
    expect(k.name).toBe('example.com/foo');
    expect(k.type).toBe(1);
    expect(k.keyId).toBe(0x530d903a);
    expect(noteKeyId(k.name, 1, k.publicKey)).toBe(0x530d903a);
  });
  it('verifies the example note', () => {
    const opened = openNote(SPEC_NOTE, [ed25519NoteVerifier(SPEC_VKEY)]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verified.map((s) => [s.name, s.keyId])).toEqual([['example.com/foo', 0x530d903a]]);
    expect(formatNote(opened)).toBe(SPEC_NOTE);
  });
  it('also opens from UTF-8 bytes', () => {
    expect(openNote(utf8Encode(SPEC_NOTE), [ed25519NoteVerifier(SPEC_VKEY)]).text).toBe('This is an example message.\n');
  });
  it('the key ID in a vkey must match its key', () => {
    expect(code(() => parseVerifierKey(SPEC_VKEY.replace('530d903a', '530d903b')))).toBe('MALFORMED');
  });
});

describe('signing and opening', () => {
  const alice = ed25519NoteSigner('example.com/alice', seed(1));
  const bob = ed25519NoteSigner('example.com/bob', seed(2));
  const text = 'line one\n\nline three after an empty line\n';

  it('round-trips a note with two signatures, text with an empty line', () => {
    const note = signNote(text, [alice, bob]);
    expect(parseNote(note).signatures).toHaveLength(2);
    const opened = openNote(note, [ed25519NoteVerifier(alice.vkey), ed25519NoteVerifier(bob.vkey)]);
    expect(opened.text).toBe(text);
    expect(opened.verified.map((s) => s.name)).toEqual(['example.com/alice', 'example.com/bob']);
  });
  it('ignores unknown keys, including a known name with another key ID', () => {
    const note = signNote(text, [alice, bob]);
    const impostor = { ...ed25519NoteVerifier(bob.vkey), keyId: 0x01020304, verify: () => false };
    const opened = openNote(note, [ed25519NoteVerifier(alice.vkey), impostor]);
    expect(opened.verified.map((s) => s.name)).toEqual(['example.com/alice']);
  });
  it('rejects a note no known key signed', () => {
    expect(code(() => openNote(signNote(text, [alice]), [ed25519NoteVerifier(bob.vkey)]))).toBe('SIGNATURE_INVALID');
  });
  it("rejects the whole note when a known key's signature fails, even if another verifies", () => {
    const forged = signNote(text, [alice, { name: bob.name, keyId: bob.keyId, sign: () => new Uint8Array(64).fill(7) }]);
    expect(code(() => openNote(forged, [ed25519NoteVerifier(alice.vkey), ed25519NoteVerifier(bob.vkey)]))).toBe('SIGNATURE_INVALID');
  });
  it('accepts 16 and 17 signatures, refuses more than 100 signature lines', () => {
    const signers = Array.from({ length: 17 }, (_, i) => ed25519NoteSigner(`w${i}.example`, seed(10 + i)));
    for (const count of [16, 17]) {
      const note = signNote(text, signers.slice(0, count));
      expect(openNote(note, signers.map((s) => ed25519NoteVerifier(s.vkey))).verified).toHaveLength(count);
    }
    const line = parseNote(signNote(text, [alice])).signatures[0]!;
    const many = formatNote({ text, signatures: Array.from({ length: 101 }, () => line) });
    expect(code(() => parseNote(many))).toBe('MALFORMED');
  });
  it('refuses malformed notes', () => {
    const good = signNote('hello\n', [alice]);
    const sigLine = good.slice(good.indexOf('—'));
    for (const bad of [
      'hello\n',                                 // no signatures
      'hello\n\n',                               // empty signature block
      good.slice(0, -1),                         // no final newline
      `hello\r\n\n${sigLine}`,                   // control character
      `hello\n\n${sigLine.replace('— ', '- ')}`, // not an em dash
      `hello\n\n${sigLine.replace(' ', '  ')}`,  // double space
      `hello\n\n${sigLine.replace('=\n', '\n')}`, // base64 without padding
      `hello\n\n— a+b ${sigLine.split(' ')[2]}`, // '+' in key name
      `hello\n\n— name AAAA\n`,                  // key ID only
    ]) {
      expect(code(() => parseNote(bad))).toBe('MALFORMED');
    }
    expect(code(() => parseNote(new Uint8Array([0x68, 0xff, 0x0a])))).toBe('MALFORMED');
  });
});

describe('every single-byte mutation of a signed note is rejected', () => {
  function everyBitFlip(note: string, vkey: string, bitsPerByte: number): number {
    const bytes = utf8Encode(note);
    const verifier = ed25519NoteVerifier(vkey);
    let rejected = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let j = 0; j < bitsPerByte; j++) {
        const bit = (i + j) % 8;
        const m = bytes.slice();
        m[i]! ^= 1 << bit;
        expect(['MALFORMED', 'SIGNATURE_INVALID']).toContain(code(() => openNote(m, [verifier])));
        rejected++;
      }
    }
    return rejected;
  }
  it('the spec example: all 8 single-bit changes at every byte', () => {
    expect(everyBitFlip(SPEC_NOTE, SPEC_VKEY, 8)).toBe(utf8Encode(SPEC_NOTE).length * 8);
  });
  it('a checkpoint-shaped note of our own: one bit changed at every byte (a different bit at each)', () => {
    const signer = ed25519NoteSigner('sealpost.example/kt', seed(3));
    const note = signNote('sealpost.example/kt\n42\nqUQmpPqqCKgTLNsOlDu8WCt1ZqBJ6cStjgvRLeY2O6A=\n', [signer]);
    expect(everyBitFlip(note, signer.vkey, 1)).toBe(utf8Encode(note).length);
  });
});
