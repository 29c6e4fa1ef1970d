/**
 * A small KT world for the client-verifier suites: a log key, three
 * cosigners (policy 2-of-3) on a fake clock, the pinned configuration, and
 * `respond` — what an honest server answers a KtSearchRequestJson with,
 * from any log (KtDirectory, or devkit's KtTestLog for lying servers).
 */
import { toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import { type Checkpoint, signCheckpoint } from '../../src/checkpoint.ts';
import { consistencyProof } from '../../src/consistency.ts';
import { ed25519Cosigner } from '../../src/cosignature.ts';
import type { KtDirectory } from '../../src/directory.ts';
import { ktPinned } from '../../src/monitor/pinned.ts';
import type { KtPinned } from '../../src/monitor/types.ts';
import { type SearchProof, encodeSearchProof } from '../../src/search-proof.ts';
import { addNoteSignatures, ed25519NoteSigner } from '../../src/signed-note.ts';
import { vrfPublicKey } from '../../src/vrf.ts';
import type { KtSearchRequestJson, KtSearchResponseJson } from '../../src/wire.ts';
import { seed } from '../support/error-code.ts';

export const VRF_SK = seed(7);
export const ORIGIN = 'kt.sealpost.example/sealpost-kt/00112233aabbccdd';
export const T0 = 1_790_000_000_000;
export const MINUTE = 60_000;

export interface LogLike {
  readonly size: number;
  checkpoint(origin: string, size?: number): Checkpoint;
  searchProof(label: Uint8Array, size?: number): SearchProof;
  consistency(from: number, to: number): Uint8Array[];
}

/** A KtDirectory seen as a LogLike. */
export function fromDirectory(dir: KtDirectory): LogLike {
  return {
    get size() {
      return dir.size;
    },
    checkpoint: (o, s) => dir.checkpoint(o, s),
    searchProof: (l, s) => dir.searchProof(l, s),
    consistency: (f, t) => (f === t ? [] : consistencyProof(dir.log, f, t)),
  };
}

export const label = (n: number): Uint8Array => utf8Encode(`a${String(n).padStart(16, '0')}`);
export const value = (n: number, v: number): Uint8Array => utf8Encode(`identity key of ${n}, version ${v}`);

export interface World {
  pinned: KtPinned;
  clock: { now: number };
  /** The server's answer at `size` (default: the log's size), cosigned by the witnesses at these indexes (default all three). */
  respond(log: LogLike, request: KtSearchRequestJson, options?: { size?: number; witnesses?: number[] }): KtSearchResponseJson;
}

export function world(windows: { maxWitnessLagMs?: number; maxBehindMs?: number; contactMonitoringWindowMs?: number } = {}): World {
  const clock = { now: T0 };
  const logSigner = ed25519NoteSigner(ORIGIN, seed(1));
  const cosigners = [1, 2, 3].map((i) => ed25519Cosigner(`w${i}.example`, seed(10 + i), () => Math.floor(clock.now / 1000)));
  const policy = [`log ${logSigner.vkey}`, ...cosigners.map((c, i) => `witness w${i + 1} ${c.vkey}`), 'group two-of-three 2 w1 w2 w3', 'quorum two-of-three', ''].join('\n');
  const pinned = ktPinned({ origin: ORIGIN, logVerifierKey: logSigner.vkey, vrfPublicKey: vrfPublicKey(VRF_SK), witnessPolicy: policy, ...windows });
  return {
    pinned,
    clock,
    respond(log, request, options = {}) {
      const size = options.size ?? log.size;
      const note = signCheckpoint(log.checkpoint(ORIGIN, size), logSigner);
      const witnesses = (options.witnesses ?? [0, 1, 2]).map((i) => cosigners[i]!);
      const froms = [...new Set([...(request.last === undefined ? [] : [request.last]), ...(request.pending ?? [])])].filter((f) => f <= size);
      return {
        checkpoint: witnesses.length === 0 ? note : addNoteSignatures(note, witnesses),
        proof: toBase64(encodeSearchProof(log.searchProof(Uint8Array.from(atob(request.label), (c) => c.charCodeAt(0)), size))),
        consistency: froms.map((from) => ({ from, proof: log.consistency(from, size).map((h) => toBase64(h)) })),
      };
    },
  };
}
