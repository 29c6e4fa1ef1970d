/**
 * Is the device a relay credential names still the device it was issued
 * to? A credential verifies offline (signature, expiry, audience), but it
 * outlives a removal by up to its lifetime (an hour), so every
 * authenticated request also asks the key server's device directory whether
 * (account, device, registration id) is still listed. Answers are cached per
 * account for at most `ttlMs` (≤ MAX_DEVICE_AUTH_TTL_MS: a removed device is
 * refused within that long), and concurrent lookups of one account share
 * one fetch, so a device polling in a loop costs the key server at most one
 * request per account per TTL.
 *
 * What it does not do: it never turns a directory failure into "current"
 * (callers answer 503), and it does not cache failures.
 */
import type { DeviceEntry } from './device-check.ts';
import type { DeviceDirectory } from './device-directory.ts';

/** Longest time a cached device list may authorize requests (2 s). */
export const MAX_DEVICE_AUTH_TTL_MS = 2000;
/** Default authorization TTL. */
export const DEFAULT_DEVICE_AUTH_TTL_MS = 1000;

/** Where a credential's device stands. */
export type DeviceStanding =
  /** Listed with the credential's registration id. */
  | 'current'
  /** Not listed (removed, or the account is gone). */
  | 'removed'
  /** Listed, but with another registration id: the credential names an earlier incarnation. */
  | 'replaced';

/** The device's standing in a device list (undefined: unknown account). */
export function standingIn(devices: readonly DeviceEntry[] | undefined, deviceId: number, registrationId: number): DeviceStanding {
  const entry = devices?.find((d) => d.deviceId === deviceId);
  if (entry === undefined) return 'removed';
  return entry.registrationId === registrationId ? 'current' : 'replaced';
}

/** Short-TTL, coalescing device-list lookups for authorization. */
export class DeviceAuthorizer {
  private readonly cache = new Map<string, { at: number; value: DeviceEntry[] | undefined }>();
  private readonly inFlight = new Map<string, Promise<DeviceEntry[] | undefined>>();

  constructor(
    private readonly directory: DeviceDirectory,
    readonly ttlMs: number = DEFAULT_DEVICE_AUTH_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {
    if (!(Number.isInteger(ttlMs) && ttlMs >= 0 && ttlMs <= MAX_DEVICE_AUTH_TTL_MS)) {
      throw new RangeError(`device authorization TTL must be 0..${MAX_DEVICE_AUTH_TTL_MS} ms (got ${ttlMs})`);
    }
  }

  /** The account's devices, at most `ttlMs` old; rejects when the directory fails. */
  devices(accountId: string): Promise<DeviceEntry[] | undefined> {
    const hit = this.cache.get(accountId);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return Promise.resolve(hit.value);
    const pending = this.inFlight.get(accountId);
    if (pending !== undefined) return pending;
    const started = this.now();
    const fetching = this.directory
      .devices(accountId, { fresh: true })
      .then((value) => {
        if (this.cache.size >= this.maxEntries) this.cache.clear();
        // Aged from when the fetch started: the answer may be that old already.
        this.cache.set(accountId, { at: started, value });
        return value;
      })
      .finally(() => this.inFlight.delete(accountId));
    this.inFlight.set(accountId, fetching);
    return fetching;
  }

  /** The standing of the device a credential names. */
  async standing(device: { accountId: string; deviceId: number; registrationId: number }): Promise<DeviceStanding> {
    return standingIn(await this.devices(device.accountId), device.deviceId, device.registrationId);
  }
}
