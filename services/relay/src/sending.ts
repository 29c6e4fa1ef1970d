/**
 * What a send must pass before anything is queued, and the queueing itself:
 * the access-key check, the device-set check against the key server's list,
 * the optional own-account credential of a sync copy, the sealed-envelope
 * shape and size, and the atomic enqueue followed by the push hand-off.
 * The route plugin (routes/send.ts) only parses requests and calls these.
 */
import type { FastifyRequest } from 'fastify';
import { authenticateCurrent, bearerToken } from './auth.ts';
import { accessKeyMatches } from './access-key.ts';
import type { RelayContext } from './context.ts';
import { checkDevices, devicesMatch, type DeviceCheck, type DeviceEntry } from './device-check.ts';
import { isDeletedAccount } from './device-directory.ts';
import { relayError } from './errors.ts';
import { sourceOf } from './limits/source-address.ts';
import { QueueFullError, StorageFullError, type NewEnvelope, type QueuedEnvelope } from './store/index.ts';

/** First bytes a sealed envelope may start with: v1 (0x11) or a v2 ReceivedMessage (0x22). */
const SEALED_VERSIONS = new Set([0x11, 0x22]);

/** 410 ACCOUNT_DELETED for a deleted account (an empty directory answer); the list otherwise. */
function refuseDeleted(accountId: string, devices: DeviceEntry[] | undefined): DeviceEntry[] | undefined {
  if (isDeletedAccount(devices)) throw relayError(410, 'ACCOUNT_DELETED', 'the recipient account was deleted', { details: { account: accountId } });
  return devices;
}

/**
 * Refuses (401) a send without the recipient's registered unidentified-access
 * key — or (410 ACCOUNT_DELETED) to a deleted account, whose access key went
 * with it: when no key is registered, the (cached) device list is asked
 * whether the account was deleted. Deletion is public (the key server's
 * device list says it too), so telling a sender without the key reveals
 * nothing more.
 */
export async function checkAccess(ctx: RelayContext, accountId: string, presented: Uint8Array | undefined): Promise<void> {
  const stored = await ctx.accessKeys.accessKeyHash(accountId);
  if (presented !== undefined && accessKeyMatches(presented, stored)) return;
  if (stored === undefined) await refuseIfDeleted(ctx, accountId);
  if (presented === undefined) {
    throw relayError(401, 'UNAUTHORIZED_ACCESS', 'missing or malformed Unidentified-Access-Key (base64 of 16 bytes)');
  }
  throw relayError(401, 'UNAUTHORIZED_ACCESS', 'unidentified-access key not accepted for this recipient');
}

/** 410 ACCOUNT_DELETED when the directory says the account was deleted; a directory failure decides nothing. */
async function refuseIfDeleted(ctx: RelayContext, accountId: string): Promise<void> {
  let devices: DeviceEntry[] | undefined;
  try {
    devices = await ctx.devices.devices(accountId);
  } catch {
    return;
  }
  refuseDeleted(accountId, devices);
}

/** The account's device list; 503 KEYSERVER_UNAVAILABLE (Retry-After) when the key server fails or is slow. */
async function deviceList(ctx: RelayContext, accountId: string, fresh: boolean): Promise<DeviceEntry[] | undefined> {
  try {
    return await ctx.devices.devices(accountId, fresh ? { fresh: true } : undefined);
  } catch (e) {
    throw relayError(503, 'KEYSERVER_UNAVAILABLE', 'the key server did not answer in time; try again later', {
      headers: { 'retry-after': String(ctx.limits.retryAfterSeconds) },
      cause: e,
    });
  }
}

/** Refuses (507 + Retry-After) new envelopes while the database's disk is below its free-space watermark. */
export function checkDiskSpace(ctx: RelayContext): void {
  if (ctx.disk?.low === true) {
    throw relayError(507, 'INSUFFICIENT_STORAGE', 'the relay is low on disk space; try again later', {
      headers: { 'retry-after': String(ctx.limits.retryAfterSeconds * 12) },
    });
  }
}

/**
 * Charges a send to its source (the client address) and to each
 * (recipient, source) pair; 429 RATE_LIMITED with Retry-After when a budget
 * is spent. `recipients`: account and stored bytes (all its devices).
 */
export async function chargeSend(ctx: RelayContext, request: FastifyRequest, recipients: Array<{ accountId: string; bytes: number }>): Promise<void> {
  const refused = await ctx.sendLimiter.charge(sourceOf(request.ip), recipients, ctx.now());
  if (refused === undefined) return;
  throw relayError(
    429,
    'RATE_LIMITED',
    refused.scope === 'source' ? 'too many sends from this address' : 'too many sends from this address to this recipient',
    { headers: { 'retry-after': String(refused.retryAfterSeconds) } },
  );
}

