/**
 * Sending sealed envelopes. The sender proves access with the recipient's
 * unidentified-access key and never identifies itself; the relay checks the
 * envelope set against the account's devices and queues one envelope per
 * device.
 *
 * - `PUT /v1/messages/:accountId` — one envelope per device (sealed sender
 *   v1, or a v2 ReceivedMessage), header `Unidentified-Access-Key`.
 * - `PUT /v1/messages/multi_recipient` — a sealed sender v2 SentMessage
 *   the relay splits per recipient, with one access key per recipient.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, bearerToken } from '../auth.ts';
import { parseV2SentMessage, splitV2ForRecipient, type V2SentMessage } from '@sealpost/protocol/sealed-sender/v2-sent-message.ts';
import { accessKeyMatches, parseAccessKeyHeader } from '../access-key.ts';
import { checkDevices, devicesMatch, type DeviceCheck, type DeviceEntry } from '../device-check.ts';
import { RelayError, errorSchema } from '../errors.ts';
import { accountIdSchema, base64Schema, commonErrorResponses, decodeBase64 } from '../schemas.ts';
import { QueueFullError, type NewEnvelope, type QueuedEnvelope } from '../store.ts';
import type { RelayContext } from '../context.ts';

/** First bytes a sealed envelope may start with: v1 (0x11) or a v2 ReceivedMessage (0x22). */
const SEALED_VERSIONS = new Set([0x11, 0x22]);

interface SendBody {
  messages: Array<{ deviceId: number; registrationId: number; content: string }>;
  timestamp?: number;
  urgent?: boolean;
}

interface MultiBody {
  sentMessage: string;
  accessKeys: Record<string, string>;
}

const sendResponse = {
  type: 'object',
  required: ['accepted'],
  properties: { accepted: { type: 'integer' } },
} as const;

function checkAccess(ctx: RelayContext, accountId: string, presented: Uint8Array | undefined): void {
  if (presented === undefined) {
    throw new RelayError(401, 'UNAUTHORIZED_ACCESS', 'missing or malformed Unidentified-Access-Key (base64 of 16 bytes)');
  }
  if (!accessKeyMatches(presented, ctx.store.accessKeyHash(accountId))) {
    throw new RelayError(401, 'UNAUTHORIZED_ACCESS', 'unidentified-access key not accepted for this recipient');
  }
}

