/**
 * The search proof a client checks on a key lookup (phase 1): "label has
 * greatest version v, whose value is X" — verified against a checkpoint
 * (itself verified with verifyWitnessedCheckpoint) in one call.
 *
 *   struct {
 *     LogEntry  entry;                       // the log's latest entry, position size − 1
 *     HashValue inclusion<0..2^16-1>;        // its RFC 6962 audit path to the checkpoint root
 *     uint32    version;
 *     opaque    opening[16];
 *     opaque    value<0..2^32-1>;            // UpdateValue.value (contactMonitoring: no suffix)
 *     opaque    vrf_proof[80];               // ECVRF proof for VrfInput(label, version)
 *     opaque    next_vrf_proof[80];          // ECVRF proof for VrfInput(label, version + 1)
 *     PrefixProof prefix_proof;              // [inclusion of version, non-inclusion of version + 1]
 *   } SearchProof;
 *
 * Verification, cheapest first so hostile bytes cost little: strict decode;
 * the entry's inclusion under the checkpoint root; the entry's timestamp
 * inside [now − maxBehind, now + maxAhead]; the commitment from opening and
 * value; the prefix proof over the two VRF outputs under the entry's prefix
 * root; last, both ECVRF proofs. What it guarantees, and what the full
 * KEYTRANS search adds later, is in the package README.
 */
import { ByteReader, ByteWriter } from './codec.ts';
import { MAX_VALUE_SIZE, OPENING_SIZE, checkLabel, checkVersion, computeCommitment } from './commitment.ts';
import type { Checkpoint } from './checkpoint.ts';
import { KeyTransparencyError, ensure } from './errors.ts';
import { verifyInclusion } from './inclusion.ts';
import { type LogEntry, encodeLogEntry, logEntryLeafHash, readLogEntry } from './log-entry.ts';
import { HASH_SIZE } from './log-tree.ts';
import { type PrefixProof, readPrefixProof, verifyPrefixProof, writePrefixProof } from './prefix-tree.ts';
import { VRF_PROOF_SIZE, vrfOutput, vrfProofToHash, vrfVerify } from './vrf.ts';

export interface SearchProof {
  entry: LogEntry;
  inclusion: Uint8Array[];
  version: number;
  opening: Uint8Array;
  value: Uint8Array;
  vrfProof: Uint8Array;
  nextVrfProof: Uint8Array;
  prefixProof: PrefixProof;
}

/** `struct { opaque label<0..2^8-1>; uint32 version; } VrfInput` */
export function vrfInput(label: Uint8Array, version: number): Uint8Array {
  checkLabel(label);
  checkVersion(version);
  return new ByteWriter().vector8(label).uint32(version).finish();
}

export function encodeSearchProof(p: SearchProof): Uint8Array {
  const w = new ByteWriter().bytes(encodeLogEntry(p.entry));
  const inclusion = new ByteWriter();
  for (const h of p.inclusion) {
    ensure(h.length === HASH_SIZE, 'INVALID_ARGUMENT', 'an inclusion proof hash is 32 bytes');
    inclusion.bytes(h);
  }
  w.vector16(inclusion.finish()).uint32(p.version);
  ensure(p.opening.length === OPENING_SIZE && p.vrfProof.length === VRF_PROOF_SIZE && p.nextVrfProof.length === VRF_PROOF_SIZE, 'INVALID_ARGUMENT', 'bad opening or VRF proof length');
  w.bytes(p.opening).vector32(p.value).bytes(p.vrfProof).bytes(p.nextVrfProof);
  writePrefixProof(w, p.prefixProof);
  return w.finish();
}

export function decodeSearchProof(bytes: Uint8Array): SearchProof {
  ensure(bytes instanceof Uint8Array, 'MALFORMED', 'a search proof is bytes');
  const r = new ByteReader(bytes, 'SearchProof');
  const entry = readLogEntry(r);
  const raw = r.vector16();
  ensure(raw.length % HASH_SIZE === 0, 'MALFORMED', 'inclusion proof hashes are 32 bytes');
  const inclusion: Uint8Array[] = [];
  for (let i = 0; i < raw.length; i += HASH_SIZE) inclusion.push(raw.slice(i, i + HASH_SIZE));
  const version = r.uint32();
  const opening = r.bytes(OPENING_SIZE);
  const value = r.vector32(MAX_VALUE_SIZE);
  const vrfProof = r.bytes(VRF_PROOF_SIZE);
  const nextVrfProof = r.bytes(VRF_PROOF_SIZE);
  const prefixProof = readPrefixProof(r);
  r.end();
  return { entry, inclusion, version, opening, value, vrfProof, nextVrfProof, prefixProof };
}

