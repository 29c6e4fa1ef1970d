/**
 * The receiving side of receipts and typing indicators, inside the
 * envelope's transaction (called from `Incoming.applyEnvelope`):
 * - a receipt (delivery or read) is never a chat message: for each target
 *   that is a message of ours in a conversation with the receipt's sender
 *   (`own-messages.ts`), the sender's device is recorded as having received /
 *   read it (`receipts` store role). Targets that are not ours, unknown, or
 *   not sent to that sender are ignored (not an error: nothing is
 *   quarantined). Every device of ours gets the receipt (it is sent to our
 *   account), so each keeps the same status; the `receipt` event follows the commit.
 * - a typing indicator is never stored: the `typing` event follows the commit.
 * - any other content that was stored as a received chat message (not a
 *   sync copy of ours) queues a delivery receipt to its author.
 * Receipts and typing indicators from our own account are ignored, and
 * neither is answered with a receipt (no loops).
 */
import type { ClientEvents } from '../client-types.ts';
import type { MessageContent, MessageRef } from '../content.ts';
import type { OpenedEnvelope } from '../incoming.ts';
import { memberOf } from '../groups/group-change.ts';
import { currentChange } from '../groups/membership.ts';
import { groupPeer } from '../groups/types.ts';
import { toHex } from '@sealpost/protocol/primitives';
import type { DeviceAddress, RegisteredAccount, StoreTransaction } from '../store/types.ts';
import type { DeliveryReceipts } from './delivery-receipts.ts';
import { findOwnMessages } from './own-messages.ts';
import type { ReceiptType } from './receipt-codec.ts';
import type { TypingTracker } from './typing.ts';

/** A receipt received for messages of ours (the `receipt` event). */
export interface ReceiptEvent {
  type: ReceiptType;
  /** The recipient device that sent it. */
  from: DeviceAddress;
  /** The messages of ours it names that were sent to `from` (others are ignored). */
  targets: MessageRef[];
  /** The receipt's own timestamp (when `from` sent it), ms: the delivered / read time recorded. */
  at: number;
}

/** True for content that is not a chat message (a receipt or a typing indicator): it never enters the history. */
export function isReceiptOrTyping(content: MessageContent): boolean {
  return content.receipt !== undefined || content.typing !== undefined;
}

/** What `Incoming` asks of the receipts part. */
export interface IncomingReceipts {
  /** Inside the envelope's transaction, once it is decided whether `content` was stored (`id`); returns work for after the commit. */
  apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, stored: { peer: string; id: number | undefined }, now: number): Promise<(() => void) | undefined>;
}

/** What the receipt receiver works with. */
export interface ReceiptInboundDeps {
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  delivery: DeliveryReceipts;
  typing: TypingTracker;
}

export class ReceiptInbound implements IncomingReceipts {
  constructor(private readonly d: ReceiptInboundDeps) {}

  async apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, stored: { peer: string; id: number | undefined }, now: number): Promise<(() => void) | undefined> {
    if (content.receipt !== undefined) return opened.fromSelf ? undefined : this.#receipt(tx, opened.sender, content);
    if (content.typing !== undefined) return opened.fromSelf ? undefined : this.#typing(tx, opened.sender, content, now);
    if (stored.id === undefined || opened.fromSelf) return undefined;
    const queued = await this.d.delivery.queue(tx, opened.sender.account, content.timestamp, content.messageId, now);
    return queued ? () => this.d.delivery.schedule() : undefined;
  }

  async #receipt(tx: StoreTransaction, from: DeviceAddress, content: MessageContent): Promise<(() => void) | undefined> {
    const receipt = content.receipt!;
    const own = this.d.own().account;
    const ours = receipt.targets.filter((t) => t.author === own);
    const found = await findOwnMessages(tx, own, from.account, new Set(ours.map((t) => t.timestamp)));
    const targets = ours.filter((t) => found.has(t.timestamp));
    if (targets.length === 0) return undefined;
    const at = content.timestamp;
    for (const t of targets) await tx.receipts.record({ author: own, timestamp: t.timestamp }, from, receipt.type, at);
    const event: ReceiptEvent = { type: receipt.type, from: { account: from.account, device: from.device }, targets, at };
    return () => this.d.emit('receipt', event);
  }

  async #typing(tx: StoreTransaction, from: DeviceAddress, content: MessageContent, now: number): Promise<(() => void) | undefined> {
    const typing = content.typing!;
    let conversation = from.account;
    // The group: named in the indicator (how we send it), or the content's group context (a sender-key send).
    const groupIdBytes = typing.groupId ?? content.group?.id;
    if (groupIdBytes !== undefined) {
      const groupId = toHex(groupIdBytes);
      const group = await tx.groups.get(groupId);
      // Only a member may say it types in a group we are in; anything else is ignored.
      if (group === undefined) return undefined;
      const state = currentChange(group).state;
      if (memberOf(state, from.account) === undefined || memberOf(state, this.d.own().account) === undefined) return undefined;
      conversation = groupPeer(groupId);
    }
    return () => {
      const event = this.d.typing.apply(conversation, from, typing.action, typing.timestamp, now);
      if (event !== undefined) this.d.emit('typing', event);
    };
  }
}
