/**
 * The `keyTransparency` option is checked when the client is built, like
 * `trustRoot`: a pin that cannot work is `KtError('KT_INVALID_CONFIG')`
 * from the constructor; a good one is taken (defaults filled in), and the
 * KT answers' shapes are checked before anything is decoded.
 */
import { describe, expect, it } from 'vitest';
import { ed25519Cosigner, ed25519NoteSigner, vrfPublicKey } from '@sealpost/keytrans';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { MemoryStore } from '../../src/store/memory.ts';
import { SealpostClient } from '../../src/client.ts';
import { KtError } from '../../src/kt/errors.ts';
import { checkKtOptions, KT_CLIENT_DEFAULTS } from '../../src/kt/options.ts';
import type { KeyTransparencyOptions } from '../../src/kt/types.ts';
import { checkHandleLookup, checkSearchResponse } from '../../src/kt/wire-check.ts';

const origin = 'keys.example.org/sealpost-kt/0011223344556677';
const log = ed25519NoteSigner(origin, randomBytes(32));
const w1 = ed25519Cosigner('w1.example', randomBytes(32), () => 0);
const good: KeyTransparencyOptions = {
  origin,
  logVerifierKey: log.vkey,
  vrfPublicKey: toBase64(vrfPublicKey(randomBytes(32))),
  witnessPolicy: `witness w1.example ${w1.vkey}\nquorum w1.example\n`,
  mode: 'enforce',
};
const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof KtError ? e.code : `not a KtError: ${String(e)}`;
  }
};

describe('keyTransparency option', () => {
  it('takes a good pin (a witnesses-only policy gets the pinned log line) and fills in the defaults', () => {
    const c = checkKtOptions(good)!;
    expect(c.mode).toBe('enforce');
    expect(c.pinned.origin).toBe(origin);
    expect(c.pinned.policy.logs.map((l) => l.vkey)).toEqual([log.vkey]);
    expect(c.monitorIntervalMs).toBe(KT_CLIENT_DEFAULTS.monitorIntervalMs);
    expect(c.recheckAfterMs).toBe(KT_CLIENT_DEFAULTS.monitorIntervalMs);
    expect(checkKtOptions({ ...good, monitorIntervalMs: 5000, recheckAfterMs: 0 })).toMatchObject({ monitorIntervalMs: 5000, recheckAfterMs: 0 });
    expect(checkKtOptions(undefined)).toBeUndefined();
  });

  it('refuses pins that cannot work with KT_INVALID_CONFIG, also from the client constructor', () => {
    const other = ed25519NoteSigner('other.example/log', randomBytes(32));
    const bad: Partial<KeyTransparencyOptions>[] = [
      { mode: 'strict' as never },
      { logVerifierKey: 'not a vkey' },
      { logVerifierKey: other.vkey }, // named for another origin
      { vrfPublicKey: toBase64(randomBytes(31)) },
      { vrfPublicKey: 'not base64!' },
      { witnessPolicy: 'quorum nobody\n' },
      { witnessPolicy: `log ${other.vkey}\nquorum none\n` }, // a policy for another log
      { monitorIntervalMs: 0 },
      { maxBehindMs: -1 },
      { backgroundDelayMs: 1.5 },
    ];
    for (const b of bad) expect([b, code(() => checkKtOptions({ ...good, ...b }))]).toEqual([b, 'KT_INVALID_CONFIG']);
    const construct = () => new SealpostClient({ store: new MemoryStore(), keyServerUrl: 'http://127.0.0.1:1', relayUrl: 'http://127.0.0.1:2', trustRoot: new Uint8Array(33).fill(5), keyTransparency: { ...good, mode: 'x' as never } });
    expect(code(construct)).toBe('KT_INVALID_CONFIG');
  });

  it('refuses malformed KT answers with KT_BAD_RESPONSE before any decoding', () => {
    const ok = { checkpoint: 'note', proof: 'AAAA', consistency: [{ from: 1, proof: ['AAAA'] }] };
    expect(checkSearchResponse(ok)).toEqual(ok);
    for (const b of [null, [], 'x', { ...ok, proof: 1 }, { ...ok, checkpoint: '' }, { ...ok, consistency: {} }, { ...ok, consistency: [{ from: -1, proof: [] }] }, { ...ok, consistency: new Array(18).fill({ from: 1, proof: [] }) }]) {
      expect(code(() => checkSearchResponse(b))).toBe('KT_BAD_RESPONSE');
    }
    expect(checkHandleLookup({ handle: 'bob', accountId: 'x', extra: 1 })).toEqual({ handle: 'bob', accountId: 'x' });
    expect(code(() => checkHandleLookup({ handle: 'bob' }))).toBe('KT_BAD_RESPONSE');
  });
});
