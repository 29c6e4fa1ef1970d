/**
 * Sending: seal a message for every device of the recipient (and a sync
 * copy for our own other devices), with sessions established from fresh
 * bundles where missing, the ratchet steps and sealed envelopes committed
 * in one transaction (the outbox), and the history row moved in only when
 * the relay accepted the batch. `flushOutbox` resends what a crash or an
 * unreachable relay left sealed but unsent.
 */
import { equalBytes, randomBytes, toHex } from '@sealpost/protocol/primitives';
import { ContentHint, SealedContentType, sealV1 } from '@sealpost/protocol/sealed-sender';
import type { SentMessage } from './client-types.ts';
import { encodeContent, type MessageContent, type MessageRef } from './content.ts';
import { ClientError } from './errors.ts';
import { padPlaintext } from './padding.ts';
import type { DeviceBundle } from './keyserver-client.ts';
import { deviceMismatchOf, type OutgoingEnvelope } from './relay-client.ts';
import { isAccountDeleted } from './account-deletion/errors.ts';
import { onContactDeleted } from './account-deletion/contact-deleted.ts';
import { runSessionStep } from './session-transaction.ts';
import { currentSenderRatchetKey, messageRatchetKey, sessionAddresses } from './session-ops.ts';
import type { DeviceAddress, NewMessage, StoreTransaction } from './store/types.ts';

export { SENT_LOG_MAX_AGE_MS, SENT_LOG_MAX_ENTRIES, MAX_RESENDS, OWN_DEVICES_RECHECK_MS, localKeysOf, type OutgoingMessage, type OutgoingDeps } from './outgoing-types.ts';
import { MAX_RESENDS, OWN_DEVICES_RECHECK_MS, SENT_LOG_MAX_AGE_MS, SENT_LOG_MAX_ENTRIES, localKeysOf, outgoingContent, type OutgoingDeps, type OutgoingMessage } from './outgoing-types.ts';

/**
 * A PlaintextContent with an empty Content (`0xC0 || 0x80`): what the
 * devices of an account that do not need a resend get, since the relay takes
 * a send only for the whole device set. Receivers ignore it.
 */
const EMPTY_PLAINTEXT_CONTENT = Uint8Array.of(0xc0, 0x80);

/** The sending side of one device. */
export class Outgoing {
  #ownDevicesCheckedAt = -Infinity;

  constructor(private readonly d: OutgoingDeps) {}

  /** Forget that our account had no other device (a link code was just made). */
  ownDevicesChanged(): void {
    this.#ownDevicesCheckedAt = -Infinity;
  }

  /**
   * Sends a message to every device of `to`, and a copy to this account's
   * other devices. Returns once the relay accepted it.
   */
  async send(to: string, message: OutgoingMessage): Promise<SentMessage> {
    const local = this.d.own();
    const timestamp = message.timestamp ?? this.d.now();
    const content: MessageContent = { ...outgoingContent(message, timestamp, message.expireTimer ?? (await this.d.disappearing?.timerOf(to))), profileKey: local.profileKey };
    const plaintext = encodeContent(content);
    const history: NewMessage = {
      direction: 'out',
      peer: to,
      sender: { account: local.account, device: local.device },
      timestamp,
      content: plaintext,
      envelopeId: undefined,
      storedAt: this.d.now(),
      delivered: true,
    };
    // The history row lands in the same transaction that records the relay's acceptance.
    const toRecipient = to === local.account ? { devices: [], messageId: undefined } : await this.#sendToAccount(to, plaintext, timestamp, history);
    // Sync copy for our own other devices (they show the whole conversation).
    const transcript = encodeContent({ ...content, sentTranscript: { destination: to } });
    let syncedDevices: number[] = [];
    try {
      ({ devices: syncedDevices } = await this.#sendToAccount(local.account, transcript, timestamp));
    } catch (error) {
      // The recipient has the message; a failed copy to our own devices must not look like a failed send
      // (a sealed copy stays in the outbox for flushOutbox()).
      this.d.emit('error', { error });
    }
    const id = toRecipient.messageId ?? (await this.storeSent(history));
    const { profileKey: _pk, ...visible } = content;
    const ref: MessageRef = { author: local.account, timestamp };
    if (message.messageId !== undefined) ref.messageId = message.messageId;
    return { id, to, content: visible, devices: toRecipient.devices, syncedDevices, ref };
  }

  /** Establishes sessions with the given devices (all when `devices` is undefined) from fresh bundles. */
  async establish(account: string, devices: number[] | undefined): Promise<void> {
    const own = this.d.own();
    let bundles: DeviceBundle[] = [];
    if (devices === undefined) bundles = await this.d.keyServer.bundles(account);
    else for (const device of devices) bundles.push(...(await this.d.keyServer.bundles(account, device)));
    const local = localKeysOf(own);
    // Key transparency (kt/): the log must hold each identity key before a session is built with it (enforce throws here).
    const logged = new Map<string, boolean | undefined>();
    for (const b of bundles) if (!logged.has(toHex(b.identityKey))) logged.set(toHex(b.identityKey), (await this.d.kt?.checkBundle(account, b.identityKey))?.logged);
    for (const bundle of bundles) {
      if (account === own.account && bundle.deviceId === own.device) continue;
      const address = { account, device: bundle.deviceId };
      const change = await this.d.store.transaction(async (tx) => {
        const now = this.d.now();
        const change = await this.d.trust.check(tx, account, bundle.identityKey, now);
        await runSessionStep(tx, address, (record) => ({ record: this.d.ops.initiate(record, bundle, local, now), result: undefined }));
        return change;
      });
      const inLog = logged.get(toHex(bundle.identityKey));
      if (change !== undefined) this.d.emit('identityChanged', inLog === undefined ? change : { ...change, logged: inLog });
    }
  }

  async #otherDevices(account: string, isSelf: boolean): Promise<number[]> {
    const own = this.d.own();
    return (await this.d.store.sessions.devices(account)).filter((d) => !(isSelf && d === own.device));
  }

