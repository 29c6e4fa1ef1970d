/**
 * Sending a group message: one sender-key encryption, one sealed sender v2
 * SentMessage for every device of every other member, one
 * `PUT /v1/messages/multi_recipient`.
 *
 * Before each attempt this device's distribution is made current: a new
 * distribution id (and chain) when there is none, after a removal, when a
 * device that had it left, or when it is older than `MAX_DISTRIBUTION_AGE_MS`;
 * then every member device missing from the shared-with list (new members,
 * new devices, reinstalls with a new registration id) gets the distribution
 * message 1:1, with the group's current change carried so a device that does
 * not know the group (a member's new device) can join it at once. A 409/410
 * from the relay repairs the sessions (refetch bundles, drop removed
 * devices), and the send is retried.
 */
import { ContentHint } from '@sealpost/protocol/sealed-sender';
import { SealedSenderV2AgreementCache, sealGroupMessage } from '@sealpost/protocol/groups';
import { randomBytes, uuidFromBytes } from '@sealpost/protocol/primitives';
import type { ClientEvents } from '../client-types.ts';
import type { Contacts } from '../contacts.ts';
import { decodeContent, encodeContent, type MessageContent } from '../content.ts';
import type { Credentials } from '../credentials.ts';
import { ClientError, ServiceError } from '../errors.ts';
import type { Outgoing } from '../outgoing.ts';
import { padPlaintext } from '../padding.ts';
import { multiRecipientMismatchOf, type RelayClient } from '../relay-client.ts';
import { sessionRemote } from '../session-ops.ts';
import type { SessionLocks } from '../session-transaction.ts';
import type { ClientStore, DeviceAddress, NewMessage, RegisteredAccount, SharedWithDevice, StoredGroup } from '../store/types.ts';
import { GroupError } from './errors.ts';
import { groupIdHex, memberOf, type GroupChangeData } from './group-change.ts';
import { contextOf, currentChange } from './membership.ts';
import type { SenderKeyOps } from './sender-key-ops.ts';
import { groupPeer } from './types.ts';

/** A distribution (sender-key chain) is replaced after this long, ms (Signal: 90 days at most). */
export const MAX_DISTRIBUTION_AGE_MS = 30 * 24 * 3600_000;
/** A retry request naming a relay time matches group messages sent this close to it, ms. */
export const RESEND_WINDOW_MS = 10 * 60_000;
/** A group message is resent at most this many times. */
export const MAX_GROUP_RESENDS = 2;
/** How often one group send is retried after device-set repairs. */
export const MAX_GROUP_SEND_ATTEMPTS = 5;

/** The sent-log "recipient" a group message is kept under (for resends after a decryption-error message). */
export const groupSentLogAddress = (groupId: string) => ({ account: groupPeer(groupId), device: 0 });

/** What `GroupSender` works with. */
export interface GroupSenderDeps {
  store: ClientStore;
  outgoing: Outgoing;
  relay: RelayClient;
  contacts: Contacts;
  credentials: Credentials;
  locks: SessionLocks;
  ops: SenderKeyOps;
  own: () => RegisteredAccount;
  now: () => number;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Shared with the 1:1 sends (their sealed sender v1 layer uses the same agreements). */
  agreementCache?: SealedSenderV2AgreementCache;
}

/** One recipient device of a group send. */
interface RecipientDevice extends SharedWithDevice {
  identityKey: Uint8Array;
}

/** A group message this device sent. */
export interface GroupSendResult {
  /** The group's id (hex). */
  groupId: string;
  /** Local id in the store's history (0 for an edit or delete for everyone, which is not stored as a message). */
  id: number;
  /** The member devices it was sealed for, as `account.device`. */
  devices: string[];
  /** The bytes of the one SentMessage handed to the relay. */
  sentMessageBytes: number;
}

const sameDevice = (a: SharedWithDevice, b: SharedWithDevice) => a.account === b.account && a.device === b.device && a.registrationId === b.registrationId;

/** The sending side of groups. */
export class GroupSender {
  /** DH(our identity, member identity), reused across sends (memory only, bounded; same bytes on the wire). */
  readonly #agreements: SealedSenderV2AgreementCache;

  constructor(private readonly d: GroupSenderDeps) {
    this.#agreements = d.agreementCache ?? new SealedSenderV2AgreementCache();
  }

