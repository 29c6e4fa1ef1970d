/**
 * Receiving one envelope, in three steps:
 *
 * 1. `openEnvelope`: open the sealed layer (`unsealToContent`: decrypt, bind
 *    the sender certificate to the sealing key), read the identity that
 *    sender must have (`Trust.expectedIdentity`: ours for our own account,
 *    the trusted one under `block`), then `validateUnsealed` checks the
 *    certificate chain (through this client's server-certificate cache),
 *    expiry, not-this-device and that identity.
 * 2. `applyEnvelope`: under the sender's lock, ONE transaction applies the
 *    identity policy, runs the inbound handler for the inner message type
 *    (the ratchet step for Signal/PreKey messages), consumes the prekeys it
 *    used, records the profile key if it changed, stores the message and
 *    marks the envelope processed.
 * 3. `deliver`: hands the message (content decoded once) to the app.
 *
 * Inner message types are dispatched through a table keyed by the sealed
 * content type, so group (SenderKey) and other handlers plug in beside the
 * session handler. Unknown types are dropped as invalid.
 */
import { SealpostError, UntrustedIdentityError, extractDecryptionErrorMessage, plaintextContentBody, type DecryptionErrorMessage } from '@sealpost/protocol';
import { equalBytes } from '@sealpost/protocol/primitives';
import { SealedContentType, SenderIdentityMismatchError, ServerCertificateCache, unsealToContent, validateUnsealed, type UnsealedContent } from '@sealpost/protocol/sealed-sender';
import type { ClientEvents, ReceivedMessage, SealpostClientOptions } from './client-types.ts';
import type { Contacts } from './contacts.ts';
import { decodeContent, type MessageContent } from './content.ts';
import { ClientError, IdentityChangedError } from './errors.ts';
import type { QueuedEnvelope } from './relay-client.ts';
import { isDuplicateMessage } from './session-ops.ts';
import type { SessionLocks } from './session-transaction.ts';
import type { ClientStore, DeviceAddress, QuarantinedEnvelope, RegisteredAccount, StoreTransaction, StoredMessage } from './store/types.ts';
import type { Trust } from './trust.ts';
import type { PreKeyUpkeep } from './upkeep.ts';
import { failureOf, quarantineEnvelope, type QuarantineLimits } from './quarantine.ts';
import { groupOfPeer } from './groups/types.ts';
import { isReceiptOrTyping, type IncomingReceipts } from './receipts/receipt-inbound.ts';
import { unknownContentOf } from './edits/unknown-content.ts';
import type { Disappearing } from './disappearing/disappearing.ts';
import type { ReadSyncInbound } from './conversations/read-sync-inbound.ts';

/** An unsealed envelope whose sender certificate is valid. */
export interface OpenedEnvelope {
  readonly envelopeId: string;
  readonly sender: DeviceAddress;
  /** True when one of our own other devices sent it. */
  readonly fromSelf: boolean;
  /** The sender's identity key as the certificate names it (33 bytes); the session decrypt must speak for it. */
  readonly senderIdentityKey: Uint8Array;
  /** Sealed content type: 2 Signal, 3 PreKey, 7 SenderKey, 8 Plaintext. */
  readonly contentType: number;
  readonly contents: Uint8Array;
  readonly groupId: Uint8Array | undefined;
  /** The envelope as received (kept in the quarantine when it cannot be processed). */
  readonly envelope: QueuedEnvelope;
}

/** What an inbound handler produced inside the envelope's transaction. */
export interface InboundResult {
  /** The decrypted application payload (a `Content` protobuf). */
  plaintext: Uint8Array;
  /** True when a one-time prekey was consumed (upkeep may need to refill). */
  usedOneTime: boolean;
}

/**
 * Decrypts one kind of inner message inside the envelope's transaction. It
 * may only touch the store through `tx`; throwing rolls everything back.
 */
export type InboundHandler = (tx: StoreTransaction, envelope: OpenedEnvelope, now: number) => Promise<InboundResult>;

/** Inbound handlers by sealed content type. */
export type InboundHandlers = ReadonlyMap<number, InboundHandler>;

