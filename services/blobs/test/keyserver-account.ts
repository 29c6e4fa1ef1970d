/** Registers one account on a listening key server and returns its device's Basic auth header. */
import { generateCurveKeyPair } from '@sealpost/protocol';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { basicAuthHeader } from '@sealpost/keyserver';

export async function startLocalServicesClientAccount(url: string): Promise<string> {
  const secret = randomBytes(32);
  const res = await fetch(`${url}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identityKey: toBase64(generateCurveKeyPair().publicKey), registrationId: 1234, deviceSecret: toBase64(secret) }),
  });
  if (res.status !== 201) throw new Error(`account creation: ${res.status} ${await res.text()}`);
  const { accountId, deviceId } = (await res.json()) as { accountId: string; deviceId: number };
  return basicAuthHeader(accountId, deviceId, secret);
}