  /**
   * The devices (with sessions, established when missing) of every other
   * member. A device in shared-with reuses the registration id recorded
   * there and its account's trusted identity key (a wrong one comes back as
   * a 410 and is repaired); others are read from their session record.
   */
  async #recipients(state: GroupChangeData['state'], known: readonly SharedWithDevice[]): Promise<RecipientDevice[]> {
    const own = this.d.own();
    const out: RecipientDevice[] = [];
    const recorded = new Map(known.map((d) => [`${d.account}.${d.device}`, d.registrationId]));
    for (const m of state.members) {
      if (m.account === own.account) continue;
      let devices = await this.d.store.sessions.devices(m.account);
      if (devices.length === 0) {
        try {
          await this.d.outgoing.establish(m.account, undefined);
        } catch (error) {
          // A member whose account is gone (or has no keys) must not stop the group: it is skipped and reported.
          if (!(error instanceof ServiceError && error.status === 404)) throw error;
          this.d.emit('error', { error: new ClientError('UNKNOWN_RECIPIENT', `group member ${m.account} has no devices with keys; skipped`, { cause: error }) });
        }
        devices = await this.d.store.sessions.devices(m.account);
      }
      const identityKey = (await this.d.store.identities.trusted(m.account))?.identityKey;
      for (const device of devices) {
        const registrationId = recorded.get(`${m.account}.${device}`);
        if (registrationId !== undefined && identityKey !== undefined) {
          out.push({ account: m.account, device, registrationId, identityKey });
          continue;
        }
        const remote = sessionRemote(await this.d.store.sessions.load({ account: m.account, device }));
        if (remote !== undefined) out.push({ account: m.account, device, registrationId: remote.registrationId, identityKey: remote.identityKey });
      }
    }
    return out;
  }

  /** The group, refusing a send when this account is not a member or the group is in conflict. */
  async #group(groupId: string): Promise<{ group: StoredGroup; change: GroupChangeData }> {
    const group = await this.d.store.groups.get(groupId);
    if (group === undefined) throw new GroupError('GROUP_UNKNOWN', groupId, 'no such group on this device');
    const change = currentChange(group);
    if (memberOf(change.state, this.d.own().account) === undefined) throw new GroupError('GROUP_NOT_MEMBER', groupId, 'this account is not a member', group.epoch);
    if (group.conflict !== undefined) {
      throw new GroupError('GROUP_EQUIVOCATION', groupId, `two states were seen for epoch ${group.conflict.epoch}; sends are refused until resolved`, group.conflict.epoch);
    }
    return { group, change };
  }

  /**
   * Makes this device's distribution current for `recipients` and hands
   * the distribution message to every device missing from shared-with.
   * Returns the distribution id.
   */
  async #distribute(groupId: string, recipients: RecipientDevice[]): Promise<string> {
    const own = this.d.own();
    const me = { account: own.account, device: own.device };
    const now = this.d.now();
    const { group, change } = await this.#group(groupId);
    const members = new Set(change.state.members.map((m) => m.account));
    const departed = group.sharedWith.some((s) => !members.has(s.account) || !recipients.some((r) => r.account === s.account && r.device === s.device));
    const stale = group.distributionCreatedAt !== undefined && now - group.distributionCreatedAt > MAX_DISTRIBUTION_AGE_MS;
    let current = group;
    if (group.distributionId === undefined || departed || stale) {
      // A new distribution id and chain: devices that left (or members removed) never get it.
      current = { ...group, distributionId: newDistributionId(), distributionCreatedAt: now, sharedWith: [], updatedAt: now };
      await this.d.store.transaction(async (tx) => {
        await tx.groups.put(current);
        if (group.distributionId !== undefined) await tx.senderKeys.remove(me, group.distributionId);
      });
    }
    const distributionId = current.distributionId!;
    const missing = new Map<string, RecipientDevice[]>();
    for (const r of recipients) {
      if (current.sharedWith.some((s) => sameDevice(s, r))) continue;
      missing.set(r.account, [...(missing.get(r.account) ?? []), r]);
    }
    if (missing.size === 0) return distributionId;
    const message = await this.d.store.transaction(async (tx) => {
      const out = this.d.ops.distribution(await tx.senderKeys.load(me, distributionId), distributionId);
      await tx.senderKeys.store(me, distributionId, out.record);
      return out.message;
    });
    const content: MessageContent = { version: 1, timestamp: now, profileKey: own.profileKey, group: contextOf(change), senderKeyDistribution: message, groupChanges: [change.bytes] };
    const plaintext = encodeContent(content);
    for (const account of missing.keys()) {
      // 1:1 to every device of the account (the relay takes a send only for the whole set): each processes it once.
      const devices = await this.d.outgoing.sendContent(account, plaintext, now);
      const reached: SharedWithDevice[] = [];
      for (const device of devices) {
        const remote = sessionRemote(await this.d.store.sessions.load({ account, device }));
        if (remote !== undefined) reached.push({ account, device, registrationId: remote.registrationId });
      }
      await this.d.store.transaction(async (tx) => {
        const g = await tx.groups.get(groupId);
        if (g === undefined || g.distributionId !== distributionId) return;
        await tx.groups.put({ ...g, sharedWith: [...g.sharedWith.filter((s) => s.account !== account), ...reached], updatedAt: this.d.now() });
      });
    }
    return distributionId;
  }

  /** After a 409/410: sessions of removed or reinstalled devices are dropped, new ones established; they leave shared-with. */
  async #repair(groupId: string, error: unknown): Promise<boolean> {
    const mismatches = multiRecipientMismatchOf(error);
    if (mismatches === undefined) return false;
    for (const m of mismatches) {
      const gone = [...m.extraDevices, ...m.staleDevices];
      await this.d.store.transaction(async (tx) => {
        for (const device of gone) await tx.sessions.remove({ account: m.account, device });
        const g = await tx.groups.get(groupId);
        if (g === undefined) return;
        // A removed device that had our chain: rotate (it never gets the next one). A reinstall just gets it again.
        const removedHolder = g.sharedWith.some((s) => s.account === m.account && m.extraDevices.includes(s.device));
        const sharedWith = removedHolder ? [] : g.sharedWith.filter((s) => !(s.account === m.account && gone.includes(s.device)));
        await tx.groups.put({ ...g, sharedWith, ...(removedHolder ? { distributionId: undefined, distributionCreatedAt: undefined } : {}), updatedAt: this.d.now() });
        const own = this.d.own();
        if (removedHolder && g.distributionId !== undefined) await tx.senderKeys.remove({ account: own.account, device: own.device }, g.distributionId);
      });
      const fetch = [...m.missingDevices, ...m.staleDevices];
      if (fetch.length > 0) await this.d.outgoing.establish(m.account, fetch);
    }
    return true;
  }

  /** Sends `content` (its group context is set here) to the group; see the module comment. */
  async send(groupId: string, content: MessageContent, options: { storeInHistory?: boolean } = {}): Promise<GroupSendResult> {
    // An edit or delete for everyone is sent like a message but not stored as one (id 0).
    const addToHistory = (h: NewMessage) => (options.storeInHistory === false ? Promise.resolve(0) : this.d.outgoing.storeSent(h));
    return this.d.locks.run(groupPeer(groupId), async () => {
      const own = this.d.own();
      const me = { account: own.account, device: own.device };
      for (let attempt = 0; attempt < MAX_GROUP_SEND_ATTEMPTS; attempt++) {
        const { group, change } = await this.#group(groupId);
        const recipients = await this.#recipients(change.state, group.sharedWith);
        const distributionId = await this.#distribute(groupId, recipients);
        const timestamp = content.timestamp;
        const message: MessageContent = { ...content, group: contextOf(change), profileKey: own.profileKey };
        const plaintext = encodeContent(message);
        const certificate = await this.d.credentials.senderCertificate();
        const skm = await this.d.store.transaction(async (tx) => {
          const out = this.d.ops.encrypt(await tx.senderKeys.load(me, distributionId), distributionId, padPlaintext(plaintext));
          await tx.senderKeys.store(me, distributionId, out.record);
          await tx.sentLog.add({ recipient: groupSentLogAddress(groupId), ratchetKey: change.state.groupId, timestamp, content: plaintext, sentAt: this.d.now(), resends: 0 });
          return out.message;
        });
        const history = { direction: 'out' as const, peer: groupPeer(groupId), sender: me, timestamp, content: plaintext, envelopeId: undefined, storedAt: this.d.now(), delivered: true };
        if (recipients.length === 0) return { groupId, id: await addToHistory(history), devices: [], sentMessageBytes: 0 };
        const byAccount = new Map<string, RecipientDevice[]>();
        for (const r of recipients) byAccount.set(r.account, [...(byAccount.get(r.account) ?? []), r]);
        const sent = sealGroupMessage({
          message: skm,
          senderCertificate: certificate,
          contentHint: ContentHint.Resendable,
          groupId: change.state.groupId,
          senderIdentity: { privateKey: own.identityPrivateKey, publicKey: own.identityPublicKey },
          agreementCache: this.#agreements,
          recipients: [...byAccount].map(([account, devices]) => ({
            serviceId: account,
            identityKey: devices[0]!.identityKey,
            devices: devices.map((d) => ({ deviceId: d.device, registrationId: d.registrationId })),
          })),
        });
        const accessKeys = new Map<string, Uint8Array>();
        for (const account of byAccount.keys()) accessKeys.set(account, await this.d.contacts.accessKey(account));
        try {
          await this.d.relay.sendMultiRecipient(sent, accessKeys);
        } catch (error) {
          if (await this.#repair(groupId, error)) continue;
          throw error;
        }
        const id = await addToHistory(history);
        this.d.emit('relaySend', [{ recipient: { account: groupPeer(groupId), device: 0 }, bytes: sent.length, versionByte: sent[0]! }]);
        await this.#syncCopy(message, timestamp);
        return { groupId, id, devices: recipients.map((r) => `${r.account}.${r.device}`), sentMessageBytes: sent.length };
      }
      throw new ClientError('DEVICE_MISMATCH', `the members' device lists kept changing; gave up after ${MAX_GROUP_SEND_ATTEMPTS} attempts`);
    });
  }

  /**
   * Answers a decryption-error message about a group message from
   * `requester`: the logged messages it names (by the content timestamp, as
   * libsignal peers name them; else those sent within `RESEND_WINDOW_MS` of
   * the relay time our receivers name) are resent 1:1 to its account, each
   * with this device's current sender-key distribution message, so the
   * next group message decrypts too. Without a logged message only the
   * distribution message is sent. Returns how many messages were resent.
   */
  async resendAfterDecryptionError(requester: DeviceAddress, groupIdBytes: Uint8Array, timestamp: number): Promise<number> {
    const groupId = groupIdHex(groupIdBytes);
    return this.d.locks.run(groupPeer(groupId), async () => {
      const group = await this.d.store.groups.get(groupId);
      if (group === undefined || group.distributionId === undefined) return 0;
      const change = currentChange(group);
      if (memberOf(change.state, requester.account) === undefined || memberOf(change.state, this.d.own().account) === undefined) return 0;
      const own = this.d.own();
      const me = { account: own.account, device: own.device };
      const distributionId = group.distributionId;
      const distribution = await this.d.store.transaction(async (tx) => {
        const out = this.d.ops.distribution(await tx.senderKeys.load(me, distributionId), distributionId);
        await tx.senderKeys.store(me, distributionId, out.record);
        return out.message;
      });
      const address = groupSentLogAddress(groupId);
      const entries = await this.d.store.sentLog.find(address, groupIdBytes);
      const exact = entries.filter((e) => e.timestamp === timestamp);
      const pending = (exact.length > 0 ? exact : entries.filter((e) => Math.abs(e.sentAt - timestamp) <= RESEND_WINDOW_MS)).filter((e) => e.resends < MAX_GROUP_RESENDS);
      const now = this.d.now();
      if (pending.length === 0) {
        const content: MessageContent = { version: 1, timestamp: now, profileKey: own.profileKey, group: contextOf(change), senderKeyDistribution: distribution };
        await this.d.outgoing.sendContent(requester.account, encodeContent(content), now);
        return 0;
      }
      for (const entry of pending) {
        const content = { ...decodeContent(entry.content), senderKeyDistribution: distribution };
        await this.d.outgoing.sendContent(requester.account, encodeContent(content), entry.timestamp);
        await this.d.store.transaction(async (tx) => {
          await tx.sentLog.removeTimestamp(address, groupIdBytes, entry.timestamp);
          await tx.sentLog.add({ ...entry, resends: entry.resends + 1 });
        });
      }
      return pending.length;
    });
  }

  /** A copy for this account's other devices (1:1), so they show the message in the group. */
  async #syncCopy(message: MessageContent, timestamp: number): Promise<void> {
    const own = this.d.own();
    try {
      await this.d.outgoing.sendContent(own.account, encodeContent(message), timestamp);
    } catch (error) {
      this.d.emit('error', { error });
    }
  }
}

/** A new random distribution id (UUID version 4 text). */
export function newDistributionId(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return uuidFromBytes(b);
}