/** What `Incoming` works with. */
export interface IncomingDeps {
  store: ClientStore;
  locks: SessionLocks;
  now: () => number;
  own: () => RegisteredAccount;
  trust: Trust;
  contacts: Contacts;
  trustRoots: Uint8Array[];
  handlers: InboundHandlers;
  onMessage: SealpostClientOptions['onMessage'];
  upkeep: () => PreKeyUpkeep | undefined;
  closed: () => boolean;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  quarantineLimits: QuarantineLimits;
  recovery: IncomingRecovery;
  /** Group handling of content that names a group (`groups/group-inbound.ts`). */
  groups?: IncomingGroups;
  /** Receipts and typing indicators (not chat messages), and delivery receipts for stored messages (`receipts/receipt-inbound.ts`). */
  receipts?: IncomingReceipts;
  /** Edits and deletes for everyone (`edits/edit-inbound.ts`): applied to a stored message instead of stored as one; returns what to run after the commit. */
  edits?: { apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, peer: string, now: number): Promise<(() => void) | undefined> };
  /** Disappearing messages: carried timers and sync copies' countdowns, inside the envelope's transaction. */
  disappearing?: Pick<Disappearing, 'inbound'>;
  /** Conversations: applies a read sync from our own other device (`conversations/read-sync-inbound.ts`); undefined for other content. */
  conversations?: { inbound(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<ReadSyncInbound | undefined> };
  /** History transfer between our own devices (`history-transfer/`): applied in the envelope's transaction, never stored as a message. */
  historyTransfer?: { apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<{ after: () => Promise<void> }> };
  /** Key transparency (kt/): a contact's key from its sender certificate, checked against the log in the background. */
  kt?: { senderSeen(account: string, identityKey: Uint8Array): void };
}

/** What the group side decided for one received content. */
export interface GroupInbound {
  /** The history peer: the group's conversation. */
  peer: string;
  /** False for pure control content (changes, sender keys, state requests) and repeats: nothing enters the history. */
  store: boolean;
  /** Runs after the envelope's transaction committed (events, replies, retries). */
  after: () => Promise<void>;
}

/** What the receiving side asks of groups. */
export interface IncomingGroups {
  /** Inside the envelope's transaction: checks and applies the group parts of `content`; undefined for content of no group. */
  apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<GroupInbound | undefined>;
  /** After an envelope was refused (and quarantined) with `error`. */
  refused(opened: OpenedEnvelope, error: unknown): Promise<void>;
}

/** What the receiving side asks of decryption-error recovery (`recovery.ts`). */
export interface IncomingRecovery {
  /** Sends the sender of `opened` (which could not be decrypted) a decryption-error message. */
  requestResend(opened: OpenedEnvelope): Promise<void>;
  /** A decryption-error message from `sender` arrived (about a message of group `groupId`, when it names one): re-establish and resend if it is ours to answer. */
  onDecryptionError(sender: DeviceAddress, request: DecryptionErrorMessage, groupId?: Uint8Array): Promise<void>;
}

/** A stored message in the form the app receives it. */
export function receivedMessage(m: Pick<StoredMessage, 'id' | 'peer' | 'sender' | 'envelopeId' | 'storedAt'>, content: MessageContent, ownAccount: string): ReceivedMessage {
  const { profileKey: _pk, senderKeyDistribution: _skdm, groupChanges: _changes, groupStateRequest: _request, ...visible } = content;
  const out: ReceivedMessage = { id: m.id, conversation: m.peer, sender: m.sender, fromSelf: m.sender.account === ownAccount, content: visible, envelopeId: m.envelopeId ?? '', storedAt: m.storedAt };
  const group = groupOfPeer(m.peer);
  if (group !== undefined) out.group = group;
  return out;
}

/** Bound of each client's validated-server-certificate cache. */
const SERVER_CERTIFICATE_CACHE_ENTRIES = 8;

/**
 * True for failures of the session step that a new session fixes: the sender
 * is asked (decryption-error message) to re-establish and resend. Not for an
 * identity the session does not speak for, nor for content or padding errors
 * (the session worked) or a replayed prekey message.
 */
