/** The operating system's CSPRNG via node:crypto. */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { asUint8Array } from './buffers.ts';

export function randomBytes(n: number): Uint8Array {
  return asUint8Array(nodeRandomBytes(n));
}
