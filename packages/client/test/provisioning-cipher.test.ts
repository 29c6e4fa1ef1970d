/**
 * The provisioning cipher and link URI (issue 11 item 16): Signal's
 * ProvisioningCipher construction, checked against an independent
 * node:crypto computation of it; round trip; every tampering and every
 * malformed input is a typed `ProvisioningMessageError`; link URIs carry
 * public values only and are parsed strictly.
 */
import { createCipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { generateCurveKeyPair, generateIdentityKeyPair } from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { ClientError } from '../src/errors.ts';
import { ProvisionEnvelopeSchema } from '../src/gen/provisioning_pb.ts';
import { decodeProvisionMessage, encodeProvisionMessage, formatLinkUri, parseLinkUri } from '../src/linking.ts';
import { openProvisioningMessage, ProvisioningMessageError, sealProvisioningMessage } from '../src/provisioning-cipher.ts';

const fresh = () => ({ ephemeralPrivateKey: randomBytes(32), iv: randomBytes(16) });

/** X25519 through node:crypto key objects (raw keys wrapped in their fixed DER prefixes). */
function nodeX25519(privateKey: Uint8Array, publicKey33: Uint8Array): Buffer {
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateKey]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), publicKey33.subarray(1)]), format: 'der', type: 'spki' });
  return diffieHellman({ privateKey: priv, publicKey: pub });
}

function expectBad(fn: () => unknown): ProvisioningMessageError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ProvisioningMessageError);
  expect((error as ClientError).code).toBe('BAD_PROVISIONING_MESSAGE');
  return error as ProvisioningMessageError;
}

describe('provisioning cipher', () => {
  it("is Signal's construction: ephemeral X25519, HKDF 'TextSecure Provisioning Message', AES-256-CBC, HMAC over version ‖ iv ‖ ciphertext", () => {
    const recipient = generateCurveKeyPair();
    const randomness = fresh();
    const message = randomBytes(200);
    const envelope = fromBinary(ProvisionEnvelopeSchema, sealProvisioningMessage(recipient.publicKey, message, randomness));
    // Recomputed here with node:crypto only, from the recipient's side.
    expect(envelope.publicKey.length).toBe(33);
    expect(envelope.publicKey[0]).toBe(0x05);
    const shared = nodeX25519(recipient.privateKey, envelope.publicKey);
    const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(32), 'TextSecure Provisioning Message', 64));
    const cipher = createCipheriv('aes-256-cbc', okm.subarray(0, 32), randomness.iv);
    const ciphertext = Buffer.concat([cipher.update(message), cipher.final()]);
    const signed = Buffer.concat([Buffer.of(1), randomness.iv, ciphertext]);
    const mac = createHmac('sha256', okm.subarray(32)).update(signed).digest();
    expect(Buffer.from(envelope.body).equals(Buffer.concat([signed, mac]))).toBe(true);
  });

  it('round-trips, and the same inputs give the same envelope (randomness is an input)', () => {
    const recipient = generateCurveKeyPair();
    const randomness = fresh();
    const message = randomBytes(500);
    const sealed = sealProvisioningMessage(recipient.publicKey, message, randomness);
    expect(sealProvisioningMessage(recipient.publicKey, message, randomness)).toEqual(sealed);
    expect(openProvisioningMessage(recipient.privateKey, sealed)).toEqual(message);
    expect(openProvisioningMessage(recipient.privateKey, sealProvisioningMessage(recipient.publicKey, new Uint8Array(0), fresh()))).toEqual(new Uint8Array(0));
  });

  it('rejects every tampered byte, a wrong recipient, a wrong version and malformed envelopes with a typed error', () => {
    const recipient = generateCurveKeyPair();
    const sealed = sealProvisioningMessage(recipient.publicKey, randomBytes(100), fresh());
    const envelope = fromBinary(ProvisionEnvelopeSchema, sealed);
    const body = envelope.body.slice();
    const rebuild = (b: Uint8Array, publicKey = envelope.publicKey) => toBinary(ProvisionEnvelopeSchema, create(ProvisionEnvelopeSchema, { publicKey, body: b }));
    // Every byte of the body: version, iv, ciphertext, MAC.
    for (let i = 0; i < body.length; i++) {
      const t = body.slice();
      t[i]! ^= 0x01;
      expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(t)));
    }
    const otherKey = generateCurveKeyPair().publicKey;
    expect(expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(body, otherKey))).message).toMatch(/MAC/);
    expect(expectBad(() => openProvisioningMessage(generateCurveKeyPair().privateKey, sealed)).message).toMatch(/MAC/);
    const v2 = body.slice();
    v2[0] = 2;
    expect(expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(v2))).message).toMatch(/version/);
    expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(body.subarray(0, 64))));
    expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(body, envelope.publicKey.subarray(0, 20))));
    expectBad(() => openProvisioningMessage(recipient.privateKey, rebuild(body, new Uint8Array(33).fill(0).fill(5, 0, 1))));
    expectBad(() => openProvisioningMessage(recipient.privateKey, Uint8Array.of(0xff, 0xff, 0xff)));
    expectBad(() => openProvisioningMessage(recipient.privateKey, new Uint8Array(0)));
  });

  it('decodes a provisioning message only when complete and consistent, copying what it keeps', () => {
    const identity = generateIdentityKeyPair();
    const good = { identityPublicKey: identity.publicKey, identityPrivateKey: identity.privateKey, account: 'acct', provisioningCode: 'code', profileKey: randomBytes(32) };
    const bytes = encodeProvisionMessage(good);
    const decoded = decodeProvisionMessage(bytes);
    expect(decoded).toEqual(good);
    bytes.fill(0);
    expect(decoded).toEqual(good);
    expectBad(() => decodeProvisionMessage(encodeProvisionMessage({ ...good, identityPublicKey: generateIdentityKeyPair().publicKey })));
    expectBad(() => decodeProvisionMessage(encodeProvisionMessage({ ...good, profileKey: randomBytes(31) })));
    expectBad(() => decodeProvisionMessage(encodeProvisionMessage({ ...good, provisioningCode: '' })));
    expectBad(() => decodeProvisionMessage(encodeProvisionMessage({ ...good, account: 'x'.repeat(65) })));
    expectBad(() => decodeProvisionMessage(Uint8Array.of(0x08)));
  });
});