function wantsResend(error: unknown): boolean {
  return error instanceof SealpostError && !(error instanceof UntrustedIdentityError);
}

/** How many of a conversation's newest messages a resent message is compared with. */
const REPEAT_WINDOW = 64;

/** True when the conversation's newest messages hold one from `sender` with this timestamp and exactly these content bytes. */
async function isStoredAlready(tx: StoreTransaction, peer: string, sender: DeviceAddress, timestamp: number, content: Uint8Array): Promise<boolean> {
  for (const m of await tx.history.conversation(peer, REPEAT_WINDOW)) {
    if (m.timestamp === timestamp && m.sender.account === sender.account && m.sender.device === sender.device && equalBytes(m.content, content)) return true;
  }
  return false;
}

/** True for failures that no immediate retry can fix: the envelope is quarantined (processed, acknowledged) and reported. */
function isPermanent(error: unknown): boolean {
  if (error instanceof ClientError && error.code.startsWith('GROUP_')) return true;
  return error instanceof SealpostError || (error instanceof ClientError && (error.code === 'INVALID_DATA' || error.code === 'PREKEY_REPLAY' || error.code === 'INVALID_PADDING'));
}

/** The receiving side of one device. */
export class Incoming {
  readonly #iterators = new Set<(m: ReceivedMessage | undefined) => void>();
  /** Server certificates already validated against our trust roots (one XEdDSA verify saved per envelope). */
  readonly #serverCertificates = new ServerCertificateCache({ maxEntries: SERVER_CERTIFICATE_CACHE_ENTRIES });

  constructor(private readonly d: IncomingDeps) {}

  /**
   * Handles one envelope. Resolves once its plaintext is stored (or it was
   * found undecryptable and recorded as such): only then may it be
   * acknowledged. Rejects on transient failures, so the relay keeps it.
   */
  async handle(envelope: QueuedEnvelope): Promise<void> {
    if (this.d.closed()) throw new ClientError('CLOSED', 'client is closed');
    if (await this.d.store.history.isProcessed(envelope.id)) return;
    await this.#process(envelope, false);
  }

