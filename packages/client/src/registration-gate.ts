/**
 * What account creation presents when the key server's registration gate
 * is on (services/keyserver/README.md, "Registration gate"): a token the
 * app's own backend signed for its user, or a solved proof-of-work
 * challenge (hashcash over SHA-256: SHA-256("sealpost-pow-v1\n" ‖
 * challenge ":" nonce) starting with `difficulty` zero bits).
 */
import { sha256, utf8Encode } from '@sealpost/protocol/primitives';

/** How `register()` gets past the gate: a token from the app backend, or `proofOfWork: true` to solve the server's challenge. */
export type RegistrationGateAnswer = { registrationToken: string } | { proofOfWork: true };

function leadingZeroBits(digest: Uint8Array): number {
  let n = 0;
  for (const byte of digest) {
    if (byte !== 0) return n + Math.clz32(byte) - 24;
    n += 8;
  }
  return n;
}

/** Finds a nonce for `challenge` (expected 2^difficulty hashes). */
export function solveRegistrationChallenge(challenge: string, difficulty: number): string {
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 40) throw new RangeError('difficulty must be 1..40 bits');
  for (let i = 0; ; i++) {
    const nonce = i.toString(36);
    if (leadingZeroBits(sha256(utf8Encode(`sealpost-pow-v1\n${challenge}:${nonce}`))) >= difficulty) return nonce;
  }
}