export interface SearchVerifyParams {
  /** A checkpoint the caller verified (log signature and witness quorum). */
  checkpoint: Checkpoint;
  /** The log's 32-byte VRF public key (pinned with its configuration). */
  vrfPublicKey: Uint8Array;
  label: Uint8Array;
  /** The encoded SearchProof from the server. */
  proof: Uint8Array;
  /** Current time in ms; when given, the entry's timestamp must be within the window. */
  now?: number;
  /** Defaults: the design's production values, 5 min ahead and 1 h behind. */
  maxAheadMs?: number;
  maxBehindMs?: number;
  /**
   * Optional verified-VRF cache: when this exact pair (VrfInput bytes,
   * 80-byte proof) was verified under `vrfPublicKey` before, return its
   * 32-byte output; the ECVRF check (and the proof-to-hash) of that proof is
   * then skipped. Return undefined otherwise. Without it, both proofs are
   * always verified.
   */
  vrfCached?: (input: Uint8Array, proof: Uint8Array) => Uint8Array | undefined;
}

export interface VerifiedSearch {
  version: number;
  value: Uint8Array;
  opening: Uint8Array;
  commitment: Uint8Array;
  /** The VRF output (search key) of (label, version). */
  vrfOutput: Uint8Array;
  /** The log entry the search ran in: its position (checkpoint size − 1) and timestamp (ms). */
  position: number;
  timestamp: number;
  /** The two ECVRF proofs (of version and version + 1) and the second's output, e.g. for a verified-VRF cache. */
  vrfProof: Uint8Array;
  nextVrfProof: Uint8Array;
  nextVrfOutput: Uint8Array;
  /** How many ECVRF proofs were actually verified (0–2; fewer when `vrfCached` knew them). */
  vrfChecks: number;
}

/**
 * Verifies a search proof; returns the label's greatest version and value.
 * Throws KeyTransparencyError (MALFORMED, INCLUSION_PROOF_INVALID,
 * SEARCH_PROOF_INVALID, VRF_PROOF_INVALID, INVALID_ARGUMENT) otherwise.
 */
export function verifySearchProof(params: SearchVerifyParams): VerifiedSearch {
  const { checkpoint, vrfPublicKey, label } = params;
  checkLabel(label);
  const p = decodeSearchProof(params.proof);
  ensure(checkpoint.size >= 1, 'SEARCH_PROOF_INVALID', 'an empty log holds no label');
  const position = checkpoint.size - 1;
  verifyInclusion(position, checkpoint.size, logEntryLeafHash(p.entry), p.inclusion, checkpoint.rootHash);
  if (params.now !== undefined) {
    const ahead = params.maxAheadMs ?? 5 * 60_000;
    const behind = params.maxBehindMs ?? 60 * 60_000;
    ensure(p.entry.timestamp <= params.now + ahead, 'SEARCH_PROOF_INVALID', 'the log entry is from the future');
    ensure(p.entry.timestamp >= params.now - behind, 'SEARCH_PROOF_INVALID', 'the log entry is stale');
  }
  ensure(p.version < 0xffff_ffff, 'SEARCH_PROOF_INVALID', 'no version follows 2^32 − 1');
  const commitment = computeCommitment(p.opening, label, p.version, p.value);
  const input = vrfInput(label, p.version);
  const nextInput = vrfInput(label, p.version + 1);
  const cachedKey = params.vrfCached?.(input, p.vrfProof);
  const cachedNext = params.vrfCached?.(nextInput, p.nextVrfProof);
  const key = cachedKey ?? vrfOutput(vrfProofToHash(p.vrfProof));
  const nextKey = cachedNext ?? vrfOutput(vrfProofToHash(p.nextVrfProof));
  const [found, next] = p.prefixProof.results;
  ensure(p.prefixProof.results.length === 2 && found!.type === 'inclusion' && next!.type !== 'inclusion', 'SEARCH_PROOF_INVALID', 'a search proof shows the version and the absence of the next');
  verifyPrefixProof(p.prefixProof, [{ key, commitment }, { key: nextKey }], p.entry.prefixRoot);
  let vrfChecks = 0;
  // vrfProofToHash and vrfVerify compute beta from the same Gamma; a mismatch would be a bug, not an attack.
  if (cachedKey === undefined) {
    vrfChecks++;
    if (!sameBytes(vrfOutput(vrfVerify(vrfPublicKey, input, p.vrfProof)), key)) throw new KeyTransparencyError('VRF_PROOF_INVALID', 'VRF output mismatch');
  }
  if (cachedNext === undefined) {
    vrfChecks++;
    if (!sameBytes(vrfOutput(vrfVerify(vrfPublicKey, nextInput, p.nextVrfProof)), nextKey)) throw new KeyTransparencyError('VRF_PROOF_INVALID', 'VRF output mismatch');
  }
  return {
    version: p.version,
    value: p.value,
    opening: p.opening,
    commitment,
    vrfOutput: key,
    position,
    timestamp: p.entry.timestamp,
    vrfProof: p.vrfProof,
    nextVrfProof: p.nextVrfProof,
    nextVrfOutput: nextKey,
    vrfChecks,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
