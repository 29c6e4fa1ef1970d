/**
 * C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys.
 *
 *   <text, ending in "\n">
 *   <blank line>
 *   — <key name> base64(uint32 key ID ‖ signature)\n     (one or more)
 *
 * Key IDs are SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] (big-endian);
 * verifier keys are `name+hex(key ID)+base64(type ‖ public key)`. Ed25519
 * note signatures (type 0x01) sign the text itself; other types (the
 * timestamped cosignatures of cosignature.ts, 0x04) plug in through the
 * same NoteSigner / NoteVerifier shapes.
 *
 * Parsing is strict: valid UTF-8, no control character but newline, key
 * names non-empty without spaces or '+', strict base64, at most
 * MAX_NOTE_SIGNATURES signature lines (the spec requires accepting 16).
 * Opening follows the spec: signatures of unknown keys (name or ID not
 * both matching) are ignored, a known key's failing signature rejects the
 * whole note, and a note with no verified known signature is rejected.
 */
import { concatBytes, ed25519PublicKey, ed25519Sign, ed25519Verify, sha256, toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import { decodeBase64, decodeUtf8 } from './codec.ts';
import { KeyTransparencyError, ensure } from './errors.ts';

export const SIGNATURE_TYPE_ED25519 = 0x01;
export const MAX_NOTE_SIGNATURES = 100;
const EM_DASH_PREFIX = '\u2014 ';

/** One signature line: key name, 32-bit key ID and the signature bytes after it. */
export interface NoteSignature {
  name: string;
  keyId: number;
  signature: Uint8Array;
}

/** A parsed (not yet verified) note. */
export interface Note {
  /** The signed text, including its final newline. */
  text: string;
  signatures: NoteSignature[];
}

/** Produces the signature bytes (after the key ID) for a note text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Checks the signature bytes (after the key ID) of one key over a note text. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** A note whose text is vouched for by `verified` (the known keys whose signatures verified). */
export interface OpenedNote extends Note {
  verified: NoteSignature[];
}

/** Whether `name` is a valid key name: non-empty, no Unicode space, no '+', no control character. */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !/[\s+\u0000-\u001f]/u.test(name) && utf8RoundTrips(name);
}

function utf8RoundTrips(s: string): boolean {
  return decodeUtf8(utf8Encode(s), 'text') === s;
}

/** The recommended key ID: SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4] as a uint32. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  ensure(isValidKeyName(name), 'INVALID_ARGUMENT', 'invalid key name');
  ensure(Number.isInteger(type) && type >= 0 && type <= 0xff, 'INVALID_ARGUMENT', 'a signature type is one byte');
  const h = sha256(utf8Encode(name), Uint8Array.of(0x0a, type), publicKey);
  return new DataView(h.buffer, h.byteOffset, 4).getUint32(0);
}

/** A verifier key as C2SP encodes it. */
export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** `name+hex(key ID)+base64(type ‖ public key)`, the key ID computed as recommended. */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  return `${name}+${keyIdHex(noteKeyId(name, type, publicKey))}+${toBase64(concatBytes(Uint8Array.of(type), publicKey))}`;
}

/**
 * Parses a vkey. The base64 part may itself contain '+', so the text is split
 * at the first two '+' only. For the Ed25519 types (0x01 note signatures,
 * 0x04 cosignatures) the public key must be 32 bytes and the key ID must be
 * the one the specs require; MALFORMED otherwise.
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  ensure(typeof vkey === 'string', 'MALFORMED', 'a verifier key is text');
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  ensure(first > 0 && second > first, 'MALFORMED', 'a verifier key is name+id+key');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  ensure(isValidKeyName(name), 'MALFORMED', 'invalid key name in verifier key');
  ensure(/^[0-9a-f]{8}$/.test(idHex), 'MALFORMED', 'the key ID of a verifier key is 8 lower-case hex digits');
  const material = decodeBase64(vkey.slice(second + 1), 'verifier key material');
  ensure(material.length >= 2, 'MALFORMED', 'verifier key material too short');
  const type = material[0]!;
  const publicKey = material.slice(1);
  const keyId = parseInt(idHex, 16);
  if (type === SIGNATURE_TYPE_ED25519 || type === 0x04) {
    ensure(publicKey.length === 32, 'MALFORMED', 'an Ed25519 verifier key holds 32 bytes');
    ensure(noteKeyId(name, type, publicKey) === keyId, 'MALFORMED', 'the verifier key ID does not match its key');
  }
  return { name, keyId, type, publicKey };
}

/** An Ed25519 (type 0x01) note signer for a 32-byte secret key. */
export function ed25519NoteSigner(name: string, secretKey: Uint8Array): NoteSigner & { readonly vkey: string } {
  ensure(isValidKeyName(name), 'INVALID_ARGUMENT', 'invalid key name');
  ensure(secretKey instanceof Uint8Array && secretKey.length === 32, 'INVALID_ARGUMENT', 'an Ed25519 secret key is 32 bytes');
  const publicKey = ed25519PublicKey(secretKey);
  const key = secretKey.slice();
  return {
    name,
    keyId: noteKeyId(name, SIGNATURE_TYPE_ED25519, publicKey),
    vkey: formatVerifierKey(name, SIGNATURE_TYPE_ED25519, publicKey),
    sign: (text) => ed25519Sign(key, text),
  };
}