/**
 * Compares the addressed devices with the cached list, and on disagreement
 * (or an unknown account) once more with a fresh one; undefined for an
 * unknown account.
 */
export async function checkAgainstDirectory(
  ctx: RelayContext,
  accountId: string,
  addressed: DeviceEntry[],
  senderDevice?: number,
): Promise<DeviceCheck | undefined> {
  // A device copying a message to its own account's other devices is not sent a copy itself.
  const others = (list: DeviceEntry[] | undefined) => (senderDevice === undefined ? list : list?.filter((d) => d.deviceId !== senderDevice));
  const listed = async (fresh: boolean) => others(refuseDeleted(accountId, await deviceList(ctx, accountId, fresh)));
  let actual = await listed(false);
  // An unknown account may just be newer than the cache: ask once more before saying so.
  if (actual === undefined) actual = await listed(true);
  if (actual === undefined) return undefined;
  let result = checkDevices(addressed, actual);
  if (!devicesMatch(result)) {
    actual = await listed(true);
    if (actual === undefined) return undefined;
    result = checkDevices(addressed, actual);
  }
  return result;
}

/**
 * The sending device, when a send to account A also carries a valid relay
 * credential of a device of A (a sync copy to the sender's own other devices,
 * as Signal's clients send them). The relay then learns only what that
 * credential says: that A's device wrote to A.
 */
export async function ownAccountSender(ctx: RelayContext, request: FastifyRequest, accountId: string): Promise<number | undefined> {
  if (bearerToken(request) === undefined) return undefined;
  const device = await authenticateCurrent(request, ctx);
  if (device.accountId !== accountId) throw relayError(403, 'FORBIDDEN', 'a relay credential on a send must belong to the recipient account');
  return device.deviceId;
}

/**
 * The decoded content of one envelope, or a 400/413 when it is not a sealed
 * envelope within the limit. `sharedBytes`: the length of a shared payload
 * the content is delivered with (it counts towards the limit).
 */
export function checkSealed(content: Uint8Array | undefined, limits: RelayContext['limits'], what: string, sharedBytes = 0): Uint8Array {
  if (content === undefined || content.length === 0) throw relayError(400, 'MALFORMED_ENVELOPE', `${what}: content is not valid base64`);
  const size = content.length + sharedBytes;
  if (size > limits.maxEnvelopeBytes) {
    throw relayError(413, 'ENVELOPE_TOO_LARGE', `${what}: ${size} bytes exceeds the ${limits.maxEnvelopeBytes}-byte limit`);
  }
  if (!SEALED_VERSIONS.has(content[0]!)) {
    throw relayError(400, 'MALFORMED_ENVELOPE', `${what}: not a sealed sender envelope (version byte 0x${content[0]!.toString(16)})`);
  }
  return content;
}

/**
 * Queues a whole send atomically (429 QUEUE_FULL when a device queue is
 * full), then hands each connected device its committed rows. Resolves to
 * how many envelopes were queued.
 */
export async function enqueueAndNotify(ctx: RelayContext, envelopes: NewEnvelope[]): Promise<number> {
  let rows: QueuedEnvelope[];
  try {
    const now = ctx.now();
    rows = await ctx.store.enqueue(envelopes, now, ctx.limits.messageTtlMs, ctx.limits.maxQueueDepth, ctx.limits.maxQueueBytes);
  } catch (e) {
    if (e instanceof QueueFullError) {
      const limit = e.limit === 'bytes' ? `${ctx.limits.maxQueueBytes} bytes` : `${ctx.limits.maxQueueDepth} envelopes`;
      throw relayError(429, 'QUEUE_FULL', `a recipient device queue is full (${limit})`, { headers: { 'retry-after': '60' } });
    }
    if (e instanceof StorageFullError) {
      throw relayError(507, 'INSUFFICIENT_STORAGE', 'the relay is out of disk space; try again later', {
        headers: { 'retry-after': String(ctx.limits.retryAfterSeconds * 12) },
      });
    }
    throw e;
  }
  // Committed: hand each device its rows (this runs in commit order, which the push relies on).
  const byDevice = new Map<string, QueuedEnvelope[]>();
  for (const r of rows) {
    const k = `${r.accountId}\u0000${r.deviceId}`;
    const list = byDevice.get(k);
    if (list === undefined) byDevice.set(k, [r]);
    else list.push(r);
  }
  for (const list of byDevice.values()) ctx.hub.notify(list[0]!.accountId, list[0]!.deviceId, list);
  return rows.length;
}
