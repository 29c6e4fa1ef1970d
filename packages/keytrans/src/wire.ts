/**
 * The key-transparency HTTP API between the key server and clients (JSON;
 * byte strings are standard base64 with padding). Both sides import these
 * shapes, so they cannot drift. Errors keep the services' envelope
 * `{ error: { code, message } }`.
 *
 *   GET  /v1/kt/config                 → KtConfigJson (display only; clients pin their copy)
 *   POST /v1/kt/search                 KtSearchRequestJson → KtSearchResponseJson
 *        no authentication, nothing identifying in path or query, rate-limited per client address;
 *        404 KT_LABEL_NOT_LOGGED when the label has no version in the proven checkpoint yet
 *   GET  /v1/handles/:handle           → HandleLookupJson   (the directory's answer; the client checks it with a search of handleLabel)
 *   PUT  /v1/accounts/me/handle        HandleClaimJson → 204 (device auth, primary only; 409 HANDLE_TAKEN)
 *   GET  /kt/checkpoint                → text/plain: the newest checkpoint with its log signature and the cosignatures the server holds
 *   GET  /kt/tile/<L>/<N>[.p/<W>]      → C2SP tlog-tiles hash tile; GET /kt/tile/entries/<N>[.p/<W>] → entry bundle (40-byte LogEntry each)
 *
 * Monitoring (owner and contact) is a search at a newer checkpoint: the
 * owner checks that its label's greatest version is the one it created, a
 * contact checks that what it accepted is still there (versions never go
 * back, a version's value never changes).
 */

/** `GET /v1/kt/config`. */
export interface KtConfigJson {
  /** The checkpoint origin, e.g. "keys.example.org/sealpost-kt/0123456789abcdef". */
  origin: string;
  /** The log's Ed25519 note verifier key (C2SP vkey text, type 0x01, name = origin). */
  logVerifierKey: string;
  /** The ECVRF-EDWARDS25519-SHA512-TAI public key, 32 bytes base64. */
  vrfPublicKey: string;
  /** How far an entry's timestamp may be ahead of the client's clock (ms). */
  maxAheadMs: number;
  /** How far it may be behind (ms): the sequencer writes a heartbeat entry well within this. */
  maxBehindMs: number;
}

/** `POST /v1/kt/search` body. */
export interface KtSearchRequestJson {
  /** The label (accountLabel / handleLabel bytes), base64. */
  label: string;
  /** The size of the newest checkpoint the client has verified (omitted on first use): the response proves consistency from it. */
  last?: number;
  /** Sizes of log-signed checkpoints the client holds that no witness quorum covered yet (at most 16): the response proves consistency from each that is smaller than its checkpoint. */
  pending?: number[];
}

/** One RFC 6962 consistency proof from an older size to the response's checkpoint. */
export interface KtConsistencyJson {
  from: number;
  /** The proof's hashes, base64 each (empty when `from` equals the checkpoint size). */
  proof: string[];
}

/** `POST /v1/kt/search` answer. */
export interface KtSearchResponseJson {
  /**
   * The checkpoint the proof is against, as a signed note: the log's
   * signature and the cosignature lines the server holds for it. The server
   * proves against the newest checkpoint its witness quorum has cosigned
   * (or its newest checkpoint when none has been cosigned yet).
   */
  checkpoint: string;
  /** `encodeSearchProof` bytes, base64: greatest version, value and opening of the label at the checkpoint's newest entry. */
  proof: string;
  /** Consistency from the request's `last` and each `pending` size (those below the checkpoint size; equal sizes get an empty proof). */
  consistency: KtConsistencyJson[];
}

/** `GET /v1/handles/:handle`. */
export interface HandleLookupJson {
  handle: string;
  accountId: string;
}

/** `PUT /v1/accounts/me/handle` body. */
export interface HandleClaimJson {
  handle: string;
}

/** Error codes the KT routes answer with (besides the services' usual ones). */
export const KT_ERROR_CODES = {
  /** 404: the label has no version in the proven checkpoint (not logged yet, or never). */
  labelNotLogged: 'KT_LABEL_NOT_LOGGED',
  /** 404: no handle by that name. */
  unknownHandle: 'UNKNOWN_HANDLE',
  /** 409: the handle belongs to another account. */
  handleTaken: 'HANDLE_TAKEN',
  /** 503: key transparency is not configured on this server. */
  disabled: 'KT_DISABLED',
} as const;