/** An Ed25519 (type 0x01) note verifier from a vkey. */
export function ed25519NoteVerifier(vkey: string): NoteVerifier {
  const k = parseVerifierKey(vkey);
  ensure(k.type === SIGNATURE_TYPE_ED25519, 'MALFORMED', `verifier key type ${k.type} is not Ed25519 (0x01)`);
  return {
    name: k.name,
    keyId: k.keyId,
    verify: (text, signature) => signature.length === 64 && ed25519Verify(k.publicKey, text, signature),
  };
}

/** Checks note text: valid, ends in newline, no control character but newline. */
function checkText(text: string, what: string): void {
  ensure(typeof text === 'string' && utf8RoundTrips(text), 'MALFORMED', `${what} is not valid UTF-8`);
  ensure(!/[\u0000-\u0009\u000b-\u001f]/.test(text), 'MALFORMED', `${what} contains a control character`);
}

/** Parses a signed note (text or UTF-8 bytes) without verifying anything. */
export function parseNote(input: string | Uint8Array): Note {
  const note = typeof input === 'string' ? input : decodeUtf8(input, 'note');
  checkText(note, 'note');
  ensure(note.endsWith('\n'), 'MALFORMED', 'a note ends in a newline');
  const split = note.lastIndexOf('\n\n');
  ensure(split >= 0, 'MALFORMED', 'a note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  ensure(text.length > 0 && lines.length > 0 && lines[0] !== '', 'MALFORMED', 'a note has at least one signature');
  ensure(lines.length <= MAX_NOTE_SIGNATURES, 'MALFORMED', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    ensure(line.startsWith(EM_DASH_PREFIX), 'MALFORMED', 'a signature line starts with an em dash and a space');
    const rest = line.slice(EM_DASH_PREFIX.length);
    const space = rest.indexOf(' ');
    ensure(space > 0, 'MALFORMED', 'a signature line is "— name signature"');
    const name = rest.slice(0, space);
    ensure(isValidKeyName(name), 'MALFORMED', 'invalid key name in a signature line');
    const raw = decodeBase64(rest.slice(space + 1), 'note signature');
    ensure(raw.length > 4, 'MALFORMED', 'a note signature holds a key ID and a signature');
    return { name, keyId: new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0), signature: raw.slice(4) };
  });
  return { text, signatures };
}

/** One signature line, with its newline. */
export function formatSignatureLine(sig: NoteSignature): string {
  const raw = new Uint8Array(4 + sig.signature.length);
  new DataView(raw.buffer).setUint32(0, sig.keyId);
  raw.set(sig.signature, 4);
  return `${EM_DASH_PREFIX}${sig.name} ${toBase64(raw)}\n`;
}

/** The note's text form. */
export function formatNote(note: Note): string {
  ensure(note.signatures.length > 0, 'INVALID_ARGUMENT', 'a note needs a signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

/** Signs `text` (which must end in a newline) with every signer; returns the note text. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text, 'note text');
  ensure(text.endsWith('\n'), 'INVALID_ARGUMENT', 'note text ends in a newline');
  ensure(signers.length > 0, 'INVALID_ARGUMENT', 'a note needs a signer');
  const bytes = utf8Encode(text);
  return formatNote({ text, signatures: signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) })) });
}

/** Adds signatures to an existing note (as a witness adds its cosignature); nothing is verified. */
export function addNoteSignatures(note: string, signers: readonly NoteSigner[]): string {
  const parsed = parseNote(note);
  const bytes = utf8Encode(parsed.text);
  return formatNote({ text: parsed.text, signatures: [...parsed.signatures, ...signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) }))] });
}

/**
 * Parses and verifies a note against the known keys `verifiers`. Throws
 * MALFORMED for a note that does not parse and SIGNATURE_INVALID when a
 * known key's signature fails or no known key signed it.
 */
export function openNote(input: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(input);
  const bytes = utf8Encode(note.text);
  const verified: NoteSignature[] = [];
  for (const sig of note.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (v === undefined) continue;
    if (!v.verify(bytes, sig.signature)) {
      throw new KeyTransparencyError('SIGNATURE_INVALID', `the signature of known key ${sig.name}+${keyIdHex(sig.keyId)} does not verify`);
    }
    if (!verified.some((s) => s.name === sig.name && s.keyId === sig.keyId)) verified.push(sig);
  }
  ensure(verified.length > 0, 'SIGNATURE_INVALID', 'no known key signed the note');
  return { ...note, verified };
}
