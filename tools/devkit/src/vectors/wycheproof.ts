/**
 * Replays C2SP Wycheproof files against our primitives.
 *
 * valid      must produce exactly the expected output (both directions for ciphers);
 * invalid    must be rejected (a throw, or false/mismatch for MACs and signatures);
 * acceptable handled per flag, as test-vectors/README.md documents (only
 *            x25519 has such cases: results that are all zero must be
 *            rejected, all others must match).
 * Groups for key sizes our API does not offer (AES-128/192) are skipped.
 */
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  aes256GcmSivDecrypt,
  aes256GcmSivEncrypt,
  constantTimeEqual,
  ed25519Verify,
  fromHex,
  hkdfSha256,
  hmacSha256,
  mlkem1024Decapsulate,
  mlkem1024Encapsulate,
  mlkem1024KeyGen,
  toHex,
  x25519Agree,
} from '@sealpost/protocol/primitives';
import { InvalidKeyError } from '@sealpost/protocol';
import { caught, type FileReport, Tally, throws } from './tally.ts';

type Result = 'valid' | 'invalid' | 'acceptable';
interface WycheproofTest {
  tcId: number;
  result: Result;
  flags?: string[];
  [field: string]: unknown;
}
interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}
interface WycheproofFile {
  testGroups: WycheproofGroup[];
}

function str(t: Record<string, unknown>, field: string): string {
  const v = t[field];
  if (typeof v !== 'string') throw new Error(`field ${field} missing or not a string`);
  return v;
}
function hexField(t: Record<string, unknown>, field: string): Uint8Array {
  return fromHex(str(t, field));
}
function num(t: Record<string, unknown>, field: string): number {
  const v = t[field];
  if (typeof v !== 'number') throw new Error(`field ${field} missing or not a number`);
  return v;
}
function same(a: Uint8Array, b: Uint8Array): boolean | string {
  return (a.length === b.length && constantTimeEqual(a, b)) || `got ${toHex(a)}, want ${toHex(b)}`;
}

type Handler = (tally: Tally, group: WycheproofGroup, test: WycheproofTest) => void;

const x25519: Handler = (tally, _group, t) => {
  const id = `tcId ${t.tcId}`;
  const priv = hexField(t, 'private');
  const pub = hexField(t, 'public');
  const shared = hexField(t, 'shared');
  const zeroResult = shared.every((b) => b === 0);
  if (t.result === 'invalid') {
    tally.check(id, () => throws(() => x25519Agree(priv, pub)) || 'accepted an invalid case');
  } else if (zeroResult) {
    // acceptable (LowOrderPublic / ZeroSharedSecret): we refuse all-zero secrets.
    tally.check(id, () => caught(() => x25519Agree(priv, pub)) instanceof InvalidKeyError || 'all-zero shared secret was not rejected');
  } else {
    // valid, and acceptable Twist / NonCanonicalPublic / SmallPublicKey / ...: must match.
    tally.check(id, () => same(x25519Agree(priv, pub), shared));
  }
};

const ed25519: Handler = (tally, group, t) => {
  const pk = fromHex(str(group['publicKey'] as Record<string, unknown>, 'pk'));
  const msg = hexField(t, 'msg');
  const sig = hexField(t, 'sig');
  tally.check(`tcId ${t.tcId}`, () => {
    const ok = ed25519Verify(pk, msg, sig);
    return t.result === 'invalid' ? !ok || 'accepted an invalid signature' : ok || 'rejected a valid signature';
  });
};

const hkdf: Handler = (tally, _group, t) => {
  const ikm = hexField(t, 'ikm');
  const salt = hexField(t, 'salt');
  const info = hexField(t, 'info');
  const size = num(t, 'size');
  tally.check(`tcId ${t.tcId}`, () =>
    t.result === 'invalid'
      ? throws(() => hkdfSha256(ikm, salt, info, size)) || 'accepted an invalid size'
      : same(hkdfSha256(ikm, salt, info, size), hexField(t, 'okm')),
  );
};

const hmac: Handler = (tally, group, t) => {
  const tagBytes = num(group, 'tagSize') / 8;
  const key = hexField(t, 'key');
  const msg = hexField(t, 'msg');
  const tag = hexField(t, 'tag');
  tally.check(`tcId ${t.tcId}`, () => {
    const ok = constantTimeEqual(hmacSha256(key, msg).subarray(0, tagBytes), tag);
    return t.result === 'invalid' ? !ok || 'accepted a modified tag' : ok || 'tag mismatch';
  });
};

function aes256Only(group: WycheproofGroup): boolean {
  return num(group, 'keySize') === 256;
}

const aesCbc: Handler = (tally, group, t) => {
  if (!aes256Only(group)) return tally.skip();
  const key = hexField(t, 'key');
  const iv = hexField(t, 'iv');
  const msg = hexField(t, 'msg');
  const ct = hexField(t, 'ct');
  tally.check(`tcId ${t.tcId}`, () => {
    if (t.result === 'invalid') return throws(() => aes256CbcDecrypt(key, iv, ct)) || 'accepted bad padding';
    const enc = same(aes256CbcEncrypt(key, iv, msg), ct);
    return enc === true ? same(aes256CbcDecrypt(key, iv, ct), msg) : enc;
  });
};

