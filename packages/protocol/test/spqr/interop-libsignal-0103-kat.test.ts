/**
 * Confirms the SPQR known answers (auth_key 0x29×32, test-vectors/spqr-*.json)
 * with libsignal-client 0.103.0: our initial states are planted into real
 * libsignal session records, libsignal encrypts, and the states and field-5
 * payloads it produces are compared with ours.
 */
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import type * as LsTypes from '@signalapp/libsignal-client-0103';
import { describe, expect, it } from 'vitest';
import { ProtoReader } from '../../src/spqr/protobuf.ts';
import { sha3_256 } from '../../src/primitives/index.ts';
import { macHeader } from '../../src/spqr/authenticator.ts';
import { chainSendKey, newChain } from '../../src/spqr/chain.ts';
import { deserializeMessage } from '../../src/spqr/message.ts';
import { initialState, send } from '../../src/spqr/ratchet.ts';
import { initialSessionPqState } from '../../src/spqr/triple-ratchet.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { type LsPeer, peerKit, pqPayloadOf, pqStatesOf, senderChainKeyOf, signalMessageOf, storeRecord, withPqState } from './libsignal-peer.ts';
import { hex, repoVectors, unhex } from './support.ts';

const kit = peerKit(await import('@signalapp/libsignal-client-0103'));
const Peer103 = kit.Peer;
type Peer103 = LsPeer;

interface Kdf {
  authKey: string;
  chainA2B: { key1: string; key2: string };
  chainB2A: { key1: string; key2: string };
  authenticator: { rootKey: string; macKey: string };
  initialStateA2B: string;
  initialStateB2A: string;
}
const V = repoVectors<{ kdf: Kdf }>('spqr-kdf-chain.json').kdf;
const M = repoVectors<{ messages: { name: string; hex: string }[] }>('spqr-messages.json').messages;
const AK = unhex(V.authKey);
const noRandom = (): Uint8Array => {
  throw new Error('randomness drawn');
};

/**
 * Decrypts libsignal's ciphertext with message keys salted by `spqrKey`
 * (HKDF(salt = SPQR key, ikm = HMAC(chain key, 0x01), "WhisperMessageKeys", 80)):
 * succeeds only if `spqrKey` is the key libsignal's SPQR chain produced.
 */
function decryptWithSpqrKey(chainKey: Uint8Array, spqrKey: Uint8Array, ct: LsTypes.CiphertextMessage): string {
  const seed = createHmac('sha256', chainKey).update(Uint8Array.of(1)).digest();
  const okm = new Uint8Array(hkdfSync('sha256', seed, spqrKey, 'WhisperMessageKeys', 80));
  const signal = signalMessageOf(ct);
  const body = new ProtoReader(signal.subarray(1, signal.length - 8)).bytes(4);
  const d = createDecipheriv('aes-256-cbc', okm.subarray(0, 32), okm.subarray(64, 80));
  return Buffer.concat([d.update(body), d.final()]).toString('utf8');
}

async function pair(): Promise<{ alice: Peer103; bob: Peer103 }> {
  const alice = new Peer103('2c8e6a1f-1d5b-4a57-9b0a-3f1b6f3e8a11', 5);
  const bob = new Peer103('5b1f0e2d-7c4a-4e8b-a9d1-0f6c2b3a4d55', 6);
  await alice.startSession(bob, true);
  await bob.decrypt(alice, await alice.encrypt(bob, new TextEncoder().encode('hello')));
  return { alice, bob };
}

