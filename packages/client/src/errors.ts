/**
 * Typed errors the client SDK reports. Every error carries a stable
 * machine-readable `code` (apps switch on it); messages never include secrets.
 *
 * Errors raised by the protocol layer (`SealpostError` from
 * `@sealpost/protocol`) pass through unchanged, so an app can test either.
 */
export type ClientErrorCode =
  /** The store holds no local identity yet: call `register()` or `link()` first. */
  | 'NOT_REGISTERED'
  /** The store already holds an identity; registering again would lose it. */
  | 'ALREADY_REGISTERED'
  /** A remote identity key differs from the one trusted on first use. */
  | 'IDENTITY_CHANGED'
  /** A service answered with an error status. */
  | 'SERVICE_ERROR'
  /** A service could not be reached (a cause not listed below); thrown as `NetworkError`. */
  | 'NETWORK_ERROR'
  /** Nothing listens at the service's address (ECONNREFUSED); `NetworkError`. */
  | 'CONNECTION_REFUSED'
  /** The connection was closed or reset under the request (e.g. the service stopped); `NetworkError`. */
  | 'CONNECTION_RESET'
  /** The service's host name did not resolve; `NetworkError`. */
  | 'DNS_FAILURE'
  /** The TLS handshake failed (certificate, protocol); `NetworkError`. */
  | 'TLS_FAILURE'
  /** The service did not answer in time; `NetworkError`. */
  | 'TIMEOUT'
  /** The trust root option is not a public key, or the service's sender certificate does not chain to it. */
  | 'INVALID_TRUST_ROOT'
  /** A received plaintext's padding is malformed (not 0x80 followed by zeros). */
  | 'INVALID_PADDING'
  /** A quarantined envelope was evicted to keep the quarantine within its bounds. */
  | 'QUARANTINE_EVICTED'
  /** An account was deleted (a contact's: its sends and bundle fetches; this device's own after `deleteAccount()`); thrown as `AccountDeletedError`. */
  | 'ACCOUNT_DELETED'
  /** The recipient account does not exist or has no devices. */
  | 'UNKNOWN_RECIPIENT'
  /** Sending gave up after repeated device-list mismatches. */
  | 'DEVICE_MISMATCH'
  /** A stored record or received payload is malformed. */
  | 'INVALID_DATA'
  /** The store's schema is newer than this code understands. */
  | 'STORE_VERSION'
  /** The database key is wrong, or the file is not a (Sealpost) database. */
  | 'STORE_KEY'
  /** The platform lacks what the store needs (browser store: IndexedDB and Web Locks, i.e. a secure context), or the engine refused (quota). */
  | 'STORE_UNAVAILABLE'
  /** An encrypted store was asked for but its SQLCipher-compatible binding is not installed. */
  | 'STORE_ENCRYPTION_UNAVAILABLE'
  /** A provisioning (device-link) message failed its MAC, version or format check. */
  | 'BAD_PROVISIONING_MESSAGE'
  /** A device-link request ended (expired, cancelled, or the relay closed its mailbox) before it completed. */
  | 'LINK_FAILED'
  /** A PreKeySignalMessage that used the last-resort Kyber prekey arrived again (a replay). */
  | 'PREKEY_REPLAY'
  /** The client was closed. */
  | 'CLOSED'
  /** Groups (see `GroupError`): no such group here. */
  | 'GROUP_UNKNOWN'
  /** A group message or change from an account that is not a member at its epoch, or an operation this device's account may not make. */
  | 'GROUP_NOT_MEMBER'
  /** A group change whose signature, author, chain link or encoding is not valid. */
  | 'GROUP_FORGED_CHANGE'
  /** Two different group changes (or states) for one epoch: the group is frozen until resolved. */
  | 'GROUP_EQUIVOCATION'
  /** A group message or change for an epoch this device is past and cannot accept. */
  | 'GROUP_STALE_EPOCH'
  /** A group message or change for an epoch this device has not reached: kept until the missing changes arrive. */
  | 'GROUP_EPOCH_AHEAD'
  // Edit and delete for everyone (see `EditError`, src/edits/errors.ts).
  /** An edit or delete for everyone from someone who is not the target's author. */
  | 'EDIT_NOT_AUTHOR'
  /** An edit or delete for everyone of a message older than the window. */
  | 'EDIT_WINDOW_EXPIRED'
  /** An edit or delete for everyone of a message this device does not have. */
  | 'EDIT_TARGET_UNKNOWN'
  /** An edit or delete for everyone of a message already deleted for everyone. */
  | 'EDIT_TARGET_DELETED'
  // History transfer to a new device (see `HistoryTransferError`, history-transfer/errors.ts):
  /** The archive failed its digest or MAC (changed on the blob service or in transit); nothing was imported. */
  | 'HISTORY_TRANSFER_TAMPERED'
  /** The archive or its pointer is malformed, or breaks a bound (counts, sizes); nothing was imported. */
  | 'HISTORY_TRANSFER_INVALID'
  /** The archive could not be fetched or uploaded (no blob client, expired blob, network); retry with `historyTransfer.retry()`. */
  | 'HISTORY_TRANSFER_UNAVAILABLE'
  // Key transparency (see `KtError`, kt/errors.ts): a bundle's key was refused under `mode: 'enforce'`, or an answer was unusable.
  /** The log holds another key for the account than the key server handed out (or another account for a handle). */
  | 'KT_MISMATCH'
  /** The label is not in the log (the key server answered `KT_LABEL_NOT_LOGGED`): an unlogged key is refused like a wrong one. */
  | 'KT_NOT_LOGGED'
  /** The checkpoint lacks the pinned witness quorum (or its cosignatures are too old). */
  | 'KT_UNWITNESSED'
  /** The log's newest entry is older than `maxBehindMs` (a frozen view), or the log went back. */
  | 'KT_STALE'
  /** Two views of the log that cannot both be true (a split view): evidence is kept. */
  | 'KT_FORK'
  /** An answer's proof does not verify, or a monitored label's history changed. */
  | 'KT_MONITOR_FAILED'
  /** The key-transparency answer is malformed (not the wire shape) or the key server could not give one. */
  | 'KT_BAD_RESPONSE'
  /** The `keyTransparency` option is not a usable configuration. */
  | 'KT_INVALID_CONFIG';