function aead(
  encrypt: (k: Uint8Array, n: Uint8Array, p: Uint8Array, a: Uint8Array) => Uint8Array,
  decrypt: (k: Uint8Array, n: Uint8Array, c: Uint8Array, a: Uint8Array) => Uint8Array,
): Handler {
  return (tally, group, t) => {
    if (!aes256Only(group) || num(group, 'tagSize') !== 128) return tally.skip();
    const key = hexField(t, 'key');
    const iv = hexField(t, 'iv');
    const aad = hexField(t, 'aad');
    const msg = hexField(t, 'msg');
    const ctTag = fromHex(str(t, 'ct') + str(t, 'tag'));
    tally.check(`tcId ${t.tcId}`, () => {
      if (t.result === 'invalid') return throws(() => decrypt(key, iv, ctTag, aad)) || 'accepted an invalid ciphertext';
      const enc = same(encrypt(key, iv, msg, aad), ctTag);
      return enc === true ? same(decrypt(key, iv, ctTag, aad), msg) : enc;
    });
  };
}

const mlkemTest: Handler = (tally, _group, t) => {
  const seed = hexField(t, 'seed');
  const c = hexField(t, 'c');
  tally.check(`tcId ${t.tcId}`, () => {
    if (t.result === 'invalid') {
      return throws(() => {
        const { secretKey } = mlkem1024KeyGen(seed);
        mlkem1024Decapsulate(secretKey, c);
      }) || 'accepted an invalid seed/ciphertext';
    }
    const { publicKey, secretKey } = mlkem1024KeyGen(seed);
    const ek = same(publicKey, hexField(t, 'ek'));
    return ek === true ? same(mlkem1024Decapsulate(secretKey, c), hexField(t, 'K')) : ek;
  });
};

const mlkemEncaps: Handler = (tally, _group, t) => {
  const ek = hexField(t, 'ek');
  const m = hexField(t, 'm');
  tally.check(`tcId ${t.tcId}`, () => {
    if (t.result === 'invalid') return caught(() => mlkem1024Encapsulate(ek, m)) instanceof InvalidKeyError || 'accepted an invalid public key';
    const { ciphertext, sharedSecret } = mlkem1024Encapsulate(ek, m);
    const c = same(ciphertext, hexField(t, 'c'));
    return c === true ? same(sharedSecret, hexField(t, 'K')) : c;
  });
};

const mlkemKeygenSeed: Handler = (tally, _group, t) => {
  tally.check(`tcId ${t.tcId}`, () => {
    const { publicKey, secretKey } = mlkem1024KeyGen(hexField(t, 'seed'));
    const ek = same(publicKey, hexField(t, 'ek'));
    return ek === true ? same(secretKey, hexField(t, 'dk')) : ek;
  });
};

const mlkemDecaps: Handler = (tally, _group, t) => {
  const dk = hexField(t, 'dk');
  const c = hexField(t, 'c');
  tally.check(`tcId ${t.tcId}`, () =>
    t.result === 'invalid'
      ? throws(() => mlkem1024Decapsulate(dk, c)) || 'accepted an invalid key/ciphertext'
      : same(mlkem1024Decapsulate(dk, c), hexField(t, 'K')),
  );
};

/** Which handler replays which Wycheproof file. */
export const WYCHEPROOF_HANDLERS: Readonly<Record<string, Handler>> = {
  'x25519_test.json': x25519,
  'ed25519_test.json': ed25519,
  'hkdf_sha256_test.json': hkdf,
  'hmac_sha256_test.json': hmac,
  'aes_cbc_pkcs5_test.json': aesCbc,
  'aes_gcm_test.json': aead(aes256GcmEncrypt, aes256GcmDecrypt),
  'aes_gcm_siv_test.json': aead(aes256GcmSivEncrypt, aes256GcmSivDecrypt),
  'mlkem_1024_test.json': mlkemTest,
  'mlkem_1024_encaps_test.json': mlkemEncaps,
  'mlkem_1024_keygen_seed_test.json': mlkemKeygenSeed,
  'mlkem_1024_semi_expanded_decaps_test.json': mlkemDecaps,
};

/** Replays one Wycheproof file (`local` is e.g. "wycheproof/x25519_test.json"). */
export function replayWycheproof(local: string, text: string): FileReport {
  const tally = new Tally(local);
  const handler = WYCHEPROOF_HANDLERS[local.slice(local.lastIndexOf('/') + 1)];
  if (handler === undefined) throw new Error(`no Wycheproof handler for ${local}`);
  const data = JSON.parse(text) as WycheproofFile;
  for (const group of data.testGroups) {
    for (const test of group.tests) handler(tally, group, test);
  }
  return tally.report;
}
