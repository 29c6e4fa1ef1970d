/** The key-transparency role's types (re-exported by store/types.ts). */

/** One piece of key-transparency evidence as stored (see `KtStore`); `data` is JSON-safe. */
export interface StoredKtEvidence {
  /** The `kt` event kind it backs (`mismatch`, `fork`, `ownerAlarm`, ...). */
  readonly kind: string;
  /** When it was recorded, ms. */
  readonly at: number;
  readonly account: string | undefined;
  readonly handle: string | undefined;
  /** The evidence itself (signed checkpoints, proofs, the values involved), as JSON-safe data. */
  readonly data: unknown;
}

/** Evidence records kept; the oldest are dropped beyond this. */
export const MAX_KT_EVIDENCE = 1000;

/**
 * Key transparency (role `kt`, SQLite migration 11): the verifier's whole
 * client state as one blob (`encodeKtState` of @sealpost/keytrans: the
 * retained and pending checkpoints, accepted and owned labels, the VRF
 * cache), replaced only after a response verified, and the evidence this
 * device found (bounded, oldest dropped). The client writes both in one
 * transaction per response.
 */
export interface KtStore {
  /** The encoded verifier state; undefined before the first one was saved. */
  state(): Promise<Uint8Array | undefined>;
  /** Replaces the encoded verifier state (`at`: when, ms). */
  setState(state: Uint8Array, at: number): Promise<void>;
  /** Appends one evidence record (the oldest beyond `MAX_KT_EVIDENCE` are dropped). */
  addEvidence(record: StoredKtEvidence): Promise<void>;
  /** Every evidence record, oldest first. */
  evidence(): Promise<StoredKtEvidence[]>;
}
