/**
 * Checking a sender's envelope set against the account's real device list,
 * as Signal-Server's MessageController does: every device gets exactly one
 * envelope (else 409 with missing/extra lists), and each envelope names the
 * registration id the device currently has (else 410 with the stale list).
 */

/** A device as the key server lists it. */
export interface DeviceEntry {
  deviceId: number;
  registrationId: number;
}

/** The outcome of comparing what a sender addressed with what exists. */
export interface DeviceCheck {
  missingDevices: number[];
  extraDevices: number[];
  staleDevices: number[];
}

/** Compares addressed devices with the account's devices. Pure. */
export function checkDevices(addressed: DeviceEntry[], actual: DeviceEntry[]): DeviceCheck {
  const actualById = new Map(actual.map((d) => [d.deviceId, d.registrationId]));
  const addressedIds = new Set(addressed.map((d) => d.deviceId));
  const missingDevices = actual.filter((d) => !addressedIds.has(d.deviceId)).map((d) => d.deviceId).sort((a, b) => a - b);
  const extraDevices = [...addressedIds].filter((id) => !actualById.has(id)).sort((a, b) => a - b);
  const staleDevices = addressed
    .filter((d) => actualById.has(d.deviceId) && actualById.get(d.deviceId) !== d.registrationId)
    .map((d) => d.deviceId)
    .sort((a, b) => a - b);
  return { missingDevices, extraDevices, staleDevices };
}

/** True when the sender addressed exactly the right devices with current registration ids. */
export function devicesMatch(c: DeviceCheck): boolean {
  return c.missingDevices.length === 0 && c.extraDevices.length === 0 && c.staleDevices.length === 0;
}
