/**
 * Builds the client's messaging features that sit around the ratchet (issue
 * 18): receipts and typing, edits for everyone, the read state with its
 * listeners (disappearing countdowns, read receipts and read sync) and the
 * conversations API — what `SealpostClient`'s constructor wires into sending
 * and receiving.
 */
import type { ClientEvents, SealpostClientOptions } from './client-types.ts';
import { Conversations } from './conversations/conversations.ts';
import { readReceiptListener } from './conversations/read-receipts.ts';
import { applyReadSync, type ReadSyncInbound } from './conversations/read-sync-inbound.ts';
import type { Disappearing } from './disappearing/disappearing.ts';
import { EditReceiver } from './edits/edit-inbound.ts';
import { Edits } from './edits/edits.ts';
import { DEFAULT_EDIT_POLICY } from './edits/types.ts';
import type { GroupSender } from './groups/group-send.ts';
import type { OpenedEnvelope } from './incoming.ts';
import type { MessageContent } from './content.ts';
import type { Outgoing } from './outgoing.ts';
import { ReadState, type MessagesRead } from './read-state.ts';
import { receiptParts, type ReceiptParts } from './receipts/receipt-parts.ts';
import type { ClientStore, RegisteredAccount, StoreTransaction } from './store/types.ts';

/** What the features need of the client. */
export interface MessagingPartsDeps {
  store: ClientStore;
  now: () => number;
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  options: Pick<SealpostClientOptions, 'receipts' | 'edits' | 'readReceipts'>;
  outgoing: Outgoing;
  groupSender: GroupSender;
  disappearing: Disappearing;
  /** `SealpostClient.markRead`. */
  markRead: (peer: string, upToId?: number) => Promise<MessagesRead>;
}

/** The built features. */
export interface MessagingParts extends ReceiptParts {
  edits: Edits;
  editReceiver: EditReceiver;
  readState: ReadState;
  conversations: Conversations;
  /** `Incoming`'s hook for a read sync from our own other device. */
  readSync: { inbound(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<ReadSyncInbound | undefined> };
}

export function messagingParts(d: MessagingPartsDeps): MessagingParts {
  const { store, now, own, emit, outgoing } = d;
  const onError = (error: unknown) => emit('error', { error });
  const receipts = receiptParts({ store, now, own, emit, options: d.options.receipts, sendContent: (a, p, t, o) => outgoing.sendContent(a, p, t, o) });
  const policy = { ...DEFAULT_EDIT_POLICY, ...d.options.edits };
  const edits = new Edits({ store, outgoing, groupSender: d.groupSender, own, now, emit, policy });
  const readState = new ReadState({ store, now, onError });
  readState.listen(d.disappearing.readListener);
  // Read receipts and read sync on every local marking.
  const readReceipts = d.options.readReceipts ?? true;
  readState.listen(readReceiptListener({ ownAccount: () => own().account, now, sendContent: (a, p, t) => outgoing.sendContent(a, p, t), defaultEnabled: readReceipts, onError }));
  const conversations = new Conversations({ store, markRead: d.markRead, readReceiptsDefault: readReceipts });
  const readSync = { inbound: (tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, at: number) => applyReadSync({ readState, emitRead: (e) => emit('messagesRead', e) }, tx, opened, content, at) };
  return { ...receipts, edits, editReceiver: new EditReceiver({ own, emit, policy }), readState, conversations, readSync };
}