  /**
   * Seals `plaintext` for every (other) device of `account` and hands the set
   * to the relay. All devices' ratchet steps, the sealed envelopes (outbox)
   * and the parked `history` row commit in one transaction; the history row
   * moves into the history when the relay accepts. Returns the device ids and
   * the history row id.
   */
  async #sendToAccount(account: string, plaintext: Uint8Array, timestamp: number, history?: NewMessage, ephemeral = false): Promise<{ devices: number[]; messageId: number | undefined }> {
    const none = { devices: [], messageId: undefined };
    const own = this.d.own();
    const isSelf = account === own.account;
    const sending = this.d.locks.run(account, async () => {
      const attempts = this.d.maxSendAttempts;
      const accessKey = await this.d.contacts.accessKey(account);
      for (let attempt = 0; attempt < attempts; attempt++) {
        let devices = await this.#otherDevices(account, isSelf);
        if (devices.length === 0 && attempt === 0) {
          // Our own account usually has no other device: do not ask the key server on every send.
          if (isSelf && this.d.now() - this.#ownDevicesCheckedAt < OWN_DEVICES_RECHECK_MS) return none;
          const listed = await this.d.keyServer.devices(account);
          if (isSelf) this.#ownDevicesCheckedAt = this.d.now();
          const wanted = listed.map((d) => d.deviceId).filter((d) => !(isSelf && d === own.device));
          if (wanted.length === 0) return none;
          await this.establish(account, isSelf ? wanted : undefined);
          devices = await this.#otherDevices(account, isSelf);
        }
        if (devices.length === 0 && isSelf) return none;
        if (devices.length === 0) throw new ClientError('UNKNOWN_RECIPIENT', `${account} has no devices with keys`);
        const certificate = await this.d.credentials.senderCertificate();
        const batchId = toHex(randomBytes(16));
        const envelopes = await this.d.store.transaction(async (tx) => {
          if (history !== undefined) await tx.outbox.park(batchId, history);
          const out: OutgoingEnvelope[] = [];
          for (const device of devices) out.push(await this.#encryptFor(tx, { account, device }, plaintext, certificate, batchId, { timestamp, resends: 0 }));
          await tx.sentLog.prune(this.d.now() - SENT_LOG_MAX_AGE_MS, SENT_LOG_MAX_ENTRIES);
          return out;
        });
        try {
          await this.d.relay.send(account, accessKey, envelopes, timestamp, isSelf);
          const messageId = await this.#settleBatch(batchId, true);
          this.d.emit(
            'relaySend',
            envelopes.map((e) => ({ recipient: { account, device: e.deviceId }, bytes: e.content.length, versionByte: e.content[0]! })),
          );
          return { devices, messageId };
        } catch (e) {
          // A deleted recipient: the batch can never be delivered (account-deletion/).
          if (isAccountDeleted(e)) await this.#settleBatch(batchId, false);
          const mismatch = deviceMismatchOf(e);
          // Any other failure (e.g. the relay unreachable) keeps the sealed batch in
          // the outbox: the ratchet has stepped, and flushOutbox() delivers it later.
          if (mismatch === undefined) {
            // An ephemeral send (a typing indicator) is dropped instead: the receiver skips its message key.
            if (ephemeral) await this.#settleBatch(batchId, false);
            throw e;
          }
          await this.#settleBatch(batchId, false);
          // Fix the device set as the relay describes it, then try again.
          await this.d.store.transaction(async (tx) => {
            for (const d of [...mismatch.extraDevices, ...mismatch.staleDevices]) await tx.sessions.remove({ account, device: d });
          });
          const refetch = [...mismatch.missingDevices, ...mismatch.staleDevices].filter((d) => !(isSelf && d === own.device));
          if (refetch.length > 0) await this.establish(account, refetch);
        }
      }
      throw new ClientError('DEVICE_MISMATCH', `device list of ${account} kept changing; gave up after ${attempts} attempts`);
    });
    return sending.catch((e: unknown) => {
      throw onContactDeleted(e, account, this.d.emit);
    });
  }

  /**
   * Sends an encoded `Content` to every (other) device of `account` on the
   * 1:1 sessions (sealed sender v1), repairing the device set on 409/410;
   * returns the device ids it went to. (Group changes, sender-key
   * distributions and group sync copies travel this way.)
   */
  sendContent(account: string, plaintext: Uint8Array, timestamp: number, options: { ephemeral?: boolean } = {}): Promise<number[]> {
    return this.#sendToAccount(account, plaintext, timestamp, undefined, options.ephemeral === true).then((r) => r.devices);
  }

  /**
   * History transfer: sends an encoded `Content` to ONE other device of our
   * own account on its session (established from a fresh bundle if needed).
   * The relay takes a send only for the whole device set, so our other
   * devices get the empty PlaintextContent they ignore, as with a resend.
   */
  async sendToOwnDevice(device: number, plaintext: Uint8Array, timestamp: number): Promise<void> {
    const own = this.d.own();
    const account = own.account;
    await this.d.locks.run(account, async () => {
      for (let attempt = 0; attempt < this.d.maxSendAttempts; attempt++) {
        const listed = (await this.d.keyServer.devices(account)).filter((d) => d.deviceId !== own.device);
        if (!listed.some((d) => d.deviceId === device)) throw new ClientError('UNKNOWN_RECIPIENT', `device ${device} is not a device of this account`);
        if (!(await this.d.store.sessions.devices(account)).includes(device)) await this.establish(account, [device]);
        const accessKey = await this.d.contacts.accessKey(account);
        const certificate = await this.d.credentials.senderCertificate();
        const batchId = toHex(randomBytes(16));
        const envelopes = await this.d.store.transaction(async (tx) => {
          const out = [await this.#encryptFor(tx, { account, device }, plaintext, certificate, batchId, { timestamp, resends: 0 })];
          for (const d of listed) {
            if (d.deviceId === device) continue;
            const filler = { deviceId: d.deviceId, registrationId: d.registrationId, content: this.#sealPlaintext(EMPTY_PLAINTEXT_CONTENT, certificate, own.identityPublicKey) };
            await tx.outbox.add({ batchId, recipient: { account, device: d.deviceId }, registrationId: d.registrationId, envelope: filler.content, createdAt: this.d.now() });
            out.push(filler);
          }
          return out;
        });
        try {
          await this.d.relay.send(account, accessKey, envelopes, timestamp, true);
          await this.#settleBatch(batchId, true);
          return;
        } catch (e) {
          const mismatch = deviceMismatchOf(e);
          if (mismatch === undefined) throw e;
          await this.#settleBatch(batchId, false);
          await this.d.store.transaction(async (tx) => {
            for (const d of [...mismatch.extraDevices, ...mismatch.staleDevices]) await tx.sessions.remove({ account, device: d });
          });
        }
      }
      throw new ClientError('DEVICE_MISMATCH', `device list of ${account} kept changing; gave up after ${this.d.maxSendAttempts} attempts`);
    });
  }

  /** Removes a batch from the outbox; when `accepted`, moves its parked history row into the history. */
  async #settleBatch(batchId: string, accepted: boolean): Promise<number | undefined> {
    let after: (() => void) | undefined;
    const id = await this.d.store.transaction(async (tx) => {
      await tx.outbox.removeBatch(batchId);
      const parked = await tx.outbox.takeParked(batchId);
      if (!accepted || parked === undefined) return undefined;
      const id = await tx.history.add(parked);
      after = await this.d.disappearing?.sentStored(tx, id, parked);
      return id;
    });
    after?.();
    return id;
  }

  /** The disappearing-messages timer a chat message to `peer` (a group's conversation id too) carries. */
  async expireTimerOf(peer: string): Promise<MessageContent['expireTimer']> {
    return this.d.disappearing?.timerOf(peer);
  }

  /** Stores the history row of a message the relay accepted (no parked batch: group sends, notes to self); returns its id. */
  async storeSent(row: NewMessage): Promise<number> {
    let after: (() => void) | undefined;
    const id = await this.d.store.transaction(async (tx) => {
      const id = await tx.history.add(row);
      after = await this.d.disappearing?.sentStored(tx, id, row);
      return id;
    });
    after?.();
    return id;
  }

  /**
   * One ratchet step + seal for one device, stored (outbox) in the caller's
   * transaction, and the plaintext logged under the message's ratchet key
   * (sent log) so a decryption-error message can have it resent.
   */
  async #encryptFor(
    tx: StoreTransaction,
    address: DeviceAddress,
    plaintext: Uint8Array,
    certificate: Uint8Array,
    batchId: string,
    log: { timestamp: number; resends: number },
  ): Promise<OutgoingEnvelope> {
    const own = this.d.own();
    const local = localKeysOf(own);
    // Our and the peer device's addresses: a PreKeySignalMessage carries them (field 6).
    const addresses = sessionAddresses({ account: own.account, device: own.device }, address);
    const envelope = await runSessionStep(tx, address, (record) => {
      if (record === undefined) throw new ClientError('INVALID_DATA', `no session with ${address.account}.${address.device}`);
      // Padded to Signal's 160-byte buckets: the ciphertext size does not tell the message length.
      const out = this.d.ops.encrypt(record, padPlaintext(plaintext), local, this.d.now(), addresses);
      const sealed = sealV1({
        content: { type: out.type, senderCertificate: certificate, contents: out.body, contentHint: ContentHint.Resendable },
        senderIdentity: local.identity,
        recipientIdentityPublic: out.remoteIdentityKey,
        agreementCache: this.d.agreementCache,
      });
      const ratchetKey = messageRatchetKey(out.type, out.body);
      return { record: out.record, result: { deviceId: address.device, registrationId: out.remoteRegistrationId, content: sealed, ratchetKey } };
    });
    const now = this.d.now();
    await tx.outbox.add({ batchId, recipient: address, registrationId: envelope.registrationId, envelope: envelope.content, createdAt: now });
    await tx.sentLog.add({ recipient: address, ratchetKey: envelope.ratchetKey, timestamp: log.timestamp, content: plaintext, sentAt: now, resends: log.resends });
    return { deviceId: envelope.deviceId, registrationId: envelope.registrationId, content: envelope.content };
  }

  /** Seals `contents` (a PlaintextContent, no session) for device `device` of `account`, whose identity key is `identityKey`. */
  #sealPlaintext(contents: Uint8Array, certificate: Uint8Array, identityKey: Uint8Array, groupId?: Uint8Array): Uint8Array {
    return sealV1({
      content: { type: SealedContentType.Plaintext, senderCertificate: certificate, contents, contentHint: ContentHint.Implicit, ...(groupId === undefined ? {} : { groupId }) },
      senderIdentity: localKeysOf(this.d.own()).identity,
      recipientIdentityPublic: identityKey,
      agreementCache: this.d.agreementCache,
    });
  }

