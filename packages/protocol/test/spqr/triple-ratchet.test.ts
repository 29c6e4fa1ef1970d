import { describe, expect, it } from 'vitest';
import { hkdfSha256 } from '../../src/primitives/index.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import { initialSessionPqState, SELF_SESSION_MAX_JUMP, tripleRatchetRecv, tripleRatchetSend } from '../../src/spqr/triple-ratchet.ts';
import { hex, seededRandom } from './support.ts';

const PQR = new Uint8Array(32).fill(0x5a);
const SEED = new Uint8Array(32).fill(0x11);

describe('triple-ratchet step', () => {
  it('session states: V1 required, libsignal chain params, self sessions may jump u32::MAX', () => {
    const a = decodePqRatchetState(initialSessionPqState(PQR, true));
    expect(a.versionNegotiation).toMatchObject({ direction: 0, minVersion: 1, chainParams: { maxJump: 0, maxOooKeys: 0 } });
    expect(a.v1?.kind).toBe('keysUnsampled');
    const b = decodePqRatchetState(initialSessionPqState(PQR, false, true));
    expect(b.versionNegotiation).toMatchObject({ direction: 1, chainParams: { maxJump: SELF_SESSION_MAX_JUMP, maxOooKeys: 0 } });
    expect(b.v1?.kind).toBe('noHeaderReceived');
  });

  it('both sides derive the same salted message keys; the salt is the SPQR key', () => {
    const s = tripleRatchetSend(initialSessionPqState(PQR, true), SEED, seededRandom(1));
    expect(s.pqPayload).toHaveLength(37);
    const r = tripleRatchetRecv(initialSessionPqState(PQR, false), SEED, s.pqPayload);
    expect(hex(r.keys.cipherKey)).toBe(hex(s.keys.cipherKey));
    expect(hex(r.keys.macKey)).toBe(hex(s.keys.macKey));
    expect(hex(r.keys.iv)).toBe(hex(s.keys.iv));
    const unsalted = hkdfSha256(SEED, new Uint8Array(0), new TextEncoder().encode('WhisperMessageKeys'), 80);
    expect(hex(s.keys.cipherKey)).not.toBe(hex(unsalted.subarray(0, 32)));
    expect(decodePqRatchetState(r.candidatePqState).versionNegotiation).toBeUndefined();
  });

  it('a V0 (empty) state sends no payload and unsalted keys', () => {
    const s = tripleRatchetSend(new Uint8Array(0), SEED, seededRandom(2));
    expect(s.pqPayload).toHaveLength(0);
    expect(s.pqState).toHaveLength(0);
    const unsalted = hkdfSha256(SEED, new Uint8Array(0), new TextEncoder().encode('WhisperMessageKeys'), 80);
    expect(hex(s.keys.cipherKey)).toBe(hex(unsalted.subarray(0, 32)));
    expect(hex(s.keys.iv)).toBe(hex(unsalted.subarray(64, 80)));
  });

  it('rejects a garbled payload with a typed error, without touching the stored state', () => {
    const stored = initialSessionPqState(PQR, false);
    const before = hex(stored);
    expect(() => tripleRatchetRecv(stored, SEED, Uint8Array.of(1, 0, 1, 0))).toThrow(expect.objectContaining({ kind: 'MsgDecode' }));
    expect(() => tripleRatchetRecv(stored, SEED, new Uint8Array(0))).toThrow(expect.objectContaining({ kind: 'MinimumVersion' }));
    expect(hex(stored)).toBe(before);
  });
});
