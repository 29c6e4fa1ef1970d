/**
 * The key server's storage seam: what the domain layer (../domain) needs, as
 * Promise-returning, domain-atomic operations — each method that changes
 * several rows does all of it or none of it, so there is no generic
 * `transaction(fn)` to implement. `SqliteKeyStore` is the embedded
 * implementation, `PostgresKeyStore` the one several instances share.
 * Group commit and read caches are the implementation's business (the
 * SQLite store does both inside).
 */

/** Highest device id libsignal accepts (DeviceId is 1..=127). */
export const MAX_DEVICE_ID = 127;
/** The primary device's id. */
export const PRIMARY_DEVICE_ID = 1;

/** Which long-lived prekey a signed-key row holds. */
export type SignedKeyKind = 'ec' | 'kyber';

/** A Curve25519 one-time prekey (unsigned, as in libsignal). */
export interface EcPreKey {
  keyId: number;
  /** 33 bytes, 0x05-prefixed. */
  publicKey: Uint8Array;
}

/** A signed prekey: the EC signed prekey, a Kyber last-resort key or a Kyber one-time key. */
export interface SignedPreKey {
  keyId: number;
  /** 33 bytes (0x05 ‖ u) for EC, 1569 bytes (0x08 ‖ pk) for Kyber1024. */
  publicKey: Uint8Array;
  /** XEdDSA signature (64 bytes) by the account identity key over `publicKey`. */
  signature: Uint8Array;
}

/** A long-lived signed key with its rotation bookkeeping. */
export interface SignedKeyRecord extends SignedPreKey {
  kind: SignedKeyKind;
  createdAt: number;
  /** When a newer key replaced it; undefined while it is the current key. */
  replacedAt: number | undefined;
}

/** The long-lived keys a device may bring when it is created (already signature-checked). */
export interface InitialKeys {
  signedPreKey?: SignedPreKey;
  pqLastResortPreKey?: SignedPreKey;
}

/** What a device may upload in one request (already validated and signature-checked). */
export interface KeyUpload {
  signedPreKey?: SignedPreKey;
  pqLastResortPreKey?: SignedPreKey;
  preKeys?: EcPreKey[];
  pqPreKeys?: SignedPreKey[];
}

/** A device as listed publicly. */
export interface DeviceInfo {
  deviceId: number;
  registrationId: number;
  createdAt: number;
}

/** What authenticating a device needs. */
export interface DeviceCredentials {
  registrationId: number;
  /** SHA-256 of the device secret (see auth.ts). */
  secretHash: Uint8Array;
}

/** One device's part of a prekey bundle. */
export interface DeviceBundle {
  deviceId: number;
  registrationId: number;
  signedPreKey: SignedPreKey;
  /** A one-time EC prekey, consumed by this fetch; absent when none are left. */
  preKey: EcPreKey | undefined;
  /** A one-time Kyber prekey consumed by this fetch, or the last-resort key. */
  pqPreKey: SignedPreKey;
  pqPreKeyIsLastResort: boolean;
}

/** One bundle fetch: a device, or all devices when `deviceId` is undefined. */
export interface BundleRequest {
  accountId: string;
  deviceId: number | undefined;
}

/** A new account with its first (primary) device and that device's first keys. */
export interface NewAccount {
  accountId: string;
  identityKey: Uint8Array;
  registrationId: number;
  secretHash: Uint8Array;
  now: number;
  /** Stored in the same transaction as the account. */
  initialKeys?: InitialKeys;
  /** A key-transparency update (the account label's version 0) queued in the same transaction (kt_pending). */
  ktUpdate?: { label: Uint8Array; value: Uint8Array };
}

/** A device being linked through a provisioning code, with its first keys. */
export interface NewLinkedDevice {
  codeHash: Uint8Array;
  registrationId: number;
  secretHash: Uint8Array;
  now: number;
  maxDevices: number;
  /** Stored in the same transaction as the device. */
  initialKeys?: InitialKeys;
}

/** Outcome of linking a device. */
export type LinkResult =
  | { ok: true; accountId: string; deviceId: number }
  | { ok: false; reason: 'UNKNOWN_CODE' | 'DEVICE_LIMIT' | 'DEVICE_IDS_EXHAUSTED' };

/** Outcome of recording a provisioning code. */
export type AddCodeResult = { ok: true } | { ok: false; reason: 'TOO_MANY_CODES'; oldestExpiresAt: number };

/** Outcome of storing keys. */
export type StoreKeysResult =
  | { ok: true }
  | { ok: false; reason: 'DUPLICATE_KEY_ID'; kind: SignedKeyKind; keyIds: number[] }
  | { ok: false; reason: 'TOO_MANY_KEYS'; kind: SignedKeyKind; limit: number };

