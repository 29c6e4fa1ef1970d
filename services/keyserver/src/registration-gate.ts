/**
 * The registration gate an app can switch on, so accounts (and with them
 * requesters that can fetch prekey bundles) cannot be minted for free:
 *
 * - `token`: account creation needs `Registration-Token: <token>`, signed
 *   by the APP's own backend with Ed25519 after it authenticated its user:
 *
 *       token     = "v1." base64url(payload) "." base64url(signature)   (no padding)
 *       payload   = UTF-8 JSON {"sub": app user id (1..256 chars), "exp": ms since epoch, "jti": 8..64 chars [A-Za-z0-9_-]}
 *       signature = Ed25519(appKey, "sealpost-registration-token-v1\n" ‖ payload)
 *
 *   valid when the signature verifies with one of the configured public
 *   keys, now < exp ≤ now + maxLifetimeMs, and it was not used before
 *   (single use: spent tokens are remembered until they expire).
 * - `proof-of-work`: `GET /v1/accounts/challenge`, then
 *   `Registration-Proof: <challenge>:<nonce>` (proof-of-work.ts).
 * - `off` (default).
 *
 * A token or challenge is spent by the request that presents it and given
 * back when that request does not create the account (so a client can fix a
 * bad body and retry). Spent ids are per process, in memory (keep token
 * lifetimes short: a restart forgets what was spent), or shared by all
 * instances in PostgreSQL (`shared`, see shared-state.ts).
 */
