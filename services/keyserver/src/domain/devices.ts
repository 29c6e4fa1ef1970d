/**
 * Devices: provisioning codes (made by the primary device), linking a new
 * device with one — the device and its initial keys in ONE atomic store
 * call — listing and removing devices (a device's keys go with it).
 */
import { fromBase64Url, randomBytes, sha256, toBase64Url, utf8Encode } from '@sealpost/protocol/primitives';
import type { AuthenticatedDevice } from '@sealpost/service-kit';
import { hashDeviceSecret } from '../device-secret.ts';
import { forbidden, KeyServerError, notFound } from '../errors.ts';
import { PRIMARY_DEVICE_ID } from '../store/sqlite-key-store.ts';
import type { DeviceInfo } from '../store/key-store.ts';
import type { DeviceAddress } from './accounts.ts';
import type { DomainDeps } from './deps.ts';
import { checkInitialKeys, type InitialKeysJson } from './keys.ts';

/** Random bytes in a provisioning code: 128 bits, so codes cannot be guessed within their lifetime. */
export const PROVISIONING_CODE_BYTES = 16;
const CODE_RE = /^[A-Za-z0-9_-]{22}$/;
const CODE_DOMAIN = utf8Encode('sealpost-provisioning-code-v1');

/** What is stored of a provisioning code: a hash of its 16 bytes (strict base64url, so one code has one spelling). */
function hashCode(code: string): Uint8Array | undefined {
  if (!CODE_RE.test(code)) return undefined;
  try {
    return sha256(CODE_DOMAIN, fromBase64Url(code));
  } catch {
    return undefined;
  }
}

/** What linking a device takes (decoded; initial keys still JSON, checked here). */
export interface LinkRequest {
  provisioningCode: string;
  registrationId: number;
  /** The new device's 32-byte secret (only its hash is stored). */
  secret: Uint8Array;
  initialKeys: InitialKeysJson;
}

function invalidCode(): KeyServerError {
  return new KeyServerError(403, 'INVALID_PROVISIONING_CODE', 'provisioning code is unknown, used or expired');
}

/** Devices of an account. */
export class Devices {
  constructor(private readonly deps: DomainDeps) {}

  /**
   * A single-use code for linking a new device (primary device only). At
   * most `maxProvisioningCodes` may be outstanding (unused, unexpired) per
   * account; beyond that 429 with Retry-After until the oldest expires.
   */
  async createProvisioningCode(device: AuthenticatedDevice): Promise<{ code: string; expiresAt: number }> {
    if (device.deviceId !== PRIMARY_DEVICE_ID) throw forbidden('only the primary device can link devices');
    const { settings } = this.deps;
    const code = toBase64Url(randomBytes(PROVISIONING_CODE_BYTES));
    const now = this.deps.now();
    const expiresAt = now + settings.provisioningCodeTtlMs;
    const added = await this.deps.store.addProvisioningCode(device.accountId, hashCode(code)!, expiresAt, now, settings.maxProvisioningCodes);
    if (!added.ok) {
      const retryAfter = Math.max(1, Math.ceil((added.oldestExpiresAt - now) / 1000));
      throw new KeyServerError(429, 'TOO_MANY_PROVISIONING_CODES', `at most ${settings.maxProvisioningCodes} provisioning codes may be outstanding`, {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
    return { code, expiresAt };
  }

  /** Links a device with a provisioning code, its initial keys checked against the account identity key. */
  async link(request: LinkRequest): Promise<DeviceAddress> {
    const { store, settings } = this.deps;
    const now = this.deps.now();
    const codeHash = hashCode(request.provisioningCode);
    if (codeHash === undefined) throw invalidCode();
    const accountId = await store.provisioningCodeAccount(codeHash, now);
    if (accountId === undefined) throw invalidCode();
    const initialKeys = checkInitialKeys(request.initialKeys, (await store.identityKey(accountId))!);
    const linked = await store.linkDevice({
      codeHash,
      registrationId: request.registrationId,
      secretHash: hashDeviceSecret(request.secret),
      now,
      maxDevices: settings.maxDevices,
      ...(initialKeys === undefined ? {} : { initialKeys }),
    });
    if (!linked.ok) {
      if (linked.reason === 'DEVICE_LIMIT') {
        throw new KeyServerError(409, 'DEVICE_LIMIT', `account already has the maximum of ${settings.maxDevices} devices`);
      }
      if (linked.reason === 'DEVICE_IDS_EXHAUSTED') {
        throw new KeyServerError(409, 'DEVICE_IDS_EXHAUSTED', 'this account has used all 126 linked-device ids (ids are never reused)');
      }
      throw invalidCode();
    }
    return { accountId: linked.accountId, deviceId: linked.deviceId };
  }

  /** The authenticated device's account's devices. */
  async list(device: AuthenticatedDevice): Promise<DeviceInfo[]> {
    return (await this.deps.store.listDevices(device.accountId)) ?? [];
  }

  /**
   * Removes a device and its keys: the primary may remove any linked device,
   * a linked device only itself. `onRemoved` hooks (the sender-certificate
   * cache) run after the store commits; relays notice within their
   * authorization TTL (docs/hardening/devices.md).
   */
  async remove(device: AuthenticatedDevice, target: number): Promise<void> {
    if (target === PRIMARY_DEVICE_ID) throw forbidden('the primary device cannot be removed');
    if (device.deviceId !== PRIMARY_DEVICE_ID && device.deviceId !== target) throw forbidden('a linked device can only remove itself');
    if (!(await this.deps.store.removeDevice(device.accountId, target))) throw notFound('UNKNOWN_DEVICE', `no device ${target} on this account`);
    for (const hook of this.onRemoved) hook(device.accountId, target);
  }

  /** Called with (accountId, deviceId) after each removal. */
  readonly onRemoved: Array<(accountId: string, deviceId: number) => void> = [];
}
