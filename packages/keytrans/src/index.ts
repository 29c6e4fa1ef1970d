/**
 * @sealpost/keytrans: key transparency as pure functions (no I/O), written
 * once for both sides: the server records proofs with the generators, the
 * client consumes them with the verifiers. See the package README.
 */
export { KeyTransparencyError, type KeyTransparencyErrorCode } from './errors.ts';

// RFC 6962 log tree (suite 0xF001 hashing)
export {
  HASH_SIZE,
  MAX_TREE_SIZE,
  type LeafHashStore,
  MemoryLeafStore,
  emptyRoot,
  hashChildren,
  hashLeaf,
  rootOfLeafHashes,
  subtreeHash,
  treeRoot,
} from './log-tree.ts';
export { inclusionProof, rootFromInclusionProof, verifyInclusion } from './inclusion.ts';
export { consistencyProof, verifyConsistency } from './consistency.ts';
export { LOG_ENTRY_SIZE, type LogEntry, decodeLogEntry, encodeLogEntry, logEntryLeafHash } from './log-entry.ts';

// ECVRF-EDWARDS25519-SHA512-TAI
export { VRF_HASH_SIZE, VRF_OUTPUT_SIZE, VRF_PROOF_SIZE, vrfOutput, vrfProofToHash, vrfProve, vrfPublicKey, vrfVerify } from './vrf.ts';

// C2SP signed notes, checkpoints, cosignatures, witness policies
export {
  MAX_NOTE_SIGNATURES,
  SIGNATURE_TYPE_ED25519,
  type Note,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type VerifierKey,
  addNoteSignatures,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  formatVerifierKey,
  noteKeyId,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from './signed-note.ts';
export { type Checkpoint, type OpenedCheckpoint, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
export { SIGNATURE_TYPE_COSIGNATURE_V1, cosignatureMessage, cosignatureTimestamp, ed25519CosignatureVerifier, ed25519Cosigner } from './cosignature.ts';
export {
  type PolicyGroup,
  type PolicyWitness,
  type WitnessCheckOptions,
  type WitnessPolicy,
  type WitnessedCheckpoint,
  freshCosignatures,
  parseWitnessPolicy,
  policyWitnessVerifiers,
  quorumSatisfied,
  verifyWitnessedCheckpoint,
} from './witness-policy.ts';

// commitments, prefix tree, search proofs
export { COMMITMENT_KEY, COMMITMENT_SIZE, MAX_LABEL_SIZE, MAX_VALUE_SIZE, OPENING_SIZE, commit, commitmentValue, computeCommitment, encodeUpdateValue, verifyCommitment } from './commitment.ts';
export {
  KEY_SIZE,
  type PrefixLookup,
  type PrefixProof,
  type PrefixSearchResult,
  PrefixTree,
  decodePrefixProof,
  encodePrefixProof,
  evaluatePrefixProof,
  prefixLeafHash,
  prefixParentHash,
  verifyPrefixProof,
} from './prefix-tree.ts';
export { type SearchProof, type SearchVerifyParams, type VerifiedSearch, decodeSearchProof, encodeSearchProof, verifySearchProof, vrfInput } from './search-proof.ts';
export { KtDirectory, type LabelUpdate } from './directory.ts';

// Sealpost's labels and values, and the HTTP API's shapes
export {
  type ParsedLabel,
  accountLabel,
  decodeHandleValue,
  decodeIdentityValue,
  encodeHandleValue,
  encodeIdentityValue,
  handleLabel,
  normalizeHandle,
  parseLabel,
  uuidBytes,
  uuidString,
} from './labels.ts';
export { type HandleClaimJson, type HandleLookupJson, KT_ERROR_CODES, type KtConfigJson, type KtConsistencyJson, type KtSearchRequestJson, type KtSearchResponseJson } from './wire.ts';

// the client's verifying side: pinned configuration, state and its codec, applySearch, evidence
export * from './monitor/index.ts';