/** Compares with the cached list, and on disagreement (or an unknown account) once more with a fresh one. */
async function checkAgainstDirectory(
  ctx: RelayContext,
  accountId: string,
  addressed: DeviceEntry[],
  senderDevice?: number,
): Promise<DeviceCheck | undefined> {
  // A device copying a message to its own account's other devices is not sent a copy itself.
  const others = (list: DeviceEntry[] | undefined) => (senderDevice === undefined ? list : list?.filter((d) => d.deviceId !== senderDevice));
  let actual = others(await ctx.devices.devices(accountId));
  // An unknown account may just be newer than the cache: ask once more before saying so.
  if (actual === undefined) actual = others(await ctx.devices.devices(accountId, { fresh: true }));
  if (actual === undefined) return undefined;
  let result = checkDevices(addressed, actual);
  if (!devicesMatch(result)) {
    actual = others(await ctx.devices.devices(accountId, { fresh: true }));
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
function ownAccountSender(ctx: RelayContext, request: FastifyRequest, accountId: string): number | undefined {
  if (bearerToken(request) === undefined) return undefined;
  const device = authenticate(request, ctx.verifyCredential, ctx.now());
  if (device.accountId !== accountId) throw new RelayError(403, 'FORBIDDEN', 'a relay credential on a send must belong to the recipient account');
  return device.deviceId;
}

function checkSealed(content: Uint8Array | undefined, limits: RelayContext['limits'], what: string): Uint8Array {
  if (content === undefined || content.length === 0) throw new RelayError(400, 'MALFORMED_ENVELOPE', `${what}: content is not valid base64`);
  if (content.length > limits.maxEnvelopeBytes) {
    throw new RelayError(413, 'ENVELOPE_TOO_LARGE', `${what}: ${content.length} bytes exceeds the ${limits.maxEnvelopeBytes}-byte limit`);
  }
  if (!SEALED_VERSIONS.has(content[0]!)) {
    throw new RelayError(400, 'MALFORMED_ENVELOPE', `${what}: not a sealed sender envelope (version byte 0x${content[0]!.toString(16)})`);
  }
  return content;
}

async function enqueue(ctx: RelayContext, envelopes: NewEnvelope[]): Promise<number> {
  let rows: QueuedEnvelope[];
  try {
    const now = ctx.now();
    rows = await ctx.writes.run(() => ctx.store.enqueue(envelopes, now, ctx.limits.messageTtlMs, ctx.limits.maxQueueDepth));
  } catch (e) {
    if (e instanceof QueueFullError) {
      throw new RelayError(429, 'QUEUE_FULL', `a recipient device queue is full (${ctx.limits.maxQueueDepth} envelopes)`, {}, { 'retry-after': '60' });
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

/** Registers the send routes. */
export async function sendRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;
  const { limits } = ctx;

  app.put<{ Params: { accountId: string }; Body: SendBody }>(
    '/v1/messages/:accountId',
    {
      bodyLimit: Math.ceil((limits.maxEnvelopeBytes * 4) / 3 + 128) * limits.maxDevicesPerSend + 4096,
      schema: {
        summary: 'Send sealed envelopes to every device of one account',
        description:
          'No sender authentication. Header `Unidentified-Access-Key` (base64, 16 bytes) must match the key the recipient registered. One envelope per current device, each naming the device registration id.',
        tags: ['send'],
        params: { type: 'object', required: ['accountId'], properties: { accountId: accountIdSchema } },
        headers: { type: 'object', properties: { 'unidentified-access-key': { type: 'string' } } },
        body: {
          type: 'object',
          required: ['messages'],
          additionalProperties: false,
          properties: {
            messages: {
              type: 'array',
              minItems: 1,
              maxItems: limits.maxDevicesPerSend,
              items: {
                type: 'object',
                required: ['deviceId', 'registrationId', 'content'],
                additionalProperties: false,
                properties: {
                  deviceId: { type: 'integer', minimum: 1, maximum: 127 },
                  registrationId: { type: 'integer', minimum: 0, maximum: 0x3fff },
                  content: base64Schema,
                },
              },
            },
            timestamp: { type: 'integer', minimum: 0 },
            urgent: { type: 'boolean' },
          },
        },
        response: { 200: sendResponse, ...commonErrorResponses, 409: errorSchema, 410: errorSchema },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      checkAccess(ctx, accountId, parseAccessKeyHeader(request.headers['unidentified-access-key']));
      const seen = new Set<number>();
      const envelopes: NewEnvelope[] = request.body.messages.map((m, i) => {
        if (seen.has(m.deviceId)) throw new RelayError(400, 'DUPLICATE_DEVICE', `device ${m.deviceId} is addressed twice`);
        seen.add(m.deviceId);
        return { accountId, deviceId: m.deviceId, content: checkSealed(decodeBase64(m.content), limits, `messages[${i}]`) };
      });
      const check = await checkAgainstDirectory(ctx, accountId, request.body.messages, ownAccountSender(ctx, request, accountId));
      if (check === undefined) throw new RelayError(404, 'UNKNOWN_ACCOUNT', 'no such account');
      if (check.missingDevices.length > 0 || check.extraDevices.length > 0) {
        throw new RelayError(409, 'MISMATCHED_DEVICES', 'the envelope set does not match the account devices', {
          missingDevices: check.missingDevices,
          extraDevices: check.extraDevices,
        });
      }
      if (check.staleDevices.length > 0) {
        throw new RelayError(410, 'STALE_DEVICES', 'some devices changed registration id', { staleDevices: check.staleDevices });
      }
      return { accepted: await enqueue(ctx, envelopes) };
    },
  );

  app.put<{ Body: MultiBody }>(
    '/v1/messages/multi_recipient',
    {
      bodyLimit: Math.ceil(((limits.maxEnvelopeBytes + limits.maxRecipientsPerSend * 200) * 4) / 3) + limits.maxRecipientsPerSend * 80 + 4096,
      schema: {
        summary: 'Send one sealed sender v2 SentMessage to many accounts',
        description:
          'The relay parses the SentMessage (libsignal format, version 0x22/0x23), checks each recipient access key and device list, and queues the per-recipient ReceivedMessage for each device. Recipients are accounts named by their ACI.',
        tags: ['send'],
        body: {
          type: 'object',
          required: ['sentMessage', 'accessKeys'],
          additionalProperties: false,
          properties: {
            sentMessage: base64Schema,
            accessKeys: { type: 'object', additionalProperties: base64Schema, maxProperties: limits.maxRecipientsPerSend },
          },
        },
        response: { 200: sendResponse, ...commonErrorResponses, 409: errorSchema, 410: errorSchema },
      },
    },
    async (request) => {
      const bytes = decodeBase64(request.body.sentMessage);
      if (bytes === undefined) throw new RelayError(400, 'MALFORMED_ENVELOPE', 'sentMessage is not valid base64');
      let parsed: V2SentMessage;
      try {
        parsed = parseV2SentMessage(bytes);
      } catch (e) {
        throw new RelayError(400, 'MALFORMED_ENVELOPE', `sentMessage: ${(e as Error).message}`);
      }
      if (parsed.recipients.length === 0) throw new RelayError(400, 'MALFORMED_ENVELOPE', 'sentMessage has no recipients');
      if (parsed.recipients.length > limits.maxRecipientsPerSend) {
        throw new RelayError(413, 'TOO_MANY_RECIPIENTS', `at most ${limits.maxRecipientsPerSend} recipients per send`);
      }
      const keys = new Map(Object.entries(request.body.accessKeys).map(([id, k]) => [id.toLowerCase(), k]));
      for (const r of parsed.recipients) {
        const k = keys.get(r.serviceId.toLowerCase());
        checkAccess(ctx, r.serviceId, k === undefined ? undefined : parseAccessKeyHeader(k));
      }
      const mismatched: Array<{ serviceId: string; missingDevices: number[]; extraDevices: number[] }> = [];
      const stale: Array<{ serviceId: string; staleDevices: number[] }> = [];
      const envelopes: NewEnvelope[] = [];
      for (const r of parsed.recipients) {
        const ids = r.devices.map((d) => d.deviceId);
        if (new Set(ids).size !== ids.length) throw new RelayError(400, 'DUPLICATE_DEVICE', `${r.serviceId}: a device is addressed twice`);
        const check = await checkAgainstDirectory(ctx, r.serviceId, r.devices);
        if (check === undefined) throw new RelayError(404, 'UNKNOWN_ACCOUNT', `no such account: ${r.serviceId}`);
        if (check.missingDevices.length > 0 || check.extraDevices.length > 0) {
          mismatched.push({ serviceId: r.serviceId, missingDevices: check.missingDevices, extraDevices: check.extraDevices });
        } else if (check.staleDevices.length > 0) {
          stale.push({ serviceId: r.serviceId, staleDevices: check.staleDevices });
        }
        const received = checkSealed(splitV2ForRecipient(bytes, r.serviceId, parsed), limits, r.serviceId);
        for (const d of r.devices) envelopes.push({ accountId: r.serviceId, deviceId: d.deviceId, content: received });
      }
      if (mismatched.length > 0) {
        throw new RelayError(409, 'MISMATCHED_DEVICES', 'some recipients have a different device set', { recipients: mismatched });
      }
      if (stale.length > 0) throw new RelayError(410, 'STALE_DEVICES', 'some devices changed registration id', { recipients: stale });
      return { accepted: await enqueue(ctx, envelopes) };
    },
  );
}