describe('SPQR known answers confirmed by libsignal-client 0.103.0', () => {
  it('interop: our initial A2B state (auth 0x29×32) in a libsignal record: authenticator, chain, SPQR message keys and header MAC agree', async () => {
    const { alice, bob } = await pair();
    const ours = initialState({ direction: 0, version: 1, minVersion: 1, authKey: AK });
    expect(hex(ours)).toBe(V.initialStateA2B);
    storeRecord(alice, bob, withPqState(alice.record(bob), ours));
    const payloads: Uint8Array[] = [];
    const spqrKeys = [V.chainA2B.key1, V.chainA2B.key2];
    for (let i = 0; i < 3; i++) {
      const ck = senderChainKeyOf(alice.record(bob));
      const ct = await alice.encrypt(bob, new TextEncoder().encode(`m${i}`));
      payloads.push(pqPayloadOf(kit, ct));
      if (i < 2) expect(decryptWithSpqrKey(ck, unhex(spqrKeys[i]!), ct)).toBe(`m${i}`);
    }
    expect(hex(payloads[0]!)).toMatch(/^0101010100[0-9a-f]{64}$/);
    const s = decodePqRatchetState(pqStatesOf(alice.record(bob)).current);
    expect(s.v1?.kind).toBe('keysSampled');
    if (s.v1?.kind !== 'keysSampled') throw new Error('unreachable');
    expect(hex(s.v1.auth.rootKey)).toBe(V.authenticator.rootKey);
    expect(hex(s.v1.auth.macKey)).toBe(V.authenticator.macKey);
    // the chain libsignal built from our negotiation block equals ours after three send keys
    let chain = newChain(AK, 0, { maxJump: 0, maxOooKeys: 0 });
    for (let i = 0; i < 3; i++) chain = chainSendKey(chain, 0n).chain;
    expect(hex(s.chain!.nextRoot)).toBe(hex(chain.nextRoot));
    expect(hex(s.chain!.links[0]!.send!.next)).toBe(hex(chain.links[0]!.send!.next));
    expect(hex(s.chain!.links[0]!.recv!.next)).toBe(hex(chain.links[0]!.recv!.next));
    expect(s.chain!.links[0]!.send!.ctr).toBe(3);
    // chunks 0..2 are hdr ‖ mac: rho ‖ H(ek ‖ rho), MACed with the known-answer authenticator
    const hdrMac = new Uint8Array(96);
    payloads.forEach((p, i) => {
      const { msg, index } = deserializeMessage(p);
      expect(index).toBe(i + 1);
      if (msg.payload.type !== 'hdr') throw new Error('expected a header chunk');
      expect(msg.payload.chunk.index).toBe(i);
      hdrMac.set(msg.payload.chunk.data, 32 * i);
    });
    const hdr = hdrMac.subarray(0, 64);
    const full = new Uint8Array(1184);
    full.set(s.v1.ek);
    full.set(hdr.subarray(0, 32), 1152);
    expect(hex(hdr.subarray(32))).toBe(hex(sha3_256(full)));
    expect(hex(hdrMac.subarray(64))).toBe(hex(macHeader(s.v1.auth, 1n, hdr)));
  });

  it('interop: our initial B2A state (auth 0x29×32) in a libsignal record: libsignal sends exactly what we send and keys its messages with our SPQR keys', async () => {
    const { alice, bob } = await pair();
    const ours = initialState({ direction: 1, version: 1, minVersion: 1, authKey: AK });
    expect(hex(ours)).toBe(V.initialStateB2A);
    storeRecord(bob, alice, withPqState(bob.record(alice), ours));
    let expected = ours;
    for (let i = 0; i < 3; i++) {
      const ck = senderChainKeyOf(bob.record(alice));
      const ct = await bob.encrypt(alice, new TextEncoder().encode(`r${i}`));
      const payload = pqPayloadOf(kit, ct);
      const mine = send(expected, noRandom);
      expect(decryptWithSpqrKey(ck, mine.key!, ct)).toBe(`r${i}`);
      if (i < 2) expect(hex(mine.key!)).toBe([V.chainB2A.key1, V.chainB2A.key2][i]);
      expect(hex(payload)).toBe(hex(mine.msg));
      expect(hex(pqStatesOf(bob.record(alice)).current)).toBe(hex(mine.state));
      expected = mine.state;
      if (i === 0) expect(hex(payload)).toBe(M.find((m) => m.name.startsWith('B first'))!.hex);
    }
  });
});

describe('SignalMessage field 6 (addresses) as libsignal-client 0.103.0 writes it', () => {
  it('interop: only inside PreKey messages; ACI(0) ‖ uuid ‖ device, sender then recipient', async () => {
    const { alice, bob } = await pair();
    const uuid = (a: LsPeer) => a.address.name().replace(/-/g, '');
    const preKey = await alice.encrypt(bob, new TextEncoder().encode('still a prekey message'));
    expect(preKey.type()).toBe(3);
    const inner = signalMessageOf(preKey);
    const fields = new ProtoReader(inner.subarray(1, inner.length - 8));
    expect(hex(fields.bytes(6))).toBe(`00${uuid(alice)}01` + `00${uuid(bob)}01`);
    await bob.decrypt(alice, preKey);
    const reply = await bob.encrypt(alice, new TextEncoder().encode('reply'));
    expect(reply.type()).toBe(2);
    const plain = signalMessageOf(reply);
    expect(new ProtoReader(plain.subarray(1, plain.length - 8)).has(6)).toBe(false);
  });
});

describe('self sessions (another device of the same account)', () => {
  it('interop: libsignal 0.103 stores max_jump u32::MAX exactly as initialSessionPqState(…, selfSession) encodes it', async () => {
    const phone = new Peer103('6d1c4b2a-9f8e-4d7c-b6a5-0e9f8d7c6b5a', 61);
    const laptop = new Peer103('6d1c4b2a-9f8e-4d7c-b6a5-0e9f8d7c6b5a', 62, 2, phone);
    await phone.startSession(laptop, true);
    const state = pqStatesOf(phone.record(laptop)).current;
    const decoded = decodePqRatchetState(state);
    expect(decoded.versionNegotiation?.chainParams).toEqual({ maxJump: 0xffffffff, maxOooKeys: 0 });
    const ours = initialSessionPqState(decoded.versionNegotiation!.authKey, true, true);
    expect(hex(ours)).toBe(hex(state));
    const other = new Peer103('11111111-2222-4333-8444-555555555555', 63);
    await phone.startSession(other, true);
    const normal = pqStatesOf(phone.record(other)).current;
    expect(hex(initialSessionPqState(decodePqRatchetState(normal).versionNegotiation!.authKey, true))).toBe(hex(normal));
  });
});
