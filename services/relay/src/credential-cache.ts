/**
 * Remembers relay credentials that verified, so a device that polls or
 * acknowledges many times with one token pays for one signature check.
 * Verification is a pure function of (token, key) apart from expiry, so a
 * remembered credential is re-checked against `now` on every use; only
 * credentials with an expiry are remembered, and failures never are.
 *
 * It holds no authorization state: whether the device is still registered
 * is asked of the `DeviceAuthorizer` on every request after verification.
 * A removal notice (from this or another instance) still drops the
 * device's remembered tokens (`forgetDevice`), so nothing about a removed
 * device outlives the notice here.
 */
import type { AuthenticatedDevice, CredentialVerifier } from './auth.ts';

/** A caching verifier: a `CredentialVerifier` that can drop a device's remembered tokens. */
export interface CachingCredentialVerifier extends CredentialVerifier {
  /** Forgets every remembered token of (account, device); returns how many. */
  forgetDevice(accountId: string, deviceId: number): number;
}

/** Wraps `verify` with a bounded cache of credentials that verified (default 10 000 tokens). */
export function cachingCredentialVerifier(verify: CredentialVerifier, maxEntries = 10_000): CachingCredentialVerifier {
  const verified = new Map<string, Readonly<AuthenticatedDevice>>();
  const cached: CredentialVerifier = (token, now) => {
    const hit = verified.get(token);
    if (hit !== undefined) {
      if (now < hit.expiresAt!) return hit;
      verified.delete(token);
      return undefined;
    }
    const device = verify(token, now);
    if (device?.expiresAt !== undefined) {
      if (verified.size >= maxEntries) verified.clear();
      verified.set(token, Object.freeze({ ...device }));
    }
    return device;
  };
  return Object.assign(cached, {
    forgetDevice(accountId: string, deviceId: number): number {
      let n = 0;
      for (const [token, d] of verified) {
        if (d.accountId !== accountId || d.deviceId !== deviceId) continue;
        verified.delete(token);
        n++;
      }
      return n;
    },
  });
}
