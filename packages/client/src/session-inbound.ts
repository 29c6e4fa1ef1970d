/**
 * The inbound handler for 1:1 session messages (sealed content types 2,
 * SignalMessage, and 3, PreKeySignalMessage): load what the step needs
 * (record, and for a PreKeySignalMessage the prekeys it names), run the pure
 * decrypt synchronously, store the new record, then consume the prekeys
 * the message used — the one-time EC key is deleted, the Kyber key goes
 * through `markKyberPreKeyUsed`, which refuses a replayed use of the
 * last-resort key.
 */
import { decodePreKeySignalMessage } from '@sealpost/protocol';
import type { InboundHandler, OpenedEnvelope } from './incoming.ts';
import { decodeKyberPreKey, decodeOneTimePreKey, decodeSignedPreKey } from './keys.ts';
import { unpadPlaintext } from './padding.ts';
import { runSessionStep } from './session-transaction.ts';
import { sessionAddresses, type CiphertextType, type Decrypted, type LocalKeys, type PreKeyLookup, type SessionOps } from './session-ops.ts';
import type { DeviceAddress, StoreTransaction, StoredPreKey } from './store/types.ts';

/** Sealed content types of 1:1 session messages. */
export const SESSION_CONTENT_TYPES: readonly CiphertextType[] = [2, 3];

const NO_PREKEYS: PreKeyLookup = { signedPreKey: () => undefined, oneTimePreKey: () => undefined, kyberPreKey: () => undefined };

/** Loads the prekeys a PreKeySignalMessage names, so the synchronous step can look them up. */
async function preloadPreKeys(tx: StoreTransaction, body: Uint8Array): Promise<PreKeyLookup> {
  // A body that does not parse fails the same way inside the decrypt; look nothing up for it.
  let ids;
  try {
    ids = decodePreKeySignalMessage(body);
  } catch {
    return NO_PREKEYS;
  }
  const load = (p: Promise<StoredPreKey | undefined>, id: number | undefined) => (id === undefined ? Promise.resolve(undefined) : p);
  const [signed, oneTime, kyber] = await Promise.all([
    tx.signedPreKeys.load(ids.signedPreKeyId),
    load(tx.preKeys.load(ids.preKeyId ?? 0), ids.preKeyId),
    load(tx.kyberPreKeys.load(ids.kyberPreKeyId ?? 0), ids.kyberPreKeyId),
  ]);
  const lookup = <T>(stored: StoredPreKey | undefined, wanted: number | undefined, decode: (k: StoredPreKey) => T) => (id: number) =>
    stored !== undefined && id === wanted ? decode(stored) : undefined;
  return {
    signedPreKey: lookup(signed, ids.signedPreKeyId, decodeSignedPreKey),
    oneTimePreKey: lookup(oneTime, ids.preKeyId, decodeOneTimePreKey),
    kyberPreKey: lookup(kyber, ids.kyberPreKeyId, decodeKyberPreKey),
  };
}

/**
 * The session handler for content types 2 and 3. `localAddress` is this
 * device's address: with the sender's, a message that carries addresses
 * (field 6) must name exactly these two, or it is refused.
 */
export function sessionInboundHandler(ops: SessionOps, localKeys: () => LocalKeys, localAddress: () => DeviceAddress): InboundHandler {
  return async (tx: StoreTransaction, envelope: OpenedEnvelope, now: number) => {
    const type = envelope.contentType as CiphertextType;
    const keys = localKeys();
    const addresses = sessionAddresses(localAddress(), envelope.sender);
    const prekeys = type === 3 ? await preloadPreKeys(tx, envelope.contents) : NO_PREKEYS;
    // The session must speak for the identity the certificate names: the decrypt refuses any other.
    const decrypted: Decrypted = await runSessionStep(tx, envelope.sender, (record) => {
      const d = ops.decrypt(record, type, envelope.contents, keys, prekeys, now, envelope.senderIdentityKey, addresses);
      return { record: d.record, result: d };
    });
    let usedOneTime = false;
    const used = decrypted.preKeysUsed;
    if (used !== undefined) {
      if (used.preKeyId !== undefined) {
        await tx.preKeys.remove(used.preKeyId);
        usedOneTime = true;
      }
      if (used.kyberPreKeyId !== undefined) {
        const use = await tx.kyberPreKeys.markKyberPreKeyUsed(used.kyberPreKeyId, used.signedPreKeyId, used.baseKey);
        if (use === 'removed') usedOneTime = true;
      }
    }
    // Inside the transaction: bad padding throws and rolls the ratchet step back.
    return { plaintext: unpadPlaintext(decrypted.plaintext), usedOneTime };
  };
}
