/**
 * The client against a key server whose registration gate is on (issue
 * 11.8): `register()` passes an app-signed token or solves the proof-of-work
 * challenge; without them the server refuses the account.
 */
import { describe, expect, it } from 'vitest';
import { generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { ed25519Sign, randomBytes, toBase64Url, utf8Encode } from '@sealpost/protocol/primitives';
import { useLocalServices } from './support/local-services.ts';

// The app backend's Ed25519 key pair (any raw 32-byte seed + public key).
const appKey = generateRelayCredentialKeyPair();

/** What the app backend does after authenticating its user (format: services/keyserver/README.md). */
function appToken(sub: string): string {
  const payload = utf8Encode(JSON.stringify({ sub, exp: Date.now() + 60_000, jti: toBase64Url(randomBytes(12)) }));
  const signature = ed25519Sign(appKey.privateKey, new Uint8Array([...utf8Encode('sealpost-registration-token-v1\n'), ...payload]));
  return `v1.${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

const tokenGated = useLocalServices({ services: { keyServer: { settings: { registrationGate: { mode: 'token', publicKeys: [appKey.publicKey] } } } } });
const powGated = useLocalServices({ services: { keyServer: { settings: { registrationGate: { mode: 'proof-of-work', difficulty: 8 } } } } });

describe('registration behind the key server gate', () => {
  it('registers with a token from the app backend, not without one, and not twice with the same', async () => {
    const refused = tokenGated.client();
    await expect(refused.register()).rejects.toThrow(/Registration-Token/);
    expect(refused.registered).toBe(false);
    const token = appToken('app-user-42');
    const alice = tokenGated.client();
    const address = await alice.register({ registrationToken: token });
    expect(address.device).toBe(1);
    await expect(tokenGated.client().register({ registrationToken: token })).rejects.toThrow(/already used/);
  });

  it('registers by solving the proof-of-work challenge', async () => {
    await expect(powGated.client().register()).rejects.toThrow(/Registration-Proof/);
    const bob = powGated.client();
    expect((await bob.register({ proofOfWork: true })).device).toBe(1);
  });
});
