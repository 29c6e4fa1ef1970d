/**
 * The one error type of @sealpost/keytrans. Every failure (a proof that does
 * not verify, bytes that do not decode, a note without a trusted signature,
 * an unmet witness quorum, a caller passing nonsense) throws a
 * KeyTransparencyError whose `code` says which; callers switch on the code,
 * the message is for developers and never carries secret material.
 */
export type KeyTransparencyErrorCode =
  /** A caller passed a value of the wrong type, length or range. */
  | 'INVALID_ARGUMENT'
  /** Bytes or text that do not decode strictly (wrong length, trailing bytes, bad base64, bad UTF-8). */
  | 'MALFORMED'
  /** A Merkle inclusion proof (log tree or prefix tree) does not lead to the expected root. */
  | 'INCLUSION_PROOF_INVALID'
  /** A Merkle consistency proof does not connect the two tree heads. */
  | 'CONSISTENCY_PROOF_INVALID'
  /** An ECVRF proof does not verify, or its public key is unusable. */
  | 'VRF_PROOF_INVALID'
  /** A signed note carries no verifying signature of a trusted key, or a known key's signature fails. */
  | 'SIGNATURE_INVALID'
  /** A checkpoint's text is not a well-formed C2SP checkpoint, or is for another origin. */
  | 'CHECKPOINT_INVALID'
  /** The cosignatures on a checkpoint do not satisfy the witness policy. */
  | 'QUORUM_NOT_MET'
  /** A witness policy file does not parse. */
  | 'POLICY_INVALID'
  /** A commitment opening does not reproduce the committed value. */
  | 'COMMITMENT_MISMATCH'
  /** A prefix-tree key is inserted twice. */
  | 'DUPLICATE_KEY'
  /** A search response is well formed but does not prove what it claims (wrong version order, stale entry, …). */
  | 'SEARCH_PROOF_INVALID';

export class KeyTransparencyError extends Error {
  readonly code: KeyTransparencyErrorCode;
  constructor(code: KeyTransparencyErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'KeyTransparencyError';
  }
}

/** Throws a KeyTransparencyError with `code` unless `condition` holds. */
export function ensure(condition: boolean, code: KeyTransparencyErrorCode, message: string): asserts condition {
  if (!condition) throw new KeyTransparencyError(code, message);
}
