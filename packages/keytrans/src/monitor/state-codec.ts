/**
 * The strict, deterministic, versioned binary codec of KtClientState, so a
 * client store saves it as one blob in one transaction.
 *
 *   "KTS" ‖ uint8 format (1)
 *   uint8 present ‖ [Head] retained
 *   uint16 count ‖ (Head ‖ uint64 firstSeenMs)*                       pending, oldest first
 *   uint32 count ‖ (label<1..255> ‖ uint32 version ‖ value<0..2^32-1> ‖ uint64 firstSeenSize
 *                   ‖ uint64 firstSeenMs ‖ uint64 lastCheckedMs ‖ uint8 done ‖ note<..> ‖ proof<..>)*   sorted by label bytes
 *   uint16 count ‖ (label ‖ uint32 version ‖ value ‖ uint64 sinceMs)*   owned, sorted by label bytes
 *   uint32 count ‖ (key[32] ‖ output[32])*                              VRF cache, insertion order
 *   uint16 count ‖ (json<0..2^32-1>)*                                   evidence, canonical JSON
 *   Head = uint64 size ‖ root[32] ‖ uint64 timestampMs ‖ note<0..2^16-1> (UTF-8) ‖ proof<0..2^32-1> (base64 text)
 *
 * Equal states encode to equal bytes; decodeKtState(encodeKtState(s)) encodes
 * to the same bytes. Decoding refuses (KeyTransparencyError MALFORMED)
 * anything that is not exactly such an encoding within the limits: wrong
 * magic or format, truncation, trailing bytes, counts over the limits,
 * unsorted or duplicate labels, notes that are not checkpoints of the
 * stated size and root, evidence that is not canonical.
 */