/** The key server's storage. */
/** One-time keys on the server, all devices together (a metrics figure). */
export interface OneTimeKeyStock {
  ec: number;
  kyber: number;
}

/** The numbers of a database connection pool (`pg.Pool` has them). */
export interface StorePool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface KeyStore {
  /**
   * Optional readiness check for `/ready`: resolves when the database is
   * reachable and fully migrated, rejects with the reason otherwise.
   */
  ready?(): Promise<void>;
  /** Optional aggregate one-time-key stock for the metrics (sampled, not per request). */
  oneTimeKeyStock?(): Promise<OneTimeKeyStock>;
  /** Optional connection pool whose stats the metrics report (a PostgreSQL store's `pg.Pool`). */
  connectionPool?(): StorePool | undefined;
  /** Creates an account, its primary device (id 1) and that device's initial keys, atomically. False if the id exists or was deleted. */
  createAccount(account: NewAccount): Promise<boolean>;
  /** The account's identity key (33 bytes), or undefined. */
  identityKey(accountId: string): Promise<Uint8Array | undefined>;
  /** What auth needs for one device, or undefined. */
  deviceCredentials(accountId: string, deviceId: number): Promise<DeviceCredentials | undefined>;
  /** The account's devices in id order, or undefined for an unknown account. */
  listDevices(accountId: string): Promise<DeviceInfo[] | undefined>;
  /**
   * Records a provisioning code (by hash) for `accountId`, expiring at
   * `expiresAt`, unless the account already has `maxOutstanding` unexpired
   * codes at `now` (checked and inserted atomically).
   */
  addProvisioningCode(accountId: string, codeHash: Uint8Array, expiresAt: number, now: number, maxOutstanding: number): Promise<AddCodeResult>;
  /** The account an unexpired provisioning code belongs to, without consuming it. */
  provisioningCodeAccount(codeHash: Uint8Array, now: number): Promise<string | undefined>;
  /**
   * Consumes a provisioning code and adds a device together with its initial
   * keys, atomically (a refused link keeps the code). Device ids are never
   * reused within an account: the new device gets one above the highest id
   * the account ever had (`DEVICE_IDS_EXHAUSTED` after 127).
   */
  linkDevice(device: NewLinkedDevice): Promise<LinkResult>;
  /** Removes a device and all its keys. False if it did not exist. */
  removeDevice(accountId: string, deviceId: number): Promise<boolean>;
  /**
   * Deletes an account and everything it owns (identity key, devices and
   * their credentials, signed / last-resort / one-time prekeys with their
   * material, provisioning codes) and records a tombstone, atomically. The
   * id is never issued again (`createAccount` refuses it). Resolves to the
   * number of devices the account had; undefined if there was no such
   * account (deleted before, or never existed).
   */
  deleteAccount(accountId: string, now: number): Promise<number | undefined>;
  /** True when the account was deleted (it has a tombstone). */
  accountDeleted(accountId: string): Promise<boolean>;
  /** Stores an upload atomically; nothing is stored if any part is rejected. */
  storeKeys(accountId: string, deviceId: number, upload: KeyUpload, now: number, maxOneTimeKeys: number): Promise<StoreKeysResult>;
  /** Which of `keyIds` the device already holds as one-time keys of `kind` (a read; uploads check it before any signature). */
  storedOneTimeKeyIds(accountId: string, deviceId: number, kind: SignedKeyKind, keyIds: readonly number[]): Promise<number[]>;
  /** Numbers of one-time keys left. */
  countOneTimeKeys(accountId: string, deviceId: number): Promise<{ ec: number; kyber: number }>;
  /**
   * Takes bundles for the given devices (all devices when `deviceId` is
   * undefined), consuming at most one EC and one Kyber one-time key per
   * device, atomically. Devices lacking a signed prekey or a last-resort key
   * are left out.
   */
  takeBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]>;
  /**
   * Bundles as `takeBundles` would give them for a drained device: signed
   * prekey and last-resort Kyber key, no one-time key; consumes nothing.
   */
  peekBundles(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]>;
  /**
   * Several fetches at once, in one transaction: result `i` is what
   * `takeBundles(requests[i])` would give if they ran in order.
   */
  takeBundlesMany(requests: readonly BundleRequest[]): Promise<DeviceBundle[][]>;
  /** Current and retained replaced long-lived keys of a device, newest first. */
  signedKeyHistory(accountId: string, deviceId: number): Promise<SignedKeyRecord[]>;
  /** Deletes replaced long-lived keys replaced before `replacedBefore` and expired provisioning codes. */
  prune(replacedBefore: number, now: number): Promise<void>;
  /** Finishes pending work and closes the underlying storage. */
  close(): Promise<void>;
}
