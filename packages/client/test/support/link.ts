/** Links `fresh` to `primary`'s account the way an app does: URI from the new device, approval on the primary. */
import type { SealpostClient } from '../../src/client.ts';
import type { DeviceAddress } from '../../src/store/types.ts';

/** New device shows its link URI, the primary approves it, the new device completes. */
export async function linkDevice(primary: SealpostClient, fresh: SealpostClient): Promise<DeviceAddress> {
  const linking = await fresh.beginLink();
  await primary.approveLink(linking.uri);
  return linking.complete();
}
