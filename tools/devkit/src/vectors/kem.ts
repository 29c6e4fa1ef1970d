/**
 * Replays the KEM known answers: libcrux's NIST KAT JSON (round-3 Kyber1024
 * and ML-KEM-1024) and C2SP CCTV's ML-KEM-1024 edge cases.
 */
import { fromHex, sha3_256, toHex } from '@sealpost/protocol/primitives';
import { InvalidKeyError } from '@sealpost/protocol';
import { KYBER1024, MLKEM1024 } from './kems.ts';
import { caught, type FileReport, Tally } from './tally.ts';

interface LibcruxKat {
  key_generation_seed: string;
  sha3_256_hash_of_public_key: string;
  sha3_256_hash_of_secret_key: string;
  encapsulation_seed: string;
  sha3_256_hash_of_ciphertext: string;
  shared_secret: string;
}

function firstMismatch(pairs: [string, string, string][]): true | string {
  for (const [what, got, want] of pairs) if (got !== want) return `${what}: got ${got}, want ${want}`;
  return true;
}

/**
 * One case per KAT entry: keygen from the 64-byte seed, encapsulation from the
 * 32-byte seed (SHA3-256 of pk, sk, ct and the shared secret must match),
 * then decapsulation must give the same secret.
 */
export function replayLibcruxKats(local: string, text: string): FileReport {
  const kem = local.includes('kyber') ? KYBER1024 : MLKEM1024;
  const tally = new Tally(local);
  const kats = JSON.parse(text) as LibcruxKat[];
  kats.forEach((k, i) => {
    tally.check(`entry ${i}`, () => {
      const { publicKey, secretKey } = kem.keyGen(fromHex(k.key_generation_seed));
      const { ciphertext, sharedSecret } = kem.encapsulate(publicKey, fromHex(k.encapsulation_seed));
      return firstMismatch([
        ['H(pk)', toHex(sha3_256(publicKey)), k.sha3_256_hash_of_public_key],
        ['H(sk)', toHex(sha3_256(secretKey)), k.sha3_256_hash_of_secret_key],
        ['H(ct)', toHex(sha3_256(ciphertext)), k.sha3_256_hash_of_ciphertext],
        ['encapsulated secret', toHex(sharedSecret), k.shared_secret],
        ['decapsulated secret', toHex(kem.decapsulate(secretKey, ciphertext)), k.shared_secret],
      ]);
    });
  });
  return tally.report;
}

/** Parses CCTV "name = hex" lines; the first occurrence of a name wins. */
function parseCctvBlock(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) = ([0-9a-f]*)$/.exec(line.trim());
    if (m !== null && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  }
  return fields;
}

function need(fields: Map<string, string>, name: string): Uint8Array {
  const v = fields.get(name);
  if (v === undefined) throw new Error(`CCTV field ${name} missing`);
  return fromHex(v);
}

/**
 * CCTV ML-KEM-1024 files:
 *  intermediate / unluckysample: keygen(d || z) -> ek, dk; encaps(ek, m) -> c, K;
 *    decaps(dk, c) -> K (three cases). CCTV's keys were generated with the
 *    FIPS 203 initial public draft, whose keygen expands G(d) without the
 *    final standard's k byte: that is exactly round-3 Kyber's K-PKE keygen,
 *    so the keygen case runs kyber1024KeyGen (a second, independent check of
 *    it); encaps/decaps are the same in the draft and the final standard;
 *  strcmp: decaps(dk, c) -> K (one case);
 *  modulus (.gz, handed over decompressed): one encapsulation key per line, each with an unreduced
 *    coefficient: encapsulation must reject every one with InvalidKeyError.
 */
export function replayCctv(local: string, text: string): FileReport {
  const tally = new Tally(local);
  if (local.includes('-modulus-')) {
    const m32 = new Uint8Array(32);
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .forEach((line, i) => {
        const ek = fromHex(line);
        tally.check(`line ${i + 1}`, () => caught(() => MLKEM1024.encapsulate(ek, m32)) instanceof InvalidKeyError || 'unreduced key accepted');
      });
    return tally.report;
  }
  const f = parseCctvBlock(text);
  const dk = need(f, 'dk');
  const c = need(f, 'c');
  const K = need(f, 'K');
  if (f.has('d')) {
    tally.check('keygen (FIPS 203 ipd = round-3 K-PKE)', () => {
      const kp = KYBER1024.keyGen(new Uint8Array([...need(f, 'd'), ...need(f, 'z')]));
      return firstMismatch([
        ['ek', toHex(kp.publicKey), toHex(need(f, 'ek'))],
        ['dk', toHex(kp.secretKey), toHex(dk)],
      ]);
    });
    tally.check('encaps', () => {
      const e = MLKEM1024.encapsulate(need(f, 'ek'), need(f, 'm'));
      return firstMismatch([
        ['c', toHex(e.ciphertext), toHex(c)],
        ['K', toHex(e.sharedSecret), toHex(K)],
      ]);
    });
  }
  tally.check('decaps', () => firstMismatch([['K', toHex(MLKEM1024.decapsulate(dk, c)), toHex(K)]]));
  return tally.report;
}
