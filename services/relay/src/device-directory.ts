/**
 * Where the relay learns an account's devices: the key server's
 * `GET /v1/accounts/:id/devices`. The relay keeps no account database, only
 * a short-lived cache; a sender whose device set disagrees with the cache
 * triggers one fresh fetch before being told it is wrong.
 */
import type { DeviceEntry } from './device-check.ts';

/**
 * Source of an account's current devices; `undefined` for an unknown
 * account, and an EMPTY list for a deleted one (the key server answers 410
 * `ACCOUNT_DELETED`; a live account always has its primary device, so an
 * empty list means nothing else).
 */
export interface DeviceDirectory {
  devices(accountId: string, options?: { fresh?: boolean }): Promise<DeviceEntry[] | undefined>;
}

/** Fetches device lists from the key server over HTTP. */
export class HttpDeviceDirectory implements DeviceDirectory {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  async devices(accountId: string): Promise<DeviceEntry[] | undefined> {
    const url = new URL(`/v1/accounts/${encodeURIComponent(accountId)}/devices`, this.baseUrl);
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status === 404) return undefined;
    if (res.status === 410) {
      const code = ((await res.json().catch(() => undefined)) as { error?: { code?: unknown } } | undefined)?.error?.code;
      if (code === 'ACCOUNT_DELETED') return [];
    }
    if (!res.ok) throw new Error(`key server answered ${res.status} for a device list`);
    const body = (await res.json()) as { devices?: Array<Record<string, unknown>> };
    if (!Array.isArray(body.devices)) throw new Error('key server device list has no devices array');
    return body.devices.map((d) => {
      const deviceId = d.deviceId ?? d.id;
      const registrationId = d.registrationId;
      if (typeof deviceId !== 'number' || typeof registrationId !== 'number') {
        throw new Error('key server device entry lacks deviceId/registrationId');
      }
      return { deviceId, registrationId };
    });
  }
}

/** Caches another directory's answers for `ttlMs` (also caches unknown accounts). */
export class CachedDeviceDirectory implements DeviceDirectory {
  private readonly cache = new Map<string, { at: number; value: DeviceEntry[] | undefined }>();

  constructor(
    private readonly inner: DeviceDirectory,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  async devices(accountId: string, options?: { fresh?: boolean }): Promise<DeviceEntry[] | undefined> {
    const hit = this.cache.get(accountId);
    if (hit !== undefined && !options?.fresh && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = await this.inner.devices(accountId);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(accountId, { at: this.now(), value });
    return value;
  }

  /** Drops the account's cached list (a device of it was removed: senders must not keep addressing it). */
  forget(accountId: string): void {
    this.cache.delete(accountId);
  }
}

/** True for a directory answer that says the account was deleted. */
export function isDeletedAccount(devices: readonly DeviceEntry[] | undefined): boolean {
  return devices !== undefined && devices.length === 0;
}

/**
 * Watches another directory's answers for deleted accounts and reports each
 * to `onDeleted` (once per account while it is remembered; at most
 * `maxEntries`, oldest forgotten first, after which a repeat report only
 * costs a purge that finds nothing). Every device-list fetch of the relay
 * goes through it, so whatever makes the relay look an account up — a send
 * to it, a request or socket of one of its devices — purges a deleted
 * account's queues.
 */
export class DeletionWatchingDirectory implements DeviceDirectory {
  private readonly reported = new Set<string>();

  constructor(
    private readonly inner: DeviceDirectory,
    private readonly onDeleted: (accountId: string) => void,
    private readonly maxEntries = 100_000,
  ) {}

  async devices(accountId: string, options?: { fresh?: boolean }): Promise<DeviceEntry[] | undefined> {
    const devices = await this.inner.devices(accountId, options);
    if (isDeletedAccount(devices) && !this.reported.has(accountId)) {
      if (this.reported.size >= this.maxEntries) this.reported.delete(this.reported.values().next().value!);
      this.reported.add(accountId);
      this.onDeleted(accountId);
    }
    return devices;
  }
}
