/**
 * Exportable KT evidence: building it, and checking it as a third party
 * with @sealpost/keytrans and the pinned configuration only.
 */
import { KeyTransparencyError } from '../errors.ts';
import type { KtEvidenceJson, KtPinned } from './types.ts';

/**
 * Checks evidence independently: every checkpoint note is signed by the
 * pinned log, and the contradiction it claims holds (same size / other
 * root; rollback sizes; the consistency proof fails; the search proofs
 * verify and show the version going back or a value the owner did not
 * create). Returns nothing; throws KeyTransparencyError (SEARCH_PROOF_INVALID
 * "evidence does not hold", or the failing check's code) otherwise.
 */
export function checkEvidence(evidence: KtEvidenceJson, pinned: KtPinned): void {
  void evidence;
  void pinned;
  throw new KeyTransparencyError('INVALID_ARGUMENT', 'not implemented yet');
}

/** Strictly validates parsed JSON as KtEvidenceJson (MALFORMED otherwise) and returns a canonical copy. */
export function parseEvidenceJson(json: unknown): KtEvidenceJson {
  void json;
  throw new KeyTransparencyError('MALFORMED', 'not implemented yet');
}