  /** The identity key to seal to for `account` (ours for our own account). */
  async #identityOf(account: string): Promise<Uint8Array> {
    const own = this.d.own();
    if (account === own.account) return own.identityPublicKey;
    const key = await this.d.trust.trustedIdentity(account);
    if (key === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no identity key known for ${account}`);
    return key;
  }

  /**
   * Sends `contents` (a serialized PlaintextContent, e.g. a decryption-error
   * message) sealed — no session involved — to every device of `account`
   * (our own other devices, for our account). The relay takes a send only
   * for the whole device set, so each device gets it; a DecryptionErrorMessage
   * names the device it is for. `identityKey`: the account's identity key
   * to seal to (default: the trusted one). `groupId`: the group of the
   * message the request is about (named in the sealed content, as Signal
   * does). Returns the device ids.
   */
  async sendPlaintextContent(account: string, contents: Uint8Array, identityKey?: Uint8Array, groupId?: Uint8Array): Promise<number[]> {
    const own = this.d.own();
    const isSelf = account === own.account;
    const accessKey = await this.d.contacts.accessKey(account);
    identityKey ??= await this.#identityOf(account);
    const certificate = await this.d.credentials.senderCertificate();
    const devices = (await this.d.keyServer.devices(account)).filter((d) => !(isSelf && d.deviceId === own.device));
    if (devices.length === 0) return [];
    const envelopes = devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content: this.#sealPlaintext(contents, certificate, identityKey, groupId) }));
    await this.d.relay.send(account, accessKey, envelopes, this.d.now(), isSelf);
    return devices.map((d) => d.deviceId);
  }

  /**
   * Answers a decryption-error message from device `from` naming our sender
   * ratchet key `ratchetKey`: when that key is our current one with `from`,
   * or messages sent under it are still in the sent log, the session is
   * re-established from a fresh bundle (the old state is archived) and every
   * logged message sent under that key is resent on the new session (each at
   * most `MAX_RESENDS` times). The relay takes a send only for the whole
   * device set: the account's other devices get an empty PlaintextContent
   * they ignore. Returns how many messages were resent; a stale request
   * (already answered) does nothing.
   */
  async resendAfterDecryptionError(from: DeviceAddress, ratchetKey: Uint8Array, timestamp: number): Promise<number> {
    const own = this.d.own();
    const isSelf = from.account === own.account;
    return this.d.locks.run(from.account, async () => {
      const entries = await this.d.store.sentLog.find(from, ratchetKey);
      const current = currentSenderRatchetKey(await this.d.store.sessions.load(from));
      const isCurrent = current !== undefined && equalBytes(current, ratchetKey);
      if (entries.length === 0 && !isCurrent) return 0;
      // Only a request naming the current session resets it (as Signal archives on a ratchet-key match);
      // later requests for the same old chain just get their messages resent on the new session.
      if (isCurrent) await this.establish(from.account, [from.device]);
      // A request naming the original timestamp (as libsignal peers send it) resends that message only;
      // ours name the relay's arrival time instead, so everything sent under the key is resent and the
      // receiver drops the copies it already has.
      const exact = entries.filter((e) => e.timestamp === timestamp);
      const pending = (exact.length > 0 ? exact : entries).filter((e) => e.resends < MAX_RESENDS);
      if (pending.length > 0) {
        const accessKey = await this.d.contacts.accessKey(from.account);
        const identityKey = await this.#identityOf(from.account);
        const others = (await this.d.keyServer.devices(from.account)).filter((d) => d.deviceId !== from.device && !(isSelf && d.deviceId === own.device));
        const certificate = await this.d.credentials.senderCertificate();
        for (const entry of pending) {
          const batchId = toHex(randomBytes(16));
          const envelopes = await this.d.store.transaction(async (tx) => {
            const out = [await this.#encryptFor(tx, from, entry.content, certificate, batchId, { timestamp: entry.timestamp, resends: entry.resends + 1 })];
            for (const d of others) {
              const filler = { deviceId: d.deviceId, registrationId: d.registrationId, content: this.#sealPlaintext(EMPTY_PLAINTEXT_CONTENT, certificate, identityKey) };
              await tx.outbox.add({ batchId, recipient: { account: from.account, device: d.deviceId }, registrationId: d.registrationId, envelope: filler.content, createdAt: this.d.now() });
              out.push(filler);
            }
            return out;
          });
          await this.d.relay.send(from.account, accessKey, envelopes, entry.timestamp, isSelf);
          await this.#settleBatch(batchId, true);
        }
      }
      if (exact.length > 0) await this.d.store.sentLog.removeTimestamp(from, ratchetKey, timestamp);
      else await this.d.store.sentLog.remove(from, ratchetKey);
      return pending.length;
    });
  }

  /**
   * Hands the relay any sealed envelopes that a crash left between their
   * ratchet step and the relay's acceptance. (A recipient that did get them
   * drops the repeat as a duplicate.) A batch the relay now refuses for a
   * changed device list is dropped and reported as an `error` event.
   * Returns how many batches were sent.
   */
  async flushOutbox(): Promise<number> {
    const own = this.d.own();
    let sent = 0;
    for (const batch of await this.d.store.outbox.batches()) {
      const account = batch[0]!.recipient.account;
      try {
        await this.d.locks.run(account, async () =>
          this.d.relay.send(
            account,
            await this.d.contacts.accessKey(account),
            batch.map((e) => ({ deviceId: e.recipient.device, registrationId: e.registrationId, content: e.envelope })),
            batch[0]!.createdAt,
            account === own.account,
          ),
        );
        sent++;
        await this.#settleBatch(batch[0]!.batchId, true);
      } catch (error) {
        const deleted = isAccountDeleted(error);
        if (deviceMismatchOf(error) === undefined && !deleted && !(error instanceof ClientError && error.code === 'UNKNOWN_RECIPIENT')) throw error;
        this.d.emit('error', { error: deleted ? onContactDeleted(error, account, this.d.emit) : error });
        await this.#settleBatch(batch[0]!.batchId, false);
      }
    }
    return sent;
  }
}
