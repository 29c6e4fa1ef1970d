/**
 * Accounts: the single writer of (account, identity key, primary device).
 * Creating an account stores its identity key, the primary device and that
 * device's initial keys in ONE atomic store call, so an account never
 * exists without the keys it was created with.
 */
import { randomUUID } from 'node:crypto';
import { accountLabel, encodeIdentityValue } from '@sealpost/keytrans';
import { hashDeviceSecret } from '../device-secret.ts';
import { forbidden, missingAccount } from '../errors.ts';
import { PRIMARY_DEVICE_ID } from '../store/sqlite-key-store.ts';
import type { DeviceInfo } from '../store/key-store.ts';
import type { DomainDeps } from './deps.ts';
import { checkInitialKeys, type InitialKeysJson } from './keys.ts';

/** What creating an account takes (decoded; initial keys still JSON, checked here). */
export interface NewAccountRequest {
  /** 33 bytes, 0x05 ‖ u. */
  identityKey: Uint8Array;
  registrationId: number;
  /** The primary device's 32-byte secret (only its hash is stored). */
  secret: Uint8Array;
  initialKeys: InitialKeysJson;
}

/** A device as its account id and device id. */
export interface DeviceAddress {
  accountId: string;
  deviceId: number;
}

/** Accounts, as Signal-Server's AccountsManager. */
export class Accounts {
  constructor(private readonly deps: DomainDeps) {}

  /**
   * Creates an account with its primary device (id 1) and its initial keys,
   * atomically. With key transparency on, the identity key's log update
   * (`accountLabel(id)` version 0) is queued in the same transaction, and
   * this answers once it is sequenced and witnessed (bounded wait).
   */
  async create(request: NewAccountRequest): Promise<DeviceAddress> {
    const initialKeys = checkInitialKeys(request.initialKeys, request.identityKey, this.deps.verifySignature);
    const account = {
      identityKey: request.identityKey,
      registrationId: request.registrationId,
      secretHash: hashDeviceSecret(request.secret),
      now: this.deps.now(),
      ...(initialKeys === undefined ? {} : { initialKeys }),
    };
    const kt = this.deps.keyTransparency;
    const ktUpdate = (id: string) => (kt === undefined ? {} : { ktUpdate: { label: accountLabel(id), value: encodeIdentityValue(request.identityKey) } });
    let accountId = randomUUID();
    // A v4 UUID collision is astronomically unlikely; retry rather than assume.
    while (!(await this.deps.store.createAccount({ accountId, ...account, ...ktUpdate(accountId) }))) accountId = randomUUID();
    if (kt !== undefined) await kt.settled(accountLabel(accountId));
    return { accountId, deviceId: PRIMARY_DEVICE_ID };
  }

  /** The account's identity key; 404 `UNKNOWN_ACCOUNT` when there is no such account. */
  async identityKey(accountId: string): Promise<Uint8Array> {
    const key = await this.deps.store.identityKey(accountId);
    if (key === undefined) throw await missingAccount(this.deps.store, accountId);
    return key;
  }

  /** The account's devices (public); 404 `UNKNOWN_ACCOUNT` when there is no such account. */
  async devices(accountId: string): Promise<DeviceInfo[]> {
    const devices = await this.deps.store.listDevices(accountId);
    if (devices === undefined) throw await missingAccount(this.deps.store, accountId);
    return devices;
  }

  /**
   * Deletes the authenticated device's account (primary device only, as
   * Signal: a linked device cannot delete the account it belongs to) with
   * everything it owns, leaving a tombstone: its id answers 410
   * `ACCOUNT_DELETED` from then on and is never issued again. Resolves to
   * how many devices it had.
   */
  async delete(device: DeviceAddress): Promise<number> {
    if (device.deviceId !== PRIMARY_DEVICE_ID) throw forbidden('only the primary device can delete the account');
    const devices = await this.deps.store.deleteAccount(device.accountId, this.deps.now());
    // Authenticated a moment ago: gone meanwhile means a concurrent deletion won.
    if (devices === undefined) throw await missingAccount(this.deps.store, device.accountId);
    return devices;
  }
}
