/**
 * Issue 11 item 18: only a genuine low-order point is reported as one. The
 * node backend used to map every failure of its KeyObject imports and
 * agreement (a TypeError included) to "low-order point".
 */
import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../src/errors.ts';
import { x25519Agree, x25519GenerateKeyPair } from '../src/primitives/index.ts';
import { backend as webBackend } from '../src/primitives/web/index.ts';

/** A key array whose bytes are fine but whose `buffer` getter fails, as a caller's broken wrapper might. */
class BrokenBufferArray extends Uint8Array {
  override get buffer(): ArrayBuffer {
    throw new TypeError('broken buffer getter');
  }
}

/** u = 0: the all-zero result for every private key. */
const LOW_ORDER_POINT = new Uint8Array(32);

describe('x25519Agree error mapping', () => {
  it('an unrelated TypeError surfaces as itself, not as a low-order point', () => {
    const a = x25519GenerateKeyPair();
    const b = x25519GenerateKeyPair();
    expect(() => x25519Agree(new BrokenBufferArray(a.privateKey), b.publicKey)).toThrow(TypeError);
    expect(() => x25519Agree(a.privateKey, new BrokenBufferArray(b.publicKey))).toThrow('broken buffer getter');
    let error: unknown;
    try {
      x25519Agree(a.privateKey, new BrokenBufferArray(b.publicKey));
    } catch (e) {
      error = e;
    }
    expect(error).not.toBeInstanceOf(InvalidKeyError);
  });

  it('a low-order point is still refused as one (both backends)', () => {
    const a = x25519GenerateKeyPair();
    expect(() => x25519Agree(a.privateKey, LOW_ORDER_POINT)).toThrow(/low-order point/);
    expect(webBackend.x25519Agree(a.privateKey, LOW_ORDER_POINT)).toBeUndefined();
    const b = x25519GenerateKeyPair();
    expect(webBackend.x25519Agree(a.privateKey, b.publicKey)).toEqual(x25519Agree(a.privateKey, b.publicKey));
  });
});
