/**
 * Hashcash-style proof of work over SHA-256, one way to gate account
 * creation (registration-gate.ts):
 *
 *     challenge = base64url(random(16) ‖ u64be(expiresAt) ‖ u8(difficulty))
 *                 "." base64url(HMAC-SHA256(serverKey, first part)[0..16])
 *     proof     = challenge ":" nonce          nonce: 1..64 chars of [A-Za-z0-9_-]
 *     valid when SHA-256("sealpost-pow-v1\n" ‖ proof) starts with `difficulty` zero bits,
 *     the tag verifies, now < expiresAt, and the challenge was not used before.
 *
 * Challenges are stateless (the server keeps only its HMAC key and the
 * challenges already spent, until they expire). Several instances must share
 * both: on PostgreSQL the key lives in `keyserver_secrets` and spent
 * challenges in `keyserver_spent_ids` (shared-state.ts). Expected work: 2^difficulty
 * hashes. Hashing and HMAC are the protocol's primitives (node:crypto).
 */
import { constantTimeEqual, fromBase64Url, hmacSha256, randomBytes, sha256, toBase64Url, utf8Encode } from '@sealpost/protocol/primitives';
import { SpentSet, type SpentIds } from './spent-set.ts';

const DOMAIN = 'sealpost-pow-v1\n';
const NONCE_RE = /^[A-Za-z0-9_-]{1,64}$/;
const CHALLENGE_RE = /^([A-Za-z0-9_-]{34})\.([A-Za-z0-9_-]{22})$/;
const TAG_LENGTH = 16;

/** Leading zero bits of `digest`. */
export function leadingZeroBits(digest: Uint8Array): number {
  let n = 0;
  for (const byte of digest) {
    if (byte === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(byte) - 24;
  }
  return n;
}

function proofDigest(challenge: string, nonce: string): Uint8Array {
  return sha256(utf8Encode(`${DOMAIN}${challenge}:${nonce}`));
}

/** Finds a nonce for `challenge` (for clients and tests; expected 2^difficulty hashes). */
export function solveProofOfWork(challenge: string, difficulty: number): string {
  for (let i = 0; ; i++) {
    const nonce = i.toString(36);
    if (leadingZeroBits(proofDigest(challenge, nonce)) >= difficulty) return nonce;
  }
}

/** Why a proof was refused, or undefined when it was accepted. */
export type ProofRefusal = 'malformed' | 'forged' | 'expired' | 'insufficient' | 'reused' | 'busy';

/** Issues and checks challenges. */
export class ProofOfWork {
  private readonly key: Uint8Array;
  private readonly spent: SpentIds;

  /** `shared`: the HMAC key and spent set of all instances (default: a random key and an in-memory set, this process only). */
  constructor(
    readonly difficulty: number,
    readonly challengeTtlMs: number,
    maxOutstanding = 100_000,
    shared: { key?: Uint8Array | undefined; spent?: SpentIds | undefined } = {},
  ) {
    if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 40) throw new RangeError('proof-of-work difficulty must be 1..40 bits');
    if (!(challengeTtlMs > 0)) throw new RangeError('challengeTtlMs must be > 0');
    if (shared.key !== undefined && shared.key.length < 32) throw new RangeError('proof-of-work key must be at least 32 bytes');
    this.key = shared.key ?? randomBytes(32);
    this.spent = shared.spent ?? new SpentSet(maxOutstanding);
  }

  /** A fresh challenge. */
  challenge(now: number): { challenge: string; difficulty: number; expiresAt: number } {
    const expiresAt = now + this.challengeTtlMs;
    const body = new Uint8Array(25);
    body.set(randomBytes(16), 0);
    new DataView(body.buffer).setBigUint64(16, BigInt(expiresAt));
    body[24] = this.difficulty;
    const text = toBase64Url(body);
    return { challenge: `${text}.${toBase64Url(this.tag(text))}`, difficulty: this.difficulty, expiresAt };
  }

  private tag(text: string): Uint8Array {
    return hmacSha256(this.key, utf8Encode(text)).subarray(0, TAG_LENGTH);
  }

  /** Checks `challenge:nonce` and spends the challenge; returns why it was refused, or undefined. */
  async check(proof: string, now: number): Promise<ProofRefusal | undefined> {
    const colon = proof.lastIndexOf(':');
    if (colon < 0 || proof.length > 200) return 'malformed';
    const challenge = proof.slice(0, colon);
    const nonce = proof.slice(colon + 1);
    const m = CHALLENGE_RE.exec(challenge);
    if (m === null || !NONCE_RE.test(nonce)) return 'malformed';
    let body: Uint8Array;
    let tag: Uint8Array;
    try {
      body = fromBase64Url(m[1]!);
      tag = fromBase64Url(m[2]!);
    } catch {
      return 'malformed';
    }
    if (body.length !== 25 || tag.length !== TAG_LENGTH || toBase64Url(body) !== m[1] || toBase64Url(tag) !== m[2]) return 'malformed';
    if (!constantTimeEqual(this.tag(m[1]!), tag)) return 'forged';
    const expiresAt = Number(new DataView(body.buffer, body.byteOffset).getBigUint64(16));
    if (now >= expiresAt) return 'expired';
    if (body[24]! < this.difficulty || leadingZeroBits(proofDigest(challenge, nonce)) < body[24]!) return 'insufficient';
    const spent = await this.spent.spend(m[1]!, expiresAt, now);
    return spent === 'ok' ? undefined : spent;
  }

  /** Makes a spent challenge usable again (its request was refused for another reason). */
  async release(proof: string): Promise<void> {
    const m = CHALLENGE_RE.exec(proof.slice(0, proof.lastIndexOf(':')));
    if (m !== null) await this.spent.release(m[1]!);
  }
}
