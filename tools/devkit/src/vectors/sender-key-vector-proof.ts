/** libsignal-client 0.90.0's confirmation of a sender-key vector (Node only; see sender-key-vector.ts). */
import {
  PrivateKey,
  ProtocolAddress,
  SenderKeyDistributionMessage,
  SenderKeyRecord as LsSenderKeyRecord,
  groupDecrypt as lsGroupDecrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { fromHex, toHex } from '@sealpost/protocol/primitives';
import { ab } from '../libsignal/fixed-keys.ts';
import { InMemorySenderKeyStore } from '../libsignal/sender-key-store.ts';
import type { SenderKeyVector } from './sender-key-vector.ts';

/** libsignal-client 0.90 confirms a vector; throws saying what differs. */
export async function proveSenderKeyVectorWithLibsignal(v: SenderKeyVector): Promise<void> {
  const { inputs, outputs } = v;
  const pk = PrivateKey.deserialize(ab(fromHex(inputs.signingPrivateKey))).getPublicKey();
  if (toHex(pk.serialize()) !== outputs.signingPublicKey) throw new Error(`${v.name}: signing public key differs`);
  const skdm = SenderKeyDistributionMessage._new(3, inputs.distributionId, inputs.chainId, 0, ab(fromHex(inputs.chainKey)), pk);
  if (toHex(skdm.serialize()) !== outputs.distributionMessage) throw new Error(`${v.name}: SKDM differs from SenderKeyDistributionMessage._new`);
  const store = new InMemorySenderKeyStore();
  const sender = ProtocolAddress.new('2b6a3b44-97f0-4c1f-a6d5-0d1d4c2a1e01', 1);
  await processSenderKeyDistributionMessage(sender, skdm, store);
  for (const i of inputs.deliveryOrder) {
    const plain = await lsGroupDecrypt(sender, store, ab(fromHex(outputs.messages[i]!.senderKeyMessage)));
    if (toHex(plain) !== inputs.messages[i]!.plaintext) throw new Error(`${v.name}: libsignal decrypted message ${i} differently`);
  }
  if (toHex(store.recordBytes(sender, inputs.distributionId)!) !== outputs.memberRecord) throw new Error(`${v.name}: libsignal's member record differs`);
  if (toHex(LsSenderKeyRecord.deserialize(ab(fromHex(outputs.senderRecord))).serialize()) !== outputs.senderRecord) {
    throw new Error(`${v.name}: libsignal does not round-trip the sender record`);
  }
}
