/** Test helpers shared by the keytrans suites. */
import { expect } from 'vitest';
import { KeyTransparencyError } from '../../src/errors.ts';

/** A 32-byte seed of one repeated byte. */
export const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** The `KeyTransparencyError` code `run` throws (any other error fails the test), or undefined when it returns. */
export function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KeyTransparencyError);
    return (e as KeyTransparencyError).code;
  }
}
