/**
 * Safety numbers: libsignal's numeric fingerprint over both parties'
 * identity keys and account ids (version 2: the ACI's 16 UUID bytes as the
 * stable identifier, 5200 iterations — what Signal's apps show), computed
 * by `@sealpost/protocol/fingerprint`.
 */
import { compareScannableFingerprints, createFingerprint, DEFAULT_FINGERPRINT_ITERATIONS } from '@sealpost/protocol/fingerprint';
import { accountUuidBytes } from './encoding.ts';

/** Scannable-format version for ACI identifiers (libsignal / Signal apps). */
export const SAFETY_NUMBER_VERSION = 2;

/** What the app shows and scans. */
export interface SafetyNumber {
  /** 60 digits, the same on both phones. */
  digits: string;
  /** The digits in 12 groups of 5, as Signal displays them. */
  grouped: string;
  /** Bytes for the QR code (mirror images on the two sides). */
  scannable: Uint8Array;
}

/** The 16 bytes of a UUID account id. */
export function accountIdBytes(account: string): Uint8Array {
  return accountUuidBytes(account);
}

/** The safety number between us (`local`) and a contact (`remote`). */
export function computeSafetyNumber(
  local: { account: string; identityKey: Uint8Array },
  remote: { account: string; identityKey: Uint8Array },
): SafetyNumber {
  const fp = createFingerprint(
    SAFETY_NUMBER_VERSION,
    DEFAULT_FINGERPRINT_ITERATIONS,
    { identifier: accountIdBytes(local.account), identityKey: local.identityKey },
    { identifier: accountIdBytes(remote.account), identityKey: remote.identityKey },
  );
  return { digits: fp.displayable, grouped: fp.displayable.match(/.{5}/g)!.join(' '), scannable: fp.scannable };
}

/** True when the QR code scanned from the contact's screen matches ours. */
export function scannedSafetyNumberMatches(ours: SafetyNumber, scanned: Uint8Array): boolean {
  return compareScannableFingerprints(ours.scannable, scanned);
}
