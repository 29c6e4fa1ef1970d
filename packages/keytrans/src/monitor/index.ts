/** The client's verifying side of key transparency: see types.ts and the package README, "Client verification". */
export type {
  ApplySearchParams,
  ApplySearchResult,
  KtAcceptedLabel,
  KtClientState,
  KtEvidenceJson,
  KtEvidenceKind,
  KtHead,
  KtOutcome,
  KtOutcomeKind,
  KtOwnedLabel,
  KtPendingHead,
  KtPinned,
  KtPurpose,
  KtStaleReason,
} from './types.ts';
export { KT_STATE_FORMAT_VERSION, MAX_EVIDENCE, MAX_LABELS, MAX_OWNED, MAX_PENDING_HEADS, MAX_VRF_CACHE } from './limits.ts';
export { KT_DEFAULTS, type KtPinnedOptions, ktPinned } from './pinned.ts';
export { emptyKtState, labelKey, labelsToMonitor, recordEvidence, setOwnedLabel } from './state.ts';
export { decodeKtState, encodeKtState } from './state-codec.ts';
export { applySearch, ktSearchRequest } from './apply-search.ts';
export { checkEvidence, parseEvidenceJson } from './evidence.ts';
