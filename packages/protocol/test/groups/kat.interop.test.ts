/**
 * Known-answer checks against libsignal-client 0.90's test constructors:
 * from an explicit chain key, chain id and signing key our SKDM is
 * byte-identical to `SenderKeyDistributionMessage._new`, our SKM equals
 * `SenderKeyMessage._new` except for the (randomized) signature, and
 * libsignal decrypts our messages at iterations 0, 1 and 7.
 */
import { describe, expect, it } from 'vitest';
import {
  PrivateKey,
  PublicKey,
  SenderKeyDistributionMessage,
  SenderKeyMessage as LsSenderKeyMessage,
  groupDecrypt as lsGroupDecrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  createDistributionMessage,
  deriveSenderMessageKey,
  encodeSenderKeyMessage,
  groupEncrypt,
  nextSenderChainKey,
  senderMessageKeySeed,
} from '../../src/groups/index.ts';
import { aes256CbcDecrypt, fromHex } from '../../src/primitives/index.ts';
import { libsignalMember, utf8 } from './helpers.ts';

const CHAIN_KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const SIGNING_PRIVATE = fromHex('a8b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f50');
const CHAIN_ID = 0x1234567;
const DIST = '4e1b5b6a-9c2d-4f3e-8a7b-1c2d3e4f5a6b';

describe('sender key known answers (libsignal-client 0.90)', () => {
  it('interop: our SKDM from fixed inputs is byte-identical to SenderKeyDistributionMessage._new', () => {
    const { message } = createDistributionMessage(undefined, DIST, { chainId: CHAIN_ID, chainKey: CHAIN_KEY, signingPrivateKey: SIGNING_PRIVATE });
    const pk = PrivateKey.deserialize(ab(SIGNING_PRIVATE)).getPublicKey();
    expect(message.signingKey).toEqual(pk.serialize());
    const theirs = SenderKeyDistributionMessage._new(3, DIST, CHAIN_ID, 0, ab(CHAIN_KEY), pk);
    expect(message.serialized).toEqual(theirs.serialize());
    // After 7 sends the SKDM describes iteration 7 and its chain key (a late joiner cannot read 0..6).
    let record = createDistributionMessage(undefined, DIST, { chainId: CHAIN_ID, chainKey: CHAIN_KEY, signingPrivateKey: SIGNING_PRIVATE }).record;
    let chain = { iteration: 0, seed: CHAIN_KEY };
    for (let i = 0; i < 7; i++) {
      record = groupEncrypt(record, DIST, utf8('x')).record;
      chain = nextSenderChainKey(chain);
    }
    const again = createDistributionMessage(record, DIST);
    expect(again.record).toBe(record);
    expect(again.message.serialized).toEqual(SenderKeyDistributionMessage._new(3, DIST, CHAIN_ID, 7, ab(chain.seed), pk).serialize());
  });

  it('interop: our SKM equals SenderKeyMessage._new except the signature, and each verifies the other', () => {
    const ciphertext = fromHex('00112233445566778899aabbccddeeff');
    const priv = PrivateKey.deserialize(ab(SIGNING_PRIVATE));
    for (const iteration of [0, 1, 7, 0xffffffff]) {
      const ours = encodeSenderKeyMessage({ messageVersion: 3, distributionId: DIST, chainId: CHAIN_ID, iteration, ciphertext, signingPrivateKey: SIGNING_PRIVATE });
      const theirs = LsSenderKeyMessage._new(3, DIST, CHAIN_ID, iteration, ab(ciphertext), priv).serialize();
      expect(ours.serialized.length).toBe(theirs.length);
      expect(ours.serialized.subarray(0, -64)).toEqual(theirs.subarray(0, -64));
      expect(LsSenderKeyMessage.deserialize(ab(ours.serialized)).verifySignature(priv.getPublicKey())).toBe(true);
      const other = PrivateKey.generate().getPublicKey();
      expect(LsSenderKeyMessage.deserialize(ab(ours.serialized)).verifySignature(other)).toBe(false);
    }
  });

  it('interop: libsignal decrypts our messages at iterations 0, 1 and 7; the key schedule matches by hand', async () => {
    let { record } = createDistributionMessage(undefined, DIST, { chainId: CHAIN_ID, chainKey: CHAIN_KEY, signingPrivateKey: SIGNING_PRIVATE });
    const pk = PublicKey.deserialize(ab(record.states[0]!.signingKey!.publicKey));
    const member = libsignalMember();
    await processSenderKeyDistributionMessage(member.address, SenderKeyDistributionMessage._new(3, DIST, CHAIN_ID, 0, ab(CHAIN_KEY), pk), member.store);
    let chain = { iteration: 0, seed: CHAIN_KEY };
    const sent: { iteration: number; bytes: Uint8Array; ciphertext: Uint8Array; key: ReturnType<typeof deriveSenderMessageKey> }[] = [];
    for (let i = 0; i < 8; i++) {
      const out = groupEncrypt(record, DIST, utf8(`m${i}`));
      record = out.record;
      sent.push({ iteration: i, bytes: out.message.serialized, ciphertext: out.message.ciphertext, key: deriveSenderMessageKey(i, senderMessageKeySeed(chain)) });
      chain = nextSenderChainKey(chain);
    }
    for (const i of [0, 1, 7]) {
      const m = sent[i]!;
      expect(new TextDecoder().decode(await lsGroupDecrypt(member.address, member.store, ab(m.bytes)))).toBe(`m${i}`);
      // Independent of our cipher code: node:crypto-backed CBC with the hand-stepped key.
      expect(new TextDecoder().decode(aes256CbcDecrypt(m.key.cipherKey, m.key.iv, m.ciphertext))).toBe(`m${i}`);
    }
  });
});
