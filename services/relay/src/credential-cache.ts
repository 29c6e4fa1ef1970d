/**
 * Remembers relay credentials that verified, so a device that polls or
 * acknowledges many times with one token pays for one signature check.
 * Verification is a pure function of (token, key) apart from expiry, so a
 * remembered credential is re-checked against `now` on every use; only
 * credentials with an expiry are remembered, and failures never are.
 */
import type { AuthenticatedDevice, CredentialVerifier } from './auth.ts';

/** Wraps `verify` with a bounded cache of credentials that verified (default 10 000 tokens). */
export function cachingCredentialVerifier(verify: CredentialVerifier, maxEntries = 10_000): CredentialVerifier {
  const verified = new Map<string, Readonly<AuthenticatedDevice>>();
  return (token, now) => {
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
}