import { ed25519Sign, ed25519Verify, fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '@sealpost/protocol/primitives';
import { KeyServerError } from './errors.ts';
import { ProofOfWork, type ProofRefusal } from './proof-of-work.ts';
import { SpentSet, type SpentIds } from './spent-set.ts';

/** How account creation is gated. */
export type RegistrationGateSettings =
  | { mode: 'off' }
  | {
      mode: 'token';
      /** Raw 32-byte Ed25519 public keys of the app backend (several during a key rotation). */
      publicKeys: readonly Uint8Array[];
      /** Longest lifetime a token may claim (default 1 hour). */
      maxLifetimeMs?: number;
    }
  | {
      mode: 'proof-of-work';
      /** Leading zero bits of SHA-256 (expected work 2^difficulty hashes; default 20 ≈ 1 M hashes). */
      difficulty?: number;
      /** Lifetime of a challenge (default 5 minutes). */
      challengeTtlMs?: number;
    };

const TOKEN_DOMAIN = 'sealpost-registration-token-v1\n';
const TOKEN_RE = /^v1\.([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{86})$/;
const JTI_RE = /^[A-Za-z0-9_-]{8,64}$/;
const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60_000;

/** What a registration token says. */
export interface RegistrationTokenClaims {
  /** The app's own user id. */
  sub: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** Unique token id. */
  jti: string;
}

/** Signs a registration token (what the app backend does; here for tests, the devkit and as the reference). */
export function signRegistrationToken(privateKey: Uint8Array, claims: RegistrationTokenClaims): string {
  const payload = utf8Encode(JSON.stringify({ sub: claims.sub, exp: claims.exp, jti: claims.jti }));
  const signature = ed25519Sign(privateKey, new Uint8Array([...utf8Encode(TOKEN_DOMAIN), ...payload]));
  return `v1.${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

function refused(message: string): KeyServerError {
  return new KeyServerError(403, 'REGISTRATION_REFUSED', message);
}

const PROOF_MESSAGES: Record<ProofRefusal, string> = {
  malformed: 'Registration-Proof must be "<challenge>:<nonce>"',
  forged: 'proof-of-work challenge was not issued by this server',
  expired: 'proof-of-work challenge expired; get a new one',
  insufficient: 'proof of work does not meet the difficulty',
  reused: 'proof-of-work challenge was already used',
  busy: 'too many outstanding registrations; retry later',
};

/** A passed gate check, to give back if the account is not created. */
export type RegistrationTicket = { release(): void | Promise<void> };

/** Checks the gate for one account-creation request. */
export class RegistrationGate {
  readonly mode: RegistrationGateSettings['mode'];
  readonly proofOfWork: ProofOfWork | undefined;
  private readonly publicKeys: readonly Uint8Array[];
  private readonly maxLifetimeMs: number;
  private readonly spentTokens: SpentIds;

  /** `shared`: spent-id sets and the proof-of-work key of all instances (default: this process's own). */
  constructor(settings: RegistrationGateSettings, shared: { spentIds?: (scope: string) => SpentIds; proofOfWorkKey?: Uint8Array | undefined } = {}) {
    this.spentTokens = shared.spentIds?.('registration-token') ?? new SpentSet(100_000);
    this.mode = settings.mode;
    this.publicKeys = settings.mode === 'token' ? settings.publicKeys : [];
    this.maxLifetimeMs = settings.mode === 'token' ? (settings.maxLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS) : 0;
    if (settings.mode === 'token') {
      if (this.publicKeys.length === 0) throw new RangeError('registration gate "token" needs at least one public key');
      for (const k of this.publicKeys) if (!(k instanceof Uint8Array) || k.length !== 32) throw new RangeError('registration token keys are raw 32-byte Ed25519 public keys');
    }
    this.proofOfWork =
      settings.mode === 'proof-of-work'
        ? new ProofOfWork(settings.difficulty ?? 20, settings.challengeTtlMs ?? 5 * 60_000, 100_000, { key: shared.proofOfWorkKey, spent: shared.spentIds?.('proof-of-work') })
        : undefined;
  }

  /** Checks the request's headers; throws 403 `REGISTRATION_REFUSED`, or answers a ticket (undefined when the gate is off). */
  async check(headers: Record<string, string | string[] | undefined>, now: number): Promise<RegistrationTicket | undefined> {
    if (this.mode === 'off') return undefined;
    if (this.mode === 'token') return this.checkToken(single(headers['registration-token']), now);
    const proof = single(headers['registration-proof']);
    if (proof === undefined) throw refused('account creation needs a Registration-Proof header (GET /v1/accounts/challenge)');
    const pow = this.proofOfWork!;
    const why = await pow.check(proof, now);
    if (why === 'busy') throw new KeyServerError(503, 'REGISTRATION_REFUSED', PROOF_MESSAGES.busy, { headers: { 'retry-after': '60' } });
    if (why !== undefined) throw refused(PROOF_MESSAGES[why]);
    return { release: () => pow.release(proof) };
  }

  private async checkToken(token: string | undefined, now: number): Promise<RegistrationTicket> {
    if (token === undefined) throw refused('account creation needs a Registration-Token header signed by the app');
    const m = TOKEN_RE.exec(token);
    if (m === null) throw refused('Registration-Token is malformed');
    let payload: Uint8Array;
    let signature: Uint8Array;
    try {
      payload = fromBase64Url(m[1]!);
      signature = fromBase64Url(m[2]!);
    } catch {
      throw refused('Registration-Token is malformed');
    }
    // One token, one spelling: non-canonical base64url would make a reused token look new.
    if (toBase64Url(payload) !== m[1] || toBase64Url(signature) !== m[2]) throw refused('Registration-Token is malformed');
    const signed = new Uint8Array([...utf8Encode(TOKEN_DOMAIN), ...payload]);
    if (!this.publicKeys.some((k) => ed25519Verify(k, signed, signature))) throw refused('Registration-Token signature does not verify');
    const claims = parseClaims(payload);
    if (claims === undefined) throw refused('Registration-Token payload must be {"sub","exp","jti"}');
    if (now >= claims.exp) throw refused('Registration-Token expired');
    if (claims.exp > now + this.maxLifetimeMs) throw refused('Registration-Token lives longer than the server accepts');
    const spent = await this.spentTokens.spend(claims.jti, claims.exp, now);
    if (spent === 'reused') throw refused('Registration-Token was already used');
    if (spent === 'busy') throw new KeyServerError(503, 'REGISTRATION_REFUSED', PROOF_MESSAGES.busy, { headers: { 'retry-after': '60' } });
    return { release: () => this.spentTokens.release(claims.jti) };
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function parseClaims(payload: Uint8Array): RegistrationTokenClaims | undefined {
  let v: unknown;
  try {
    v = JSON.parse(utf8Decode(payload));
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { sub, exp, jti } = v as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length < 1 || sub.length > 256) return undefined;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp)) return undefined;
  if (typeof jti !== 'string' || !JTI_RE.test(jti)) return undefined;
  return { sub, exp, jti };
}