describe('link URI', () => {
  it('carries the mailbox id and the one-time public key only, and parses back', () => {
    const oneTime = generateCurveKeyPair();
    const uri = formatLinkUri({ mailboxId: 'AbCdEfGhIjKlMnOpQrSt_-', publicKey: oneTime.publicKey });
    expect(uri).toMatch(/^sealpost:\/\/link\?uuid=AbCdEfGhIjKlMnOpQrSt_-&pub_key=[A-Za-z0-9_-]{44}$/);
    for (const enc of ['base64', 'base64url', 'hex'] as const) expect(uri).not.toContain(Buffer.from(oneTime.privateKey).toString(enc).replace(/=+$/, ''));
    expect(parseLinkUri(uri)).toEqual({ mailboxId: 'AbCdEfGhIjKlMnOpQrSt_-', publicKey: oneTime.publicKey });
  });

  it('refuses anything else as INVALID_DATA', () => {
    const key = Buffer.from(generateCurveKeyPair().publicKey).toString('base64url');
    const id = 'AbCdEfGhIjKlMnOpQrSt_-';
    for (const bad of [
      '',
      'sealpost-link:eyJ9',
      `https://link?uuid=${id}&pub_key=${key}`,
      `sealpost://link?uuid=${id}`,
      `sealpost://link?pub_key=${key}`,
      `sealpost://link?uuid=short&pub_key=${key}`,
      `sealpost://link?uuid=${id}&uuid=${id}&pub_key=${key}`,
      `sealpost://link?uuid=${id}&pub_key=${key.slice(1)}`,
      `sealpost://link?uuid=${id}&pub_key=${Buffer.alloc(33, 6).toString('base64url')}`,
    ]) {
      expect(() => parseLinkUri(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_DATA' }));
    }
  });
});
