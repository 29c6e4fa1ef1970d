/**
 * C2SP checkpoints (c2sp.org/tlog-checkpoint): a signed note whose text is
 *
 *   <origin>\n<tree size in decimal>\n<base64 RFC 6962 root hash>\n[extension lines]
 *
 * signed by the log's note key (Ed25519, type 0x01, key name = origin).
 * Parsing is strict (no leading zeros, canonical base64, a 32-byte root,
 * non-empty lines); sizes above 2^48 are refused.
 */
import { toBase64 } from '@sealpost/protocol/primitives';
import { decodeBase64 } from './codec.ts';
import { KeyTransparencyError, ensure } from './errors.ts';
import { HASH_SIZE, MAX_TREE_SIZE } from './log-tree.ts';
import { type NoteSigner, type NoteVerifier, type OpenedNote, openNote, signNote } from './signed-note.ts';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** Opaque extension lines (NOT RECOMMENDED by the spec; kept so a signature over them still checks). */
  extensions: string[];
}

/** The checkpoint's note text. */
export function formatCheckpoint(cp: Checkpoint): string {
  ensure(typeof cp.origin === 'string' && cp.origin !== '' && !cp.origin.includes('\n'), 'INVALID_ARGUMENT', 'a checkpoint origin is one non-empty line');
  ensure(Number.isSafeInteger(cp.size) && cp.size >= 0 && cp.size <= MAX_TREE_SIZE, 'INVALID_ARGUMENT', 'checkpoint size out of range');
  ensure(cp.rootHash instanceof Uint8Array && cp.rootHash.length === HASH_SIZE, 'INVALID_ARGUMENT', 'a checkpoint root hash is 32 bytes');
  for (const e of cp.extensions) ensure(e !== '' && !e.includes('\n'), 'INVALID_ARGUMENT', 'extension lines are non-empty single lines');
  return [cp.origin, String(cp.size), toBase64(cp.rootHash), ...cp.extensions].map((l) => `${l}\n`).join('');
}

/** Parses checkpoint note text (CHECKPOINT_INVALID when it is not one). */
export function parseCheckpoint(text: string): Checkpoint {
  ensure(typeof text === 'string' && text.endsWith('\n'), 'CHECKPOINT_INVALID', 'checkpoint text ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  ensure(lines.length >= 3 && lines.every((l) => l !== ''), 'CHECKPOINT_INVALID', 'a checkpoint has at least three non-empty lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  ensure(/^(0|[1-9][0-9]{0,15})$/.test(sizeText), 'CHECKPOINT_INVALID', 'the checkpoint size is a decimal without leading zeros');
  const size = Number(sizeText);
  ensure(size <= MAX_TREE_SIZE, 'CHECKPOINT_INVALID', 'the checkpoint size exceeds 2^48');
  let rootHash: Uint8Array;
  try {
    rootHash = decodeBase64(rootText, 'checkpoint root hash');
  } catch {
    throw new KeyTransparencyError('CHECKPOINT_INVALID', 'the checkpoint root hash is not strict base64');
  }
  ensure(rootHash.length === HASH_SIZE, 'CHECKPOINT_INVALID', 'the checkpoint root hash is not 32 bytes');
  return { origin, size, rootHash, extensions };
}

/** The signed checkpoint note (log signature first, then any further signers). */
export function signCheckpoint(cp: Checkpoint, logSigner: NoteSigner, ...others: NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), [logSigner, ...others]);
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  note: OpenedNote;
}

/**
 * Verifies a checkpoint note: one of `logVerifiers`, named like the origin,
 * must have signed it (SIGNATURE_INVALID otherwise); if `origin` is given
 * the checkpoint must be for it (CHECKPOINT_INVALID). Signatures of other
 * known keys in `extraVerifiers` (cosigners) are verified too and listed in
 * `note.verified`; unknown ones are ignored, as the spec says.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  logVerifiers: readonly NoteVerifier[],
  options: { origin?: string; extraVerifiers?: readonly NoteVerifier[] } = {},
): OpenedCheckpoint {
  const opened = openNote(note, [...logVerifiers, ...(options.extraVerifiers ?? [])]);
  const checkpoint = parseCheckpoint(opened.text);
  if (options.origin !== undefined) ensure(checkpoint.origin === options.origin, 'CHECKPOINT_INVALID', 'the checkpoint is for another origin');
  const byLog = opened.verified.some((s) => s.name === checkpoint.origin && logVerifiers.some((v) => v.name === s.name && v.keyId === s.keyId));
  ensure(byLog, 'SIGNATURE_INVALID', 'the checkpoint is not signed by its log');
  return { checkpoint, note: opened };
}
