/**
 * The witness's one operation: verify an add-checkpoint request against the
 * stored checkpoint of its log and, if it extends it, store it and return
 * the cosignature. Every signature, checkpoint and consistency-proof check
 * is @sealpost/keytrans's; the check-and-persist step runs in one store
 * transaction (state.ts).
 */
import {
  KeyTransparencyError,
  type NoteSigner,
  type NoteVerifier,
  ed25519Cosigner,
  ed25519NoteVerifier,
  emptyRoot,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  verifyConsistency,
  formatNote,
} from '@sealpost/keytrans';
import { utf8Encode } from '@sealpost/protocol/primitives';
import { SizeConflict, WitnessError } from './errors.ts';
import type { AddCheckpointRequest } from './request.ts';
import type { WitnessStateStore } from './state.ts';


export interface WitnessOptions {
  /** The witness's key name. */
  name: string;
  /** Its 32-byte Ed25519 secret key. */
  secretKey: Uint8Array;
  /** The known logs' Ed25519 note vkeys (key name = origin). */
  logVkeys: readonly string[];
  /** Where the checkpoints and evidence live (SQLite `WitnessStore` or `PostgresWitnessStore`). */
  store: WitnessStateStore;
  /** Seconds since the epoch (injected clock). */
  now?: () => number;
}

export class Witness {
  readonly cosigner: NoteSigner & { readonly vkey: string };
  private readonly logs = new Map<string, NoteVerifier>();
  private readonly now: () => number;

  constructor(private readonly options: WitnessOptions) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.cosigner = ed25519Cosigner(options.name, options.secretKey, this.now);
    for (const vkey of options.logVkeys) {
      const v = ed25519NoteVerifier(vkey);
      this.logs.set(v.name, v);
    }
  }

  get vkey(): string {
    return this.cosigner.vkey;
  }

  /** Resolves with the cosignature line(s) for the checkpoint, or rejects with WitnessError / SizeConflict. */
  async addCheckpoint(req: AddCheckpointRequest): Promise<string> {
    let origin: string;
    try {
      origin = parseCheckpoint(parseNote(req.note).text).origin;
    } catch (e) {
      throw new WitnessError(400, 'MALFORMED', e instanceof KeyTransparencyError ? e.message : 'not a signed checkpoint');
    }
    const verifier = this.logs.get(origin);
    if (verifier === undefined) throw new WitnessError(404, 'UNKNOWN_LOG', 'unknown log origin');
    let checkpoint;
    try {
      checkpoint = openCheckpoint(req.note, [verifier], { origin }).checkpoint;
    } catch (e) {
      if (e instanceof KeyTransparencyError && e.code === 'SIGNATURE_INVALID') throw new WitnessError(403, 'SIGNATURE_INVALID', 'the checkpoint is not signed by its log');
      throw new WitnessError(400, 'MALFORMED', e instanceof Error ? e.message : 'bad checkpoint');
    }
    if (req.oldSize > checkpoint.size) throw new WitnessError(400, 'OLD_SIZE_TOO_LARGE', 'the old size exceeds the checkpoint size');
    // RFC 6962 has no proof from size 0, and the root of the empty tree is SHA-256 of nothing.
    if (req.oldSize === 0 && req.proof.length !== 0) throw new WitnessError(422, 'CONSISTENCY_PROOF_INVALID', 'a proof from size 0 must be empty');
    if (checkpoint.size === 0 && !sameBytes(checkpoint.rootHash, emptyRoot())) throw new WitnessError(422, 'BAD_EMPTY_ROOT', 'a size-0 checkpoint must have the root SHA-256("")');
    const receivedAt = this.now();
    const cp = checkpoint;
    // One store transaction: read (locked), verify, compare-and-swap, write (or record evidence).
    const outcome = await this.options.store.update<Error | undefined>(origin, (stored) => {
      const storedSize = stored?.size ?? 0;
      if (req.oldSize !== storedSize) return { result: new SizeConflict(storedSize) };
      const write = { origin, size: cp.size, rootHash: cp.rootHash, note: req.note };
      if (stored === undefined || storedSize === 0) return { result: undefined, write };
      const evidence = { origin, cosignedNote: stored.note, refusedNote: req.note, proof: req.proofLines, oldSize: req.oldSize, receivedAt };
      // Same size, other root: a split view. The spec answers 409 Conflict; we also keep both checkpoints.
      if (storedSize === cp.size && !sameBytes(stored.rootHash, cp.rootHash)) return { result: new SizeConflict(storedSize), evidence: { ...evidence, kind: 'split-view' } };
      try {
        verifyConsistency(storedSize, cp.size, req.proof, stored.rootHash, cp.rootHash);
      } catch (e) {
        if (!(e instanceof KeyTransparencyError)) throw e;
        return {
          result: new WitnessError(422, 'CONSISTENCY_PROOF_INVALID', 'the consistency proof does not connect the stored checkpoint to this one'),
          evidence: { ...evidence, kind: 'inconsistent' },
        };
      }
      return { result: undefined, write };
    });
    if (outcome !== undefined) throw outcome;
    const text = parseNote(req.note).text;
    const signed = formatNote({ text, signatures: [{ name: this.cosigner.name, keyId: this.cosigner.keyId, signature: this.cosigner.sign(utf8Encode(text)) }] });
    // The note's signature block: everything after the text's blank line.
    return signed.slice(text.length + 1);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
