/// <reference lib="dom" />
/**
 * At-rest encryption of the browser store's values with an app-supplied
 * WebCrypto AES-GCM key (ideally non-extractable, e.g. generated once and
 * kept in IndexedDB itself, or derived from a passphrase). Each value is
 * `iv (12 random bytes) ‖ AES-GCM(value)` with additional data binding the
 * database name and the record's key, so a value moved to another record (or
 * another database) fails to decrypt. Record keys (account and envelope ids,
 * prekey ids, times) stay in clear so IndexedDB can order them.
 */
import { randomBytes, utf8Encode } from '@sealpost/protocol/primitives';
import { ClientError } from '../../errors.ts';
import { keyId, type KvKey } from '../kv/keys.ts';
import { decodeValue, encodeValue } from './value-codec.ts';

const IV_BYTES = 12;

/** Checks that `key` can encrypt and decrypt with AES-GCM. */
export function checkStoreKey(key: CryptoKey): void {
  const ok =
    typeof CryptoKey !== 'undefined' &&
    key instanceof CryptoKey &&
    key.algorithm.name === 'AES-GCM' &&
    key.usages.includes('encrypt') &&
    key.usages.includes('decrypt');
  if (!ok) throw new ClientError('STORE_KEY', 'the store key must be a WebCrypto AES-GCM CryptoKey with encrypt and decrypt usages');
}

export class ValueCipher {
  constructor(
    private readonly key: CryptoKey,
    private readonly database: string,
  ) {}

  #aad(key: KvKey): Uint8Array<ArrayBuffer> {
    return utf8Encode(`sealpost-browser-store/v1\u0000${this.database}\u0000${keyId(key)}`) as Uint8Array<ArrayBuffer>;
  }

  async seal(key: KvKey, value: unknown): Promise<Uint8Array> {
    const iv = randomBytes(IV_BYTES) as Uint8Array<ArrayBuffer>;
    const plain = encodeValue(value) as Uint8Array<ArrayBuffer>;
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: this.#aad(key) }, this.key, plain));
    const out = new Uint8Array(IV_BYTES + sealed.length);
    out.set(iv);
    out.set(sealed, IV_BYTES);
    return out;
  }

  async open(key: KvKey, stored: unknown): Promise<unknown> {
    if (!(stored instanceof Uint8Array) || stored.length < IV_BYTES + 16) {
      throw new ClientError('STORE_KEY', `stored record ${keyId(key)} is not an encrypted value`);
    }
    const bytes = stored as Uint8Array<ArrayBuffer>;
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: this.#aad(key) },
        this.key,
        bytes.subarray(IV_BYTES),
      );
    } catch (e) {
      throw new ClientError('STORE_KEY', `stored record ${keyId(key)} does not decrypt: wrong store key, or the record was altered or moved`, { cause: e });
    }
    return decodeValue(new Uint8Array(plain));
  }
}
