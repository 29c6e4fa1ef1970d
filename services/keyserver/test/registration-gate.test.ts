/**
 * Issue 11.8, registration gate over real HTTP: account creation authorised
 * by a token the app's backend signs (Ed25519; user id, expiry, single use)
 * or by proof of work (hashcash over SHA-256). Missing, forged, expired,
 * over-long-lived and reused tokens and bad proofs are refused with 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { randomBytes, toBase64Url } from '@sealpost/protocol/primitives';
import { leadingZeroBits, solveProofOfWork } from '../src/proof-of-work.ts';
import { signRegistrationToken } from '../src/registration-gate.ts';
import { b64, call, newIdentity, startServer, type RunningServer } from './support.ts';

const MINUTE = 60_000;

function accountBody(): Record<string, unknown> {
  return { identityKey: b64(newIdentity().publicKey), registrationId: 77, deviceSecret: b64(randomBytes(32)) };
}

async function createWith(server: RunningServer, headers: Record<string, string>, body: unknown = accountBody()) {
  return call(server, 'POST', '/v1/accounts', { headers, body });
}

describe('registration gate: app-signed tokens', () => {
  let server: RunningServer;
  let now = 1_800_000_000_000;
  // An Ed25519 key pair (raw 32-byte seed + public key) standing in for the app backend's.
  const app = generateRelayCredentialKeyPair();
  const stranger = generateRelayCredentialKeyPair();
  const token = (claims: Partial<{ sub: string; exp: number; jti: string }> = {}, key = app.privateKey) =>
    signRegistrationToken(key, { sub: 'app-user-1', exp: now + 5 * MINUTE, jti: toBase64Url(randomBytes(12)), ...claims });
  beforeAll(async () => {
    server = await startServer({ now: () => now, settings: { registrationGate: { mode: 'token', publicKeys: [app.publicKey], maxLifetimeMs: 10 * MINUTE } } });
  });
  afterAll(async () => server.close());

  it('creates an account with a valid token, once', async () => {
    const t = token();
    const ok = await createWith(server, { 'registration-token': t });
    expect(ok.status).toBe(201);
    const again = await createWith(server, { 'registration-token': t });
    expect([again.status, again.body.error.code, again.body.error.message]).toEqual([403, 'REGISTRATION_REFUSED', 'Registration-Token was already used']);
  });

  it('refuses missing, malformed, forged, expired and too long-lived tokens', async () => {
    const valid = token();
    const [head, payload, sig] = valid.split('.');
    const flipped = sig!.slice(0, 10) + (sig![10] === 'A' ? 'B' : 'A') + sig!.slice(11);
    const otherPayload = toBase64Url(new TextEncoder().encode(JSON.stringify({ sub: 'someone-else', exp: now + MINUTE, jti: 'abcdefghij' })));
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /needs a Registration-Token/],
      ['garbage', { 'registration-token': 'hello' }, /malformed/],
      ['flipped signature', { 'registration-token': `${head}.${payload}.${flipped}` }, /signature does not verify/],
      ['swapped payload', { 'registration-token': `${head}.${otherPayload}.${sig}` }, /signature does not verify/],
      ['stranger key', { 'registration-token': token({}, stranger.privateKey) }, /signature does not verify/],
      ['expired', { 'registration-token': token({ exp: now - 1 }) }, /expired/],
      ['too long-lived', { 'registration-token': token({ exp: now + 60 * MINUTE }) }, /longer than the server accepts/],
      ['no user id', { 'registration-token': token({ sub: '' }) }, /payload must be/],
    ];
    for (const [name, headers, message] of cases) {
      const r = await createWith(server, headers);
      expect([name, r.status, r.body.error.code], name).toEqual([name, 403, 'REGISTRATION_REFUSED']);
      expect(r.body.error.message, name).toMatch(message);
    }
    // None of them spent the valid token.
    expect((await createWith(server, { 'registration-token': valid })).status).toBe(201);
  });

  it('a token whose request created no account can be used again; one that expired cannot', async () => {
    const t = token();
    const bad = await createWith(server, { 'registration-token': t }, { ...accountBody(), registrationId: 0 });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    expect((await createWith(server, { 'registration-token': t })).status).toBe(201);
    const late = token({ exp: now + MINUTE });
    now += MINUTE;
    expect((await createWith(server, { 'registration-token': late })).body.error.message).toBe('Registration-Token expired');
  });

  it('has no proof-of-work challenge endpoint in token mode', async () => {
    expect((await call(server, 'GET', '/v1/accounts/challenge')).status).toBe(404);
  });
});

describe('registration gate: proof of work', () => {
  let server: RunningServer;
  let now = 1_800_000_000_000;
  beforeAll(async () => {
    server = await startServer({ now: () => now, settings: { registrationGate: { mode: 'proof-of-work', difficulty: 10, challengeTtlMs: MINUTE } } });
  });
  afterAll(async () => server.close());

  const challenge = async () => {
    const r = await call(server, 'GET', '/v1/accounts/challenge');
    expect(r.status).toBe(200);
    return r.body as { challenge: string; difficulty: number; expiresAt: number };
  };

  it('creates an account with a solved challenge, once', async () => {
    const c = await challenge();
    expect([c.difficulty, c.expiresAt]).toEqual([10, now + MINUTE]);
    const proof = `${c.challenge}:${solveProofOfWork(c.challenge, c.difficulty)}`;
    expect((await createWith(server, { 'registration-proof': proof })).status).toBe(201);
    const again = await createWith(server, { 'registration-proof': proof });
    expect([again.status, again.body.error.message]).toEqual([403, 'proof-of-work challenge was already used']);
  });

  it('refuses missing, insufficient, forged and expired proofs', async () => {
    const c = await challenge();
    let weak = 0;
    while (leadingZeroBits(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`sealpost-pow-v1\n${c.challenge}:w${weak}`)))) >= 10) weak++;
    const [body, tag] = c.challenge.split('.');
    const forgedBody = (body![0] === 'A' ? 'B' : 'A') + body!.slice(1);
    const forged = `${forgedBody}.${tag}`;
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /needs a Registration-Proof/],
      ['malformed', { 'registration-proof': 'nonsense' }, /must be "<challenge>:<nonce>"/],
      ['insufficient', { 'registration-proof': `${c.challenge}:w${weak}` }, /does not meet the difficulty/],
      ['forged', { 'registration-proof': `${forged}:${solveProofOfWork(forged, 10)}` }, /not issued by this server/],
    ];
    for (const [name, headers, message] of cases) {
      const r = await createWith(server, headers);
      expect([name, r.status, r.body.error.code], name).toEqual([name, 403, 'REGISTRATION_REFUSED']);
      expect(r.body.error.message, name).toMatch(message);
    }
    const solved = `${c.challenge}:${solveProofOfWork(c.challenge, 10)}`;
    now += MINUTE;
    expect((await createWith(server, { 'registration-proof': solved })).body.error.message).toMatch(/expired/);
  });
});
