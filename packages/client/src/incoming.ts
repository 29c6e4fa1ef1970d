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
import { SealpostError } from '@sealpost/protocol';
import { SenderIdentityMismatchError, ServerCertificateCache, unsealToContent, validateUnsealed, type UnsealedContent } from '@sealpost/protocol/sealed-sender';
import type { ClientEvents, ReceivedMessage, SealpostClientOptions } from './client-types.ts';
import type { Contacts } from './contacts.ts';
import { decodeContent, type MessageContent } from './content.ts';
import { ClientError, IdentityChangedError } from './errors.ts';
import type { QueuedEnvelope } from './relay-client.ts';
import { isDuplicateMessage } from './session-ops.ts';
import type { SessionLocks } from './session-transaction.ts';
import type { ClientStore, DeviceAddress, RegisteredAccount, StoreTransaction, StoredMessage } from './store/types.ts';
import type { Trust } from './trust.ts';
import type { PreKeyUpkeep } from './upkeep.ts';

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
}

/** A stored message in the form the app receives it. */
export function receivedMessage(m: Pick<StoredMessage, 'id' | 'peer' | 'sender' | 'envelopeId' | 'storedAt'>, content: MessageContent, ownAccount: string): ReceivedMessage {
  const { profileKey: _pk, ...visible } = content;
  return { id: m.id, conversation: m.peer, sender: m.sender, fromSelf: m.sender.account === ownAccount, content: visible, envelopeId: m.envelopeId ?? '', storedAt: m.storedAt };
}

/** Bound of each client's validated-server-certificate cache. */
const SERVER_CERTIFICATE_CACHE_ENTRIES = 8;

/** True for failures that no retry can fix: the envelope is recorded as processed and reported. */
function isPermanent(error: unknown): boolean {
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
    const opened = await this.openEnvelope(envelope);
    if (opened instanceof Error) return this.#drop(envelope.id, opened);
    const message = await this.applyEnvelope(opened);
    if (message !== undefined) await this.deliver(message);
  }

  async #drop(envelopeId: string, error: unknown): Promise<void> {
    await this.d.store.history.markProcessed(envelopeId, this.d.now());
    this.d.emit('error', { error, envelopeId });
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
    };
  }

  /**
   * Applies an opened envelope in one transaction under the sender's lock.
   * Returns the message to deliver, or undefined when there is none (a
   * duplicate, or dropped as undecryptable).
   */
  async applyEnvelope(opened: OpenedEnvelope): Promise<ReceivedMessage | undefined> {
    const handler = this.d.handlers.get(opened.contentType);
    if (handler === undefined) {
      await this.#drop(opened.envelopeId, new ClientError('INVALID_DATA', `unsupported inner message type ${opened.contentType}`));
      return undefined;
    }
    const own = this.d.own();
    const outcome = await this.d.locks.run(opened.sender.account, async () => {
      try {
        return await this.d.store.transaction(async (tx) => {
          if (await tx.history.isProcessed(opened.envelopeId)) return undefined;
          const now = this.d.now();
          const change = await this.d.trust.check(tx, opened.sender.account, opened.senderIdentityKey, now);
          const { plaintext, usedOneTime } = await handler(tx, opened, now);
          const content = decodeContent(plaintext);
          if (!opened.fromSelf && content.profileKey !== undefined) await this.d.contacts.learn(tx.contacts, opened.sender.account, content.profileKey);
          const row = {
            peer: opened.fromSelf ? (content.sentTranscript?.destination ?? opened.sender.account) : opened.sender.account,
            sender: opened.sender,
            envelopeId: opened.envelopeId,
            storedAt: now,
          };
          const id = await tx.history.add({ ...row, direction: opened.fromSelf ? 'out' : 'in', timestamp: content.timestamp, content: plaintext });
          await tx.history.markProcessed(opened.envelopeId, now);
          return { message: receivedMessage({ ...row, id }, content, own.account), change, usedOneTime };
        });
      } catch (error) {
        if (isDuplicateMessage(error)) {
          await this.d.store.history.markProcessed(opened.envelopeId, this.d.now());
          return undefined;
        }
        if (isPermanent(error)) {
          await this.#drop(opened.envelopeId, error);
          return undefined;
        }
        throw error;
      }
    });
    if (outcome === undefined) return undefined;
    if (outcome.change !== undefined) this.d.emit('identityChanged', outcome.change);
    const upkeep = this.d.upkeep();
    if (outcome.usedOneTime && upkeep !== undefined) void upkeep.run().catch((error: unknown) => this.d.emit('error', { error }));
    return outcome.message;
  }

  /** Hands a stored message to the app; marks it delivered once the app accepted it. */
  async deliver(message: ReceivedMessage): Promise<void> {
    this.d.emit('message', message);
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
