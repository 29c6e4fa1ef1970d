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
 * A device missing from a cached list may simply be newer than the list,
 * so "removed" and "replaced" are only ever concluded from a list fetched
 * after the request arrived; such a conclusion is remembered (device ids
 * are never reused, so a removed device cannot come back), which keeps a
 * removed device's retries from costing the key server a fetch each.
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

function goneKey(device: { accountId: string; deviceId: number; registrationId: number }): string {
  return `${device.accountId}\u0000${device.deviceId}\u0000${device.registrationId}`;
}

/** Short-TTL, coalescing device-list lookups for authorization. */
export class DeviceAuthorizer {
  private readonly cache = new Map<string, { at: number; value: DeviceEntry[] | undefined }>();
  private readonly inFlight = new Map<string, { startedAt: number; value: Promise<DeviceEntry[] | undefined> }>();
  /** Credentials' devices confirmed removed or replaced by a fresh list (oldest forgotten first). */
  private readonly gone = new Map<string, Exclude<DeviceStanding, 'current'>>();
  /** Bumped by `forget`: a fetch that started before it is not cached (it may predate the change). */
  private forgets = 0;

  /**
   * `onRemoved(accountId, deviceId)`: called when a removal is confirmed —
   * a credential's device missing from a fresh list, or a fetched list
   * lacking a device an earlier list of the account had (ids are never
   * reused, so it was removed; this is how the queue of a removed device
   * that never comes back is purged). May be called more than once per
   * removal.
   */
  constructor(
    private readonly directory: DeviceDirectory,
    readonly ttlMs: number = DEFAULT_DEVICE_AUTH_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly onRemoved: (accountId: string, deviceId: number) => void = () => {},
    private readonly maxEntries = 100_000,
  ) {
    if (!(Number.isInteger(ttlMs) && ttlMs >= 0 && ttlMs <= MAX_DEVICE_AUTH_TTL_MS)) {
      throw new RangeError(`device authorization TTL must be 0..${MAX_DEVICE_AUTH_TTL_MS} ms (got ${ttlMs})`);
    }
  }

  /**
   * The account's devices, at most `ttlMs` old — and, with `since`, read by
   * a fetch that started at or after `since` (ms). Rejects when the
   * directory fails.
   */
  devices(accountId: string, options: { since?: number } = {}): Promise<DeviceEntry[] | undefined> {
    const since = options.since ?? Number.NEGATIVE_INFINITY;
    const hit = this.cache.get(accountId);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs && hit.at >= since) return Promise.resolve(hit.value);
    const pending = this.inFlight.get(accountId);
    if (pending !== undefined && pending.startedAt >= since) return pending.value;
    const startedAt = this.now();
    const forgets = this.forgets;
    const value = this.directory
      .devices(accountId, { fresh: true })
      .then((devices) => {
        if (forgets !== this.forgets) return devices;
        if (this.cache.size >= this.maxEntries) this.cache.clear();
        const previous = this.cache.get(accountId);
        // Aged from when the fetch started: the answer may be that old already.
        if (previous === undefined || previous.at <= startedAt) {
          this.cache.set(accountId, { at: startedAt, value: devices });
          for (const d of previous?.value ?? []) {
            if (!devices?.some((n) => n.deviceId === d.deviceId)) this.onRemoved(accountId, d.deviceId);
          }
        }
        return devices;
      })
      .finally(() => {
        if (this.inFlight.get(accountId)?.value === value) this.inFlight.delete(accountId);
      });
    this.inFlight.set(accountId, { startedAt, value });
    return value;
  }

  /**
   * Drops the account's cached list and lets no fetch under way fill it
   * (another instance learned of a removal): the next request of the
   * account is decided by a list fetched after this.
   */
  forget(accountId: string): void {
    this.forgets++;
    this.cache.delete(accountId);
    this.inFlight.delete(accountId);
  }

  /**
   * The standing of the device a credential names, for a request that
   * arrived at `arrivedAt` (default now): "current" from a list ≤ `ttlMs`
   * old, anything else only from a list fetched since the request arrived.
   */
  async standing(device: { accountId: string; deviceId: number; registrationId: number }, arrivedAt = this.now()): Promise<DeviceStanding> {
    const known = this.gone.get(goneKey(device));
    if (known !== undefined) return known;
    const cached = standingIn(await this.devices(device.accountId), device.deviceId, device.registrationId);
    if (cached === 'current') return cached;
    const fresh = standingIn(await this.devices(device.accountId, { since: arrivedAt }), device.deviceId, device.registrationId);
    if (fresh !== 'current') this.rememberGone(device, fresh);
    return fresh;
  }

  /**
   * Records a confirmed removal or replacement (from a list fetched after
   * the device was authorized); a first confirmed removal is reported to
   * `onRemoved`.
   */
  rememberGone(device: { accountId: string; deviceId: number; registrationId: number }, standing: Exclude<DeviceStanding, 'current'>): void {
    const key = goneKey(device);
    if (this.gone.has(key)) return;
    if (this.gone.size >= this.maxEntries) this.gone.delete(this.gone.keys().next().value!);
    this.gone.set(key, standing);
    if (standing === 'removed') this.onRemoved(device.accountId, device.deviceId);
  }
}