import { fromHex, toBase64, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { parseCheckpoint } from '../checkpoint.ts';
import { ByteReader, ByteWriter, decodeBase64, decodeUtf8 } from '../codec.ts';
import { MAX_VALUE_SIZE } from '../commitment.ts';
import { KeyTransparencyError, ensure } from '../errors.ts';
import { parseNote } from '../signed-note.ts';
import { parseEvidenceJson } from './evidence.ts';
import { KT_STATE_FORMAT_VERSION, MAX_EVIDENCE, MAX_EVIDENCE_BYTES, MAX_LABELS, MAX_NOTE_CHARS, MAX_OWNED, MAX_PENDING_HEADS, MAX_PROOF_CHARS, MAX_VRF_CACHE } from './limits.ts';
import type { KtAcceptedLabel, KtClientState, KtEvidenceJson, KtHead, KtOwnedLabel, KtPendingHead } from './types.ts';

const MAGIC = [0x4b, 0x54, 0x53]; // "KTS"

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function sortedByLabel<T>(map: ReadonlyMap<string, T>): [Uint8Array, T][] {
  return [...map].map(([k, v]) => [decodeBase64(k, 'label key'), v] as [Uint8Array, T]).sort((x, y) => compareBytes(x[0], y[0]));
}

function writeHead(w: ByteWriter, h: KtHead): void {
  w.uint64(h.size).bytes(h.root).uint64(h.timestampMs).vector16(utf8Encode(h.note)).vector32(utf8Encode(h.proof));
}

/** The state's canonical bytes. */
export function encodeKtState(state: KtClientState): Uint8Array {
  const w = new ByteWriter().bytes(Uint8Array.from(MAGIC)).uint8(KT_STATE_FORMAT_VERSION);
  if (state.retained === undefined) w.uint8(0);
  else writeHead(w.uint8(1), state.retained);
  w.uint16(state.pending.length);
  for (const p of state.pending) {
    writeHead(w, p);
    w.uint64(p.firstSeenMs);
  }
  w.uint32(state.labels.size);
  for (const [label, l] of sortedByLabel(state.labels)) {
    w.vector8(label).uint32(l.version).vector32(l.value).uint64(l.firstSeenSize).uint64(l.firstSeenMs).uint64(l.lastCheckedMs).uint8(l.done ? 1 : 0);
    w.vector16(utf8Encode(l.note)).vector32(utf8Encode(l.proof));
  }
  w.uint16(state.owned.size);
  for (const [label, o] of sortedByLabel(state.owned)) w.vector8(label).uint32(o.version).vector32(o.value).uint64(o.sinceMs);
  w.uint32(state.vrfCache.size);
  for (const [k, out] of state.vrfCache) w.bytes(fromHex(k)).bytes(out);
  w.uint16(state.evidence.length);
  for (const e of state.evidence) w.vector32(utf8Encode(JSON.stringify(parseEvidenceJson(e))));
  return w.finish();
}

function readHead(r: ByteReader): KtHead {
  const size = r.uint64();
  const root = r.bytes(32);
  const timestampMs = r.uint64();
  const note = decodeUtf8(r.vector16(), 'checkpoint note');
  const proof = decodeUtf8(r.vector32(MAX_PROOF_CHARS), 'search proof');
  ensure(proof.length <= MAX_PROOF_CHARS && /^[A-Za-z0-9+/]*={0,2}$/.test(proof) && proof.length % 4 === 0, 'MALFORMED', 'a stored head\'s search proof is not bounded base64');
  ensure(note.length <= MAX_NOTE_CHARS, 'MALFORMED', 'a stored note is too long');
  let cp;
  try {
    cp = parseCheckpoint(parseNote(note).text);
  } catch {
    throw new KeyTransparencyError('MALFORMED', 'a stored note is not a signed checkpoint');
  }
  ensure(cp.size === size && cp.rootHash.every((b, i) => b === root[i]), 'MALFORMED', 'a stored head disagrees with its note');
  return { size, root, note, timestampMs, proof };
}

function readLabel(r: ByteReader, previous: Uint8Array | undefined): Uint8Array {
  const label = r.vector8();
  ensure(label.length >= 1, 'MALFORMED', 'an empty label');
  ensure(previous === undefined || compareBytes(previous, label) < 0, 'MALFORMED', 'labels are not strictly sorted');
  return label;
}

/** Parses bytes made by encodeKtState; MALFORMED for anything else. */
export function decodeKtState(bytes: Uint8Array): KtClientState {
  ensure(bytes instanceof Uint8Array, 'MALFORMED', 'a KT state is bytes');
  const r = new ByteReader(bytes, 'KtClientState');
  const magic = r.bytes(3);
  ensure(magic.every((b, i) => b === MAGIC[i]), 'MALFORMED', 'not a KT state');
  ensure(r.uint8() === KT_STATE_FORMAT_VERSION, 'MALFORMED', 'unknown KT state format');
  const present = r.uint8();
  ensure(present <= 1, 'MALFORMED', 'bad presence byte');
  const retained = present === 1 ? readHead(r) : undefined;
  const pendingCount = r.uint16();
  ensure(pendingCount <= MAX_PENDING_HEADS, 'MALFORMED', 'too many pending heads');
  const pending: KtPendingHead[] = [];
  for (let i = 0; i < pendingCount; i++) pending.push({ ...readHead(r), firstSeenMs: r.uint64() });
  const labelCount = r.uint32();
  ensure(labelCount <= MAX_LABELS, 'MALFORMED', 'too many labels');
  const labels = new Map<string, KtAcceptedLabel>();
  let prev: Uint8Array | undefined;
  for (let i = 0; i < labelCount; i++) {
    const label = readLabel(r, prev);
    prev = label;
    const version = r.uint32();
    const value = r.vector32(MAX_VALUE_SIZE);
    const firstSeenSize = r.uint64();
    const firstSeenMs = r.uint64();
    const lastCheckedMs = r.uint64();
    const done = r.uint8();
    ensure(done <= 1, 'MALFORMED', 'bad done flag');
    const note = decodeUtf8(r.vector16(), 'label note');
    ensure(note.length <= MAX_NOTE_CHARS, 'MALFORMED', 'a stored note is too long');
    const proof = decodeUtf8(r.vector32(MAX_PROOF_CHARS), 'label proof');
    decodeBase64(proof, 'label proof');
    labels.set(toBase64(label), { version, value, firstSeenSize, firstSeenMs, lastCheckedMs, done: done === 1, note, proof });
  }
  const ownedCount = r.uint16();
  ensure(ownedCount <= MAX_OWNED, 'MALFORMED', 'too many owned labels');
  const owned = new Map<string, KtOwnedLabel>();
  prev = undefined;
  for (let i = 0; i < ownedCount; i++) {
    const label = readLabel(r, prev);
    prev = label;
    owned.set(toBase64(label), { version: r.uint32(), value: r.vector32(MAX_VALUE_SIZE), sinceMs: r.uint64() });
  }
  const vrfCount = r.uint32();
  ensure(vrfCount <= MAX_VRF_CACHE, 'MALFORMED', 'too many VRF cache entries');
  const vrfCache = new Map<string, Uint8Array>();
  for (let i = 0; i < vrfCount; i++) {
    const k = toHex(r.bytes(32));
    ensure(!vrfCache.has(k), 'MALFORMED', 'a duplicate VRF cache key');
    vrfCache.set(k, r.bytes(32));
  }
  const evidenceCount = r.uint16();
  ensure(evidenceCount <= MAX_EVIDENCE, 'MALFORMED', 'too many evidence records');
  const evidence: KtEvidenceJson[] = [];
  for (let i = 0; i < evidenceCount; i++) {
    const text = decodeUtf8(r.vector32(MAX_EVIDENCE_BYTES), 'evidence');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KeyTransparencyError('MALFORMED', 'evidence is not JSON');
    }
    const e = parseEvidenceJson(json);
    ensure(JSON.stringify(e) === text, 'MALFORMED', 'evidence is not in canonical form');
    evidence.push(e);
  }
  r.end();
  return { ...(retained === undefined ? {} : { retained }), pending, labels, owned, vrfCache, evidence };
}