/** Base class of every error the client raises itself. */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A service (key server or relay) answered with a non-success status. */
export class ServiceError extends ClientError {
  /** HTTP status. */
  readonly status: number;
  /** The service's `error.code` (e.g. `RATE_LIMITED`), when it sent one. */
  readonly serviceCode: string | undefined;
  /** The parsed JSON body, when there was one (e.g. mismatched-device lists). */
  readonly body: unknown;
  /** Seconds from a `Retry-After` header, when present. */
  readonly retryAfterSeconds: number | undefined;
  constructor(service: string, status: number, serviceCode: string | undefined, message: string, body: unknown, retryAfterSeconds?: number) {
    super('SERVICE_ERROR', `${service} answered ${status}${serviceCode ? ` ${serviceCode}` : ''}: ${message}`);
    this.status = status;
    this.serviceCode = serviceCode;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The codes of `NetworkError`. */
export type NetworkErrorCode = 'NETWORK_ERROR' | 'CONNECTION_REFUSED' | 'CONNECTION_RESET' | 'DNS_FAILURE' | 'TLS_FAILURE' | 'TIMEOUT';

/**
 * A service could not be reached: no HTTP answer at all. `code` says why
 * (`CONNECTION_REFUSED`, `CONNECTION_RESET`, `DNS_FAILURE`, `TLS_FAILURE`, `TIMEOUT`, otherwise
 * `NETWORK_ERROR`); `url` is the URL that was requested.
 */
export class NetworkError extends ClientError {
  declare readonly code: NetworkErrorCode;
  /** The service's name (`key server`, `relay`). */
  readonly service: string;
  /** The URL requested. */
  readonly url: string;
  constructor(code: NetworkErrorCode, service: string, url: string, detail: string, options?: { cause?: unknown }) {
    super(code, `${service} unreachable at ${url}: ${detail}`, options);
    this.service = service;
    this.url = url;
  }
}

/** True for every `NetworkError` (the service gave no HTTP answer: retry later). */
export function isNetworkError(error: unknown): error is NetworkError {
  return error instanceof NetworkError;
}

/** A remote identity changed; the app must show it before trusting the new key. */
export class IdentityChangedError extends ClientError {
  /** The account whose identity changed. */
  readonly account: string;
  constructor(account: string) {
    super('IDENTITY_CHANGED', `identity key of ${account} changed since it was first trusted`);
    this.account = account;
  }
}

/**
 * A PreKeySignalMessage used the last-resort Kyber prekey with a base key
 * seen before: a replay (libsignal refuses it in `markKyberPreKeyUsed`).
 */
export class KyberPreKeyReplayError extends ClientError {
  readonly kyberPreKeyId: number;
  readonly signedPreKeyId: number;
  constructor(kyberPreKeyId: number, signedPreKeyId: number) {
    super('PREKEY_REPLAY', `last-resort Kyber prekey ${kyberPreKeyId} (signed prekey ${signedPreKeyId}) was already used with this base key`);
    this.kyberPreKeyId = kyberPreKeyId;
    this.signedPreKeyId = signedPreKeyId;
  }
}
