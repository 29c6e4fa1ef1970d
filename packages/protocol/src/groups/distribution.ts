/**
 * Starting and sharing a sender chain (libsignal group_cipher.rs):
 *
 * - `createDistributionMessage`: the sender's SKDM for a distribution id.
 *   With no state yet, a new chain is made from the given randomness
 *   (chain id 31-bit, chain key, signing key) at iteration 0; otherwise the
 *   current state (`states[0]`) is described at its current iteration, so a
 *   late joiner cannot read earlier messages.
 * - `processDistributionMessage`: a member records the sender's chain.
 */
import { InvalidArgumentError } from '../errors.ts';
import { curveKeyPairFromPrivate } from '../keys/curve-key.ts';
import { checkBytes, randomBytes } from '../primitives/index.ts';
import { SENDERKEY_MESSAGE_CURRENT_VERSION } from './constants.ts';
import {
  type SenderKeyDistributionMessage,
  decodeDistributionMessage,
  encodeDistributionMessage,
} from './distribution-message.ts';
import { emptySenderKeyRecord, type SenderKeyRecord, withSenderKeyState } from './record.ts';
import { stateChainKey, stateMessageVersion, stateSigningPublicKey } from './state.ts';

/** The randomness of a new chain (libsignal draws it from its CSPRNG). */
export interface SenderKeyRandomness {
  /** 31-bit chain id (libsignal: `random_u32() >> 1`). */
  chainId: number;
  /** 32-byte chain key at iteration 0. */
  chainKey: Uint8Array;
  /** 32-byte private signing key (clamped as a Curve25519 key). */
  signingPrivateKey: Uint8Array;
}

/** Fresh randomness for a new chain. */
export function freshSenderKeyRandomness(): SenderKeyRandomness {
  const r = randomBytes(4 + 32 + 32);
  const chainId = (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) >>> 1;
  return { chainId, chainKey: r.slice(4, 36), signingPrivateKey: r.slice(36, 68) };
}

/**
 * The SKDM for our own chain under `distributionId` and the record to store
 * (unchanged when a chain already exists). `randomness` is used only when a
 * new chain is made; fresh randomness when absent.
 */
export function createDistributionMessage(
  record: SenderKeyRecord | undefined,
  distributionId: string,
  randomness?: SenderKeyRandomness,
): { record: SenderKeyRecord; message: SenderKeyDistributionMessage } {
  let current = record ?? emptySenderKeyRecord();
  if (current.states.length === 0) {
    const r = randomness ?? freshSenderKeyRandomness();
    if (!Number.isInteger(r.chainId) || r.chainId < 0 || r.chainId > 0x7fffffff) {
      throw new InvalidArgumentError(`chainId must be a 31-bit unsigned integer, got ${r.chainId}`);
    }
    const signing = curveKeyPairFromPrivate(checkBytes('signingPrivateKey', r.signingPrivateKey, 32));
    current = withSenderKeyState(current, {
      messageVersion: SENDERKEY_MESSAGE_CURRENT_VERSION,
      chainId: r.chainId,
      iteration: 0,
      chainKey: checkBytes('chainKey', r.chainKey, 32),
      signingPublicKey: signing.publicKey,
      signingPrivateKey: signing.privateKey,
    });
  }
  const state = current.states[0]!;
  const chainKey = stateChainKey(state);
  const message = encodeDistributionMessage({
    messageVersion: stateMessageVersion(state),
    distributionId,
    chainId: state.chainId,
    iteration: chainKey.iteration,
    chainKey: chainKey.seed,
    signingKey: stateSigningPublicKey(state),
  });
  return { record: current, message };
}

/**
 * The record with the sender's chain from `distribution` (bytes or parsed)
 * added (libsignal `process_sender_key_distribution_message`); a member's
 * copy holds no private key.
 */
export function processDistributionMessage(
  record: SenderKeyRecord | undefined,
  distribution: SenderKeyDistributionMessage | Uint8Array,
): SenderKeyRecord {
  const skdm = distribution instanceof Uint8Array ? decodeDistributionMessage(distribution) : distribution;
  return withSenderKeyState(record ?? emptySenderKeyRecord(), {
    messageVersion: skdm.messageVersion,
    chainId: skdm.chainId,
    iteration: skdm.iteration,
    chainKey: skdm.chainKey,
    signingPublicKey: skdm.signingKey,
  });
}