  /** Processes `envelope`; `retry`: it comes from the quarantine (already marked processed). */
  async #process(envelope: QueuedEnvelope, retry: boolean): Promise<boolean> {
    const opened = await this.openEnvelope(envelope);
    // The sealed layer did not open or its certificate is not valid: the sender is unknown, there is no one to tell.
    if (opened instanceof Error) return this.#quarantine(envelope, undefined, opened, retry);
    if (opened.contentType === SealedContentType.Plaintext) return this.#plaintextContent(opened, retry);
    const message = await this.applyEnvelope(opened, retry);
    if (message === undefined) return (await this.d.store.quarantine.get(envelope.id)) === undefined;
    await this.deliver(message);
    if (opened.contentType === 3 && !retry) await this.#retrySender(opened.sender, envelope.id);
    return true;
  }

  /**
   * Keeps `envelope` in the quarantine (marked processed, so it is
   * acknowledged) and reports it — the first time only: a failed retry just
   * counts the attempt. Returns false.
   */
  async #quarantine(envelope: QueuedEnvelope, sender: DeviceAddress | undefined, error: unknown, retry: boolean): Promise<false> {
    const now = this.d.now();
    const entry = { envelopeId: envelope.id, content: envelope.content, receivedAt: envelope.receivedAt, quarantinedAt: now, sender, ...failureOf(error) };
    const evicted = await this.d.store.transaction(async (tx) => {
      const out = await quarantineEnvelope(tx, entry, this.d.quarantineLimits);
      await tx.history.markProcessed(envelope.id, now);
      return out;
    });
    if (!retry) this.d.emit('error', { error, envelopeId: envelope.id, quarantined: true });
    for (const id of evicted) {
      this.d.emit('error', { error: new ClientError('QUARANTINE_EVICTED', `quarantined envelope ${id} was evicted: the quarantine is full`), envelopeId: id });
    }
    return false;
  }

  /**
   * A PlaintextContent (sealed content type 8): a decryption-error message
   * from the sender (handed to recovery: it may resend), or the empty one an
   * account's other devices get with a resend (ignored).
   */
  async #plaintextContent(opened: OpenedEnvelope, retry: boolean): Promise<boolean> {
    let request: DecryptionErrorMessage | undefined;
    try {
      request = extractDecryptionErrorMessage(plaintextContentBody(opened.contents));
    } catch (error) {
      if (!(error instanceof SealpostError)) throw error;
      return this.#quarantine(opened.envelope, opened.sender, error, retry);
    }
    // Network failures here reject: the request stays on the relay and comes again.
    if (request !== undefined) await this.d.recovery.onDecryptionError(opened.sender, request, opened.groupId);
    await this.d.store.transaction(async (tx) => {
      if (retry) await tx.quarantine.remove(opened.envelopeId);
      await tx.history.markProcessed(opened.envelopeId, this.d.now());
    });
    return true;
  }

  /** After a new session from `sender` (a PreKey message decrypted), retries its quarantined envelopes once each. */
  async #retrySender(sender: DeviceAddress, except: string): Promise<void> {
    for (const q of await this.d.store.quarantine.list()) {
      if (q.envelopeId === except || q.sender === undefined || q.sender.account !== sender.account || q.sender.device !== sender.device) continue;
      if (q.attempts >= this.d.quarantineLimits.maxAutoAttempts) continue;
      await this.#process({ id: q.envelopeId, content: q.content, receivedAt: q.receivedAt }, true).catch((error: unknown) => this.d.emit('error', { error, envelopeId: q.envelopeId }));
    }
  }

  /**
   * Processes quarantined envelopes again (`envelopeIds`, default all whose
   * automatic attempts are not used up — or, with ids given, exactly those).
   * A success removes the entry and delivers the message; a failure keeps it
   * (attempts + 1). Returns how many succeeded.
   */
  async retryQuarantined(envelopeIds?: readonly string[]): Promise<number> {
    let ok = 0;
    for (const q of await this.d.store.quarantine.list()) {
      if (envelopeIds === undefined ? q.attempts >= this.d.quarantineLimits.maxAutoAttempts : !envelopeIds.includes(q.envelopeId)) continue;
      if (await this.#process({ id: q.envelopeId, content: q.content, receivedAt: q.receivedAt }, true)) ok++;
    }
    return ok;
  }

  /**
   * Unseals `envelope`; returns the error (to drop it with) when it is not a
   * valid sealed message for us. Throws `IdentityChangedError` (the envelope
   * stays on the relay) when, under `block`, it names another identity key
   * than the one trusted for its sender.
   */
  async openEnvelope(envelope: QueuedEnvelope): Promise<OpenedEnvelope | Error> {
    const own = this.d.own();
    let unsealed: UnsealedContent;
    try {
      unsealed = unsealToContent(envelope.content, { privateKey: own.identityPrivateKey, publicKey: own.identityPublicKey });
    } catch (error) {
      if (!(error instanceof SealpostError)) throw error;
      return error;
    }
    const account = unsealed.sender.senderUuid.toLowerCase();
    const expectedSenderIdentityKey = await this.d.trust.expectedIdentity(account);
    try {
      validateUnsealed(unsealed, {
        trustRoots: this.d.trustRoots,
        now: this.d.now(),
        local: { uuid: own.account, deviceId: own.device },
        expectedSenderIdentityKey,
        serverCertificateCache: this.#serverCertificates,
      });
    } catch (error) {
      if (!(error instanceof SealpostError)) throw error;
      if (error instanceof SenderIdentityMismatchError) {
        // Our own other devices share our identity key; anything else claiming to be us is forged.
        if (account === own.account) return new ClientError('INVALID_DATA', 'an envelope claims to come from our own account with another identity key', { cause: error });
        // Refused exactly as the identity policy refuses it inside the transaction.
        throw new IdentityChangedError(account);
      }
      return error;
    }
    const sender = { account, device: unsealed.sender.senderDeviceId };
    return {
      envelopeId: envelope.id,
      sender,
      fromSelf: account === own.account,
      senderIdentityKey: unsealed.sender.identityKey,
      contentType: unsealed.content.type,
      contents: unsealed.content.contents,
      groupId: unsealed.content.groupId,
      envelope,
    };
  }

  /**
   * Applies an opened envelope in one transaction under the sender's lock.
   * Returns the message to deliver, or undefined when there is none (a
   * duplicate, or dropped as undecryptable).
   */
  async applyEnvelope(opened: OpenedEnvelope, retry = false): Promise<ReceivedMessage | undefined> {
    const handler = this.d.handlers.get(opened.contentType);
    if (handler === undefined) {
      await this.#quarantine(opened.envelope, opened.sender, new ClientError('INVALID_DATA', `unsupported inner message type ${opened.contentType}`), retry);
      return undefined;
    }
    const own = this.d.own();
    let refusedWith: { error: unknown } | undefined;
    const outcome = await this.d.locks.run(opened.sender.account, async () => {
      try {
        return await this.d.store.transaction(async (tx) => {
          if (retry ? (await tx.quarantine.get(opened.envelopeId)) === undefined : await tx.history.isProcessed(opened.envelopeId)) return undefined;
          const now = this.d.now();
          const change = await this.d.trust.check(tx, opened.sender.account, opened.senderIdentityKey, now);
          const { plaintext, usedOneTime } = await handler(tx, opened, now);
          const content = decodeContent(plaintext);
          if (!opened.fromSelf && content.profileKey !== undefined) await this.d.contacts.learn(tx.contacts, opened.sender.account, content.profileKey);
          const group = await this.#group(tx, opened, content, now);
          // History transfer (history-transfer/): a request, archive pointer or decline between our own devices.
          const transfer = content.historyTransfer === undefined ? undefined : ((await this.d.historyTransfer?.apply(tx, opened, content, now)) ?? { after: async () => {} });
          // Conversations: a read sync is applied here, never stored.
          const readSync = await this.d.conversations?.inbound(tx, opened, content, now);
          const row = {
            peer: group?.peer ?? (opened.fromSelf ? (content.sentTranscript?.destination ?? opened.sender.account) : opened.sender.account),
            sender: opened.sender,
            envelopeId: opened.envelopeId,
            storedAt: now,
          };
          // Not chat messages: history-transfer traffic, receipts and typing (the receipts part processes them), read syncs.
          const notChat = transfer !== undefined || isReceiptOrTyping(content) || readSync !== undefined;
          // A resend (it always starts a new session) of a message we already have: keep the new session, not a second copy.
          const repeat = !notChat && (group !== undefined ? !group.store : opened.contentType === 3 && (await isStoredAlready(tx, row.peer, opened.sender, content.timestamp, plaintext)));
          // An edit or delete for everyone changes a stored message; it is not one (src/edits/).
          const edited = repeat || notChat ? undefined : await this.d.edits?.apply(tx, opened, content, row.peer, now);
          const id = repeat || notChat || edited !== undefined ? undefined : await tx.history.add({ ...row, direction: opened.fromSelf ? 'out' : 'in', timestamp: content.timestamp, content: plaintext });
          const receiptsAfter = transfer !== undefined ? undefined : await this.d.receipts?.apply(tx, opened, content, { peer: row.peer, id }, now);
          const expiry = transfer !== undefined ? undefined : await this.d.disappearing?.inbound(tx, { ...row, id, direction: opened.fromSelf ? 'out' : 'in' }, content, now);
          await tx.history.markProcessed(opened.envelopeId, now);
          if (retry) await tx.quarantine.remove(opened.envelopeId);
          return { message: id === undefined ? undefined : receivedMessage({ ...row, id }, content, own.account), change, usedOneTime, after: transfer?.after ?? group?.after, receiptsAfter, edited, expiry, afterReadSync: readSync?.after };
        });
      } catch (error) {
        if (isDuplicateMessage(error)) {
          await this.d.store.transaction(async (tx) => {
            await tx.history.markProcessed(opened.envelopeId, this.d.now());
            if (retry) await tx.quarantine.remove(opened.envelopeId);
          });
          return undefined;
        }
        if (!isPermanent(error)) throw error;
        await this.#quarantine(opened.envelope, opened.sender, error, retry);
        // Group follow-ups (e.g. a state request to this sender) send 1:1 and take its lock: run them after this one.
        if (!retry) refusedWith = { error };
        // A session that cannot decrypt: ask the sender to re-establish it and resend (once, not on retries).
        if (!retry && wantsResend(error)) await this.d.recovery.requestResend(opened).catch((e: unknown) => this.d.emit('error', { error: e, envelopeId: opened.envelopeId }));
        return undefined;
      }
    });
    if (refusedWith !== undefined) await this.d.groups?.refused(opened, refusedWith.error).catch((e: unknown) => this.d.emit('error', { error: e, envelopeId: opened.envelopeId }));
    if (outcome === undefined) return undefined;
    if (!opened.fromSelf) this.d.kt?.senderSeen(opened.sender.account, opened.senderIdentityKey);
    if (outcome.change !== undefined) this.d.emit('identityChanged', outcome.change);
    outcome.edited?.();
    outcome.expiry?.();
    if (outcome.after !== undefined) await outcome.after().catch((error: unknown) => this.d.emit('error', { error, envelopeId: opened.envelopeId }));
    outcome.receiptsAfter?.();
    if (outcome.afterReadSync !== undefined) await outcome.afterReadSync().catch((error: unknown) => this.d.emit('error', { error, envelopeId: opened.envelopeId }));
    const upkeep = this.d.upkeep();
    if (outcome.usedOneTime && upkeep !== undefined) void upkeep.run().catch((error: unknown) => this.d.emit('error', { error }));
    return outcome.message;
  }

  /** The group side of `content` (a sender-key message must name a group). */
  async #group(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<GroupInbound | undefined> {
    const group = await this.d.groups?.apply(tx, opened, content, now);
    if (group === undefined && opened.contentType === 7) throw new ClientError('INVALID_DATA', 'a sender-key message without a group');
    return group;
  }

  /** Retries the quarantined envelopes `filter` selects whose automatic attempts are not used up (each once). */
  async retryWhere(filter: (q: QuarantinedEnvelope) => boolean): Promise<void> {
    for (const q of await this.d.store.quarantine.list()) {
      if (q.attempts >= this.d.quarantineLimits.maxAutoAttempts || !filter(q)) continue;
      await this.#process({ id: q.envelopeId, content: q.content, receivedAt: q.receivedAt }, true).catch((error: unknown) => this.d.emit('error', { error, envelopeId: q.envelopeId }));
    }
  }

  /** Hands a stored message to the app; marks it delivered once the app accepted it. */
  async deliver(message: ReceivedMessage): Promise<void> {
    this.d.emit('message', message);
    const unknown = unknownContentOf(message);
    if (unknown !== undefined) this.d.emit('unknownContent', unknown);
    for (const push of this.#iterators) push(message);
    try {
      await this.d.onMessage?.(message);
      await this.d.store.history.markDelivered(message.id);
    } catch (error) {
      // Stays undelivered; offered again by redeliver().
      this.d.emit('error', { error, envelopeId: message.envelopeId });
    }
  }

  /** Offers every stored-but-not-yet-accepted message to the app again. */
  async redeliver(): Promise<void> {
    const own = this.d.own().account;
    for (const m of await this.d.store.history.undelivered()) await this.deliver(receivedMessage(m, decodeContent(m.content), own));
  }

  /** New messages as an async iterator; ends when `end()` is called. */
  async *messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    const queue: ReceivedMessage[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = (m: ReceivedMessage | undefined) => {
      if (m === undefined) done = true;
      else queue.push(m);
      wake?.();
    };
    this.#iterators.add(push);
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done || this.d.closed()) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.#iterators.delete(push);
    }
  }

  /** Ends every open `messages()` iterator. */
  end(): void {
    for (const push of this.#iterators) push(undefined);
  }
}
