/**
 * How a `SealpostClient` is put together: every part the facade
 * (client.ts) delegates to, built once from the options and wired to each
 * other. `self` is the facade's own surface the parts call back into
 * (events, closed state, and the sends and marks that go through it).
 */
import { SealedSenderV2AgreementCache } from '@sealpost/protocol/sealed-sender';
import { Account } from './account.ts';
import type { ClientEvents, SealpostClientOptions } from './client-types.ts';
import { Contacts } from './contacts.ts';
import { Credentials } from './credentials.ts';
import { Disappearing } from './disappearing/disappearing.ts';
import { GroupReceiver } from './groups/group-inbound.ts';
import { GroupSender } from './groups/group-send.ts';
import { Groups } from './groups/groups.ts';
import { senderKeyInboundHandler, SENDER_KEY_CONTENT_TYPE } from './groups/sender-key-inbound.ts';
import { senderKeyOps } from './groups/sender-key-ops.ts';
import { groupOfPeer } from './groups/types.ts';
import { HistoryTransfers } from './history-transfer/history-transfer.ts';
import { Incoming, type InboundHandler } from './incoming.ts';
import { KeyServerClient } from './keyserver-client.ts';
import { KeyTransparency } from './kt/key-transparency.ts';
import { checkKtOptions } from './kt/options.ts';
import { messagingParts } from './messaging-parts.ts';
import { Outgoing, localKeysOf, type OutgoingMessage } from './outgoing.ts';
import { openProvisioningMailbox } from './provisioning-mailbox.ts';
import { DEFAULT_QUARANTINE_LIMITS } from './quarantine.ts';
import type { MessagesRead } from './read-state.ts';
import { Reception } from './reception.ts';
import { Recovery } from './recovery.ts';
import { RelayClient } from './relay-client.ts';
import { SESSION_CONTENT_TYPES, sessionInboundHandler } from './session-inbound.ts';
import { sessionOps } from './session-ops.ts';
import { SessionLocks } from './session-transaction.ts';
import type { ConversationTimer } from './store/types.ts';
import type { SentMessage } from './client-types.ts';
import { checkTrustRoots } from './trust-root.ts';
import { Trust } from './trust.ts';

/** What the parts call back into on the facade. */
export interface ClientSelf {
  emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void;
  closed(): boolean;
  send(to: string, message: OutgoingMessage): Promise<SentMessage>;
  markRead(peer: string, upToId?: number): Promise<MessagesRead>;
  setDisappearingTimer(peer: string, seconds: number): Promise<ConversationTimer | undefined>;
}

/** Builds and wires every part of one client (see client.ts for what each is for). */
export function wireClient(options: SealpostClientOptions, self: ClientSelf) {
  // A wrong trust root would make every received envelope fail: refuse it here.
  const trustRoots = checkTrustRoots(options.trustRoot);
  const ktConfig = checkKtOptions(options.keyTransparency); // likewise a bad KT pin (KT_INVALID_CONFIG)
  const store = options.store;
  const now = options.now ?? Date.now;
  const ops = options.sessions ?? sessionOps;
  const locks = new SessionLocks();
  const emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => self.emit(event, value);
  const keyServer = new KeyServerClient(options.keyServerUrl);
  const credentials = new Credentials(keyServer, now, options.relayAudience ?? new URL(options.relayUrl).origin);
  const relay = new RelayClient(options.relayUrl, () => credentials.relayToken());
  const { automatic: _automatic, ...upkeep } = options.upkeep ?? {};
  const account: Account = new Account({
    store, keyServer, relay, now, upkeep,
    onDevicesChanged: () => outgoing.ownDevicesChanged(),
    openMailbox: () => openProvisioningMailbox(relay, options.WebSocket),
    historyTransfer: { offer: (enabled) => historyTransfer.offer(enabled), linked: (id) => historyTransfer.linked(id) },
  });
  const own = () => account.current();
  const kt = new KeyTransparency({ store, keyServer, config: ktConfig, now, own, emit: (e) => emit('kt', e), emitError: (error) => emit('error', { error }) });
  const contacts = new Contacts(store, now, own);
  const trust = new Trust(store, now, options.identityPolicy ?? 'warn', own);
  const maxSendAttempts = options.maxSendAttempts ?? 3;
  // One cache of DH(our identity, peer identity) for every sealed send (v1 and v2); memory only, bounded.
  const agreementCache = new SealedSenderV2AgreementCache();
  const disappearing = new Disappearing({
    store, now, emit, ownAccount: () => own().account,
    sendUpdate: (peer, expireTimer) => (groupOfPeer(peer) !== undefined ? groups.send(groupOfPeer(peer)!, { expireTimer }) : self.send(peer, { expireTimer })),
  });
  const outgoing: Outgoing = new Outgoing({ store, keyServer, relay, ops, locks, now, own, contacts, credentials, trust, maxSendAttempts, emit, agreementCache, disappearing, kt });
  const historyTransfer: HistoryTransfers = new HistoryTransfers({
    store, now, own, emit, options: options.historyTransfer,
    sendContent: (account, plaintext, ts) => outgoing.sendContent(account, plaintext, ts),
    sendToOwnDevice: (device, plaintext, ts) => outgoing.sendToOwnDevice(device, plaintext, ts),
  });
  const session = sessionInboundHandler(
    ops,
    () => localKeysOf(own()),
    () => ({ account: own().account, device: own().device }),
  );
  const handlers = new Map<number, InboundHandler>(SESSION_CONTENT_TYPES.map((t) => [t, session]));
  handlers.set(SENDER_KEY_CONTENT_TYPE, senderKeyInboundHandler(senderKeyOps));
  const groupDeps = { store, outgoing, contacts, own, now, emit, ops: senderKeyOps };
  const groupSender = new GroupSender({ ...groupDeps, relay, credentials, locks, agreementCache });
  const groupReceiver = new GroupReceiver({ ...groupDeps, retryQuarantined: (filter) => incoming.retryWhere(filter) });
  // Receipts, typing, edits, read state, conversations (messaging-parts.ts).
  const parts = messagingParts({ store, now, own, emit, options, outgoing, groupSender, disappearing, markRead: (peer, upToId) => self.markRead(peer, upToId) });
  const groups: Groups = new Groups({ ...groupDeps, sender: groupSender, locks, edits: () => parts.edits, setDisappearingTimer: (peer, seconds) => self.setDisappearingTimer(peer, seconds) });
  const recovery = new Recovery({ outgoing, own, emit, groupResend: (from, groupId, ts) => groupSender.resendAfterDecryptionError(from, groupId, ts) });
  const incoming: Incoming = new Incoming({
    store, locks, now, own, trust, contacts, handlers, trustRoots,
    onMessage: options.onMessage, upkeep: () => account.upkeep, closed: self.closed, emit,
    quarantineLimits: { ...DEFAULT_QUARANTINE_LIMITS, ...options.quarantine }, recovery, groups: groupReceiver, receipts: parts.inbound, disappearing,
    edits: parts.editReceiver, conversations: parts.readSync, historyTransfer, kt,
  });
  const reception = new Reception(relay, options, () => credentials.relayToken(), (e) => incoming.handle(e), emit, self.closed);
  return {
    trustRoots, store, keyServer, relay, credentials, now, account, kt, contacts, trust, disappearing, outgoing, historyTransfer, groups,
    receipts: parts.receipts, deliveryReceipts: parts.delivery, typing: parts.typing, edits: parts.edits, readState: parts.readState,
    conversations: parts.conversations, incoming, reception,
  };
}
