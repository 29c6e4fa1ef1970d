/**
 * The sender-certificate trust root an app pins: checked when the client is
 * constructed (each must be a Curve25519 public key: 33 bytes 0x05-prefixed,
 * or its raw 32 bytes) and at `start()` against the key server's answer —
 * our own sender certificate must chain to it. A wrong root otherwise only
 * shows when every received envelope fails to validate (and, before, was lost).
 */
import { checkSenderCertificate } from '@sealpost/protocol/sealed-sender';
import { SealpostError } from '@sealpost/protocol';
import { ClientError } from './errors.ts';
import type { RegisteredAccount } from './store/types.ts';

/** The trust root option as a list of checked keys (copies); `INVALID_TRUST_ROOT` otherwise. */
export function checkTrustRoots(option: unknown): Uint8Array[] {
  const roots: unknown[] = Array.isArray(option) ? option : [option];
  if (roots.length === 0) throw new ClientError('INVALID_TRUST_ROOT', 'trustRoot: at least one trust root public key is required');
  return roots.map((root, i) => {
    const name = Array.isArray(option) ? `trustRoot[${i}]` : 'trustRoot';
    if (!(root instanceof Uint8Array)) throw new ClientError('INVALID_TRUST_ROOT', `${name} must be a Uint8Array public key, got ${root === null ? 'null' : typeof root}`);
    const serialized = root.length === 33 && root[0] === 0x05;
    if (!serialized && root.length !== 32) {
      throw new ClientError('INVALID_TRUST_ROOT', `${name} must be a Curve25519 public key (33 bytes starting with 0x05, or 32 raw bytes), got ${root.length} bytes`);
    }
    return root.slice();
  });
}

/**
 * Fails with `INVALID_TRUST_ROOT` unless `certificate` (our own sender
 * certificate, as the key server issued it) is valid now under `roots` and
 * names this device.
 */
export function selfCheckTrustRoot(certificate: Uint8Array, roots: Uint8Array[], now: number, own: RegisteredAccount): void {
  let cert;
  try {
    cert = checkSenderCertificate(certificate, roots, now);
  } catch (e) {
    if (!(e instanceof SealpostError)) throw e;
    throw new ClientError(
      'INVALID_TRUST_ROOT',
      `the key server's sender certificate for this device does not validate under the pinned trust root (${e.message}): check the trustRoot option`,
      { cause: e },
    );
  }
  if (cert.senderUuid.toLowerCase() !== own.account || cert.senderDeviceId !== own.device) {
    throw new ClientError('INVALID_TRUST_ROOT', 'the key server issued a sender certificate for another device than this one');
  }
}
