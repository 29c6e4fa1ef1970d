import { describe, expect, it } from 'vitest';
import { generateRelayCredentialKeyPair, relayCredentialVerifier, signRelayCredential } from '@sealpost/protocol';
import { parseInstant, rotatingVerifier } from '../src/index.ts';
import { parseTrustProxy, trustProxyOption } from '../src/runtime/index.ts';

const device = { accountId: '6f1c1f0e-3b59-4f3c-9d55-2e6f1f0f3a11', deviceId: 1, registrationId: 7, audience: 'https://relay.example' };

describe('rotatingVerifier', () => {
  it('current key always; previous key until the overlap end, its expiry capped there; other keys never', () => {
    const current = generateRelayCredentialKeyPair();
    const previous = generateRelayCredentialKeyPair();
    const stranger = generateRelayCredentialKeyPair();
    const now = 1_000_000;
    const until = now + 60_000;
    const verify = rotatingVerifier({ current: current.publicKey, previous: previous.publicKey, previousUntil: until }, (k) => relayCredentialVerifier(k));
    const token = (key: { privateKey: Uint8Array }) => signRelayCredential({ ...device, expiresAt: now + 3_600_000 }, key.privateKey);
    expect(verify(token(current), now)?.expiresAt).toBe(now + 3_600_000);
    expect(verify(token(previous), now)?.expiresAt).toBe(until);
    expect(verify(token(previous), until - 1)).toBeDefined();
    expect(verify(token(previous), until)).toBeUndefined();
    expect(verify(token(current), until)).toBeDefined();
    expect(verify(token(stranger), now)).toBeUndefined();
    // Without an end the previous key is accepted while configured; without a previous key only the current one.
    expect(rotatingVerifier({ current: current.publicKey, previous: previous.publicKey }, (k) => relayCredentialVerifier(k))(token(previous), now)).toBeDefined();
    expect(rotatingVerifier({ current: current.publicKey }, (k) => relayCredentialVerifier(k))(token(previous), now)).toBeUndefined();
  });

  it('parseInstant takes ms or ISO 8601, nothing else', () => {
    expect(parseInstant('1764612000000')).toBe(1764612000000);
    expect(parseInstant('2026-12-01T18:00:00Z')).toBe(Date.parse('2026-12-01T18:00:00Z'));
    for (const bad of ['tomorrow', '', 'NaN', '1e12']) expect(() => parseInstant(bad), bad).toThrow('ISO 8601');
  });
});

describe('parseTrustProxy', () => {
  it('accepts addresses, CIDRs and the proxy-addr names; refuses the rest naming the entry', () => {
    expect(parseTrustProxy('10.0.0.1, 10.0.0.0/8,::1, fd00::/8,loopback,linklocal,uniquelocal')).toEqual(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'linklocal', 'uniquelocal']);
    expect(parseTrustProxy('')).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'proxy.example', '300.1.1.1', 'localhost']) expect(() => parseTrustProxy(bad), bad).toThrow(JSON.stringify(bad));
    expect(trustProxyOption([])).toBe(false);
    expect(trustProxyOption(['loopback'])).toEqual(['loopback']);
  });
});
