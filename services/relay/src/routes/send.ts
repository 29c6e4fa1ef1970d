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
import type { FastifyInstance } from 'fastify';
import { parseV2SentMessage, v2RecipientHeader, v2SharedPayload, type V2SentMessage } from '@sealpost/protocol/sealed-sender';
import { withErrors } from '@sealpost/service-kit';
import { parseAccessKey } from '../access-key.ts';
import { relayError } from '../errors.ts';
import { accountIdSchema, base64Schema, decodeBase64 } from '../schemas.ts';
import { chargeSend, checkAccess, checkAgainstDirectory, checkDiskSpace, checkSealed, enqueueAndNotify, ownAccountSender } from '../sending.ts';
import { deliveredSize, type NewEnvelope, type SharedPayload } from '../store/index.ts';

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
        response: withErrors({ 200: sendResponse }),
      },
    },
    async (request) => {
      const { accountId } = request.params;
      checkDiskSpace(ctx);
      await checkAccess(ctx, accountId, parseAccessKey(request.headers['unidentified-access-key']));
      const seen = new Set<number>();
      const envelopes: NewEnvelope[] = request.body.messages.map((m, i) => {
        if (seen.has(m.deviceId)) throw relayError(400, 'DUPLICATE_DEVICE', `device ${m.deviceId} is addressed twice`);
        seen.add(m.deviceId);
        return { accountId, deviceId: m.deviceId, content: checkSealed(decodeBase64(m.content), limits, `messages[${i}]`) };
      });
      const check = await checkAgainstDirectory(ctx, accountId, request.body.messages, await ownAccountSender(ctx, request, accountId));
      if (check === undefined) throw relayError(404, 'UNKNOWN_ACCOUNT', 'no such account');
      if (check.missingDevices.length > 0 || check.extraDevices.length > 0) {
        throw relayError(409, 'MISMATCHED_DEVICES', 'the envelope set does not match the account devices', {
          details: { missingDevices: check.missingDevices, extraDevices: check.extraDevices },
        });
      }
      if (check.staleDevices.length > 0) {
        throw relayError(410, 'STALE_DEVICES', 'some devices changed registration id', { details: { staleDevices: check.staleDevices } });
      }
      await chargeSend(ctx, request, [{ accountId, bytes: envelopes.reduce((n, e) => n + e.content.length, 0) }]);
      return { accepted: await enqueueAndNotify(ctx, envelopes) };
    },
  );

  app.put<{ Body: MultiBody }>(
    '/v1/messages/multi_recipient',
    {
      bodyLimit: Math.ceil(((limits.maxEnvelopeBytes + limits.maxRecipientsPerSend * 200) * 4) / 3) + limits.maxRecipientsPerSend * 80 + 4096,
      schema: {
        summary: 'Send one sealed sender v2 SentMessage to many accounts',
        description:
          'The relay parses the SentMessage (libsignal format, version 0x22/0x23), checks each recipient access key and device list, and queues the per-recipient ReceivedMessage for each device (stored as the part all recipients share, once, plus a per-device view). Recipients are accounts named by their ACI.',
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
        response: withErrors({ 200: sendResponse }),
      },
    },
    async (request) => {
      checkDiskSpace(ctx);
      const bytes = decodeBase64(request.body.sentMessage);
      if (bytes === undefined) throw relayError(400, 'MALFORMED_ENVELOPE', 'sentMessage is not valid base64');
      let parsed: V2SentMessage;
      try {
        parsed = parseV2SentMessage(bytes);
      } catch (e) {
        throw relayError(400, 'MALFORMED_ENVELOPE', `sentMessage: ${(e as Error).message}`);
      }
      if (parsed.recipients.length === 0) throw relayError(400, 'MALFORMED_ENVELOPE', 'sentMessage has no recipients');
      if (parsed.recipients.length > limits.maxRecipientsPerSend) {
        throw relayError(413, 'TOO_MANY_RECIPIENTS', `at most ${limits.maxRecipientsPerSend} recipients per send`);
      }
      const keys = new Map(Object.entries(request.body.accessKeys).map(([id, k]) => [id.toLowerCase(), k]));
      // Side by side: on PostgreSQL each lookup is a round trip, which the pool overlaps.
      await Promise.all(
        parsed.recipients.map((r) => {
          const k = keys.get(r.serviceId.toLowerCase());
          return checkAccess(ctx, r.serviceId, k === undefined ? undefined : parseAccessKey(k));
        }),
      );
      const mismatched: Array<{ serviceId: string; missingDevices: number[]; extraDevices: number[] }> = [];
      const stale: Array<{ serviceId: string; staleDevices: number[] }> = [];
      const envelopes: NewEnvelope[] = [];
      // Stored once: every device's envelope is its recipient's header (a view) ‖ this (issue 13).
      const shared: SharedPayload = { bytes: v2SharedPayload(bytes, parsed) };
      for (const r of parsed.recipients) {
        const ids = r.devices.map((d) => d.deviceId);
        if (new Set(ids).size !== ids.length) throw relayError(400, 'DUPLICATE_DEVICE', `${r.serviceId}: a device is addressed twice`);
        const check = await checkAgainstDirectory(ctx, r.serviceId, r.devices);
        if (check === undefined) throw relayError(404, 'UNKNOWN_ACCOUNT', `no such account: ${r.serviceId}`);
        if (check.missingDevices.length > 0 || check.extraDevices.length > 0) {
          mismatched.push({ serviceId: r.serviceId, missingDevices: check.missingDevices, extraDevices: check.extraDevices });
        } else if (check.staleDevices.length > 0) {
          stale.push({ serviceId: r.serviceId, staleDevices: check.staleDevices });
        }
        const header = checkSealed(v2RecipientHeader(bytes, r), limits, r.serviceId, shared.bytes.length);
        for (const d of r.devices) envelopes.push({ accountId: r.serviceId, deviceId: d.deviceId, content: header, shared });
      }
      if (mismatched.length > 0) {
        throw relayError(409, 'MISMATCHED_DEVICES', 'some recipients have a different device set', { details: { recipients: mismatched } });
      }
      if (stale.length > 0) throw relayError(410, 'STALE_DEVICES', 'some devices changed registration id', { details: { recipients: stale } });
      const costs = new Map<string, number>();
      for (const e of envelopes) costs.set(e.accountId, (costs.get(e.accountId) ?? 0) + deliveredSize(e));
      await chargeSend(ctx, request, [...costs].map(([accountId, n]) => ({ accountId, bytes: n })));
      return { accepted: await enqueueAndNotify(ctx, envelopes) };
    },
  );
}
