/**
 * The receiving side of groups, called by `Incoming` for every decrypted
 * `Content` that names a group (whatever carried it: a sender-key message,
 * a 1:1 session message, a sync copy from our other device):
 *
 * - inside the envelope's transaction (`apply`): carried group changes are
 *   applied, a sender-key distribution message is processed (from a member),
 *   and a message's group context is checked (`checkMessageContext`); any
 *   refusal throws a `GroupError`, so the whole envelope — its ratchet or
 *   sender-key step included — rolls back and is quarantined;
 * - after it committed: events, a reply to a state request, and retries of
 *   quarantined envelopes that the new state or key may now open;
 * - after a refusal (`refused`): a device that is behind asks the sender for
 *   the changes it misses; an equivocation freezes the group and is reported.
 */
import { SealpostError } from '@sealpost/protocol';
import { equalBytes, fromHex } from '@sealpost/protocol/primitives';
import type { ClientEvents } from '../client-types.ts';
import type { Contacts } from '../contacts.ts';
import { encodeContent, type GroupContextFields, type MessageContent } from '../content.ts';
import { ClientError } from '../errors.ts';
import type { IncomingGroups, OpenedEnvelope, GroupInbound } from '../incoming.ts';
import type { Outgoing } from '../outgoing.ts';
import type { ClientStore, DeviceAddress, QuarantinedEnvelope, RegisteredAccount, StoreTransaction } from '../store/types.ts';
import { GroupError, isGroupError } from './errors.ts';
import { GROUP_ID_LENGTH, groupIdHex, memberOf, parseGroupChange } from './group-change.ts';
import { applyChanges, checkMessageContext, contextOf, currentChange } from './membership.ts';
import type { SenderKeyOps } from './sender-key-ops.ts';
import { groupPeer, type GroupChangeEvent } from './types.ts';
import { hasEditContent } from '../edits/apply-edit.ts';

/** Most changes one state reply carries (a device further behind asks again at the next message). */
export const MAX_CHANGES_PER_REPLY = 64;
/** A state request to one sender for one group is repeated at most this often, ms. */
export const STATE_REQUEST_INTERVAL_MS = 5_000;

/** What `GroupReceiver` works with. */
export interface GroupReceiverDeps {
  store: ClientStore;
  outgoing: Outgoing;
  contacts: Contacts;
  ops: SenderKeyOps;
  own: () => RegisteredAccount;
  now: () => number;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Retries the quarantined envelopes `filter` selects (each once). */
  retryQuarantined: (filter: (q: QuarantinedEnvelope) => boolean) => Promise<void>;
}

/** True when `content` says something to show (not only group control fields). */
export function hasUserContent(c: MessageContent): boolean {
  return c.text !== undefined || c.reaction !== undefined || c.attachments !== undefined || c.previews !== undefined || c.replyTo !== undefined || hasEditContent(c)
    || c.expireTimer?.update === true; // a disappearing-timer change: a visible event in the group
}

const sameDevice = (a: DeviceAddress | undefined, b: DeviceAddress) => a !== undefined && a.account === b.account && a.device === b.device;

/** The group handling of received content. */
export class GroupReceiver implements IncomingGroups {
  readonly #requested = new Map<string, number>();

  constructor(private readonly d: GroupReceiverDeps) {}

  async apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<GroupInbound | undefined> {
    const context = content.group;
    if (context === undefined) {
      if (opened.contentType === 7) throw new ClientError('INVALID_DATA', 'a group message without a group context');
      return undefined;
    }
    if (context.id.length !== GROUP_ID_LENGTH) throw new ClientError('INVALID_DATA', `a group id of ${context.id.length} bytes`);
    if (opened.groupId !== undefined && !equalBytes(opened.groupId, context.id)) throw new ClientError('INVALID_DATA', 'the sealed group id differs from the content group id');
    const groupId = groupIdHex(context.id);
    const own = this.d.own();
    const events = content.groupChanges === undefined ? [] : await applyChanges(tx, { own, contacts: this.d.contacts, now }, groupId, content.groupChanges);
    const distribution = content.senderKeyDistribution;
    if (distribution !== undefined) await this.#processDistribution(tx, groupId, opened.sender, distribution, context.epoch);
    const peer = groupPeer(groupId);
    let store = false;
    if (hasUserContent(content)) {
      await checkMessageContext(tx, own, context, opened.sender);
      // A message resent 1:1 after a decryption-error message may already be here (same device, same timestamp).
      store = opened.contentType === 7 || !(await this.#storedAlready(tx, peer, opened.sender, content.timestamp));
    }
    const request = content.groupStateRequest === true ? context : undefined;
    return { peer, store, after: () => this.#after(groupId, opened.sender, events, distribution !== undefined, request) };
  }

  async #processDistribution(tx: StoreTransaction, groupId: string, sender: DeviceAddress, message: Uint8Array, epoch: number): Promise<void> {
    const group = await tx.groups.get(groupId);
    if (group === undefined) throw new GroupError('GROUP_EPOCH_AHEAD', groupId, 'a sender key for a group this device does not know (yet)', epoch);
    if (memberOf(currentChange(group).state, sender.account) === undefined) {
      // From an epoch this device has not reached, the sender may be a member it does not know of yet.
      if (epoch > group.epoch) throw new GroupError('GROUP_EPOCH_AHEAD', groupId, `a sender key at epoch ${epoch}; this device is at ${group.epoch}`, epoch);
      throw new GroupError('GROUP_NOT_MEMBER', groupId, `a sender key from ${sender.account}, not a member at epoch ${group.epoch}`, group.epoch);
    }
    let out;
    try {
      const distributionId = this.d.ops.distributionIdOf(message);
      out = this.d.ops.process(await tx.senderKeys.load(sender, distributionId), message);
    } catch (error) {
      // The 1:1 session worked; a bad distribution message inside it must not read as a broken session (no retry request).
      if (error instanceof SealpostError) throw new ClientError('INVALID_DATA', `malformed sender-key distribution message: ${error.message}`, { cause: error });
      throw error;
    }
    await tx.senderKeys.store(sender, out.distributionId, out.record);
  }

  async #storedAlready(tx: StoreTransaction, peer: string, sender: DeviceAddress, timestamp: number): Promise<boolean> {
    for (const m of await tx.history.conversation(peer, 64)) if (m.timestamp === timestamp && sameDevice(m.sender, sender)) return true;
    return false;
  }

  async #after(groupId: string, sender: DeviceAddress, events: GroupChangeEvent[], distribution: boolean, request: GroupContextFields | undefined): Promise<void> {
    for (const e of events) this.d.emit('groupChanged', e);
    if (events.length > 0) await this.d.retryQuarantined((q) => q.reason === 'GROUP_EPOCH_AHEAD');
    if (distribution) await this.d.retryQuarantined((q) => sameDevice(q.sender, sender));
    if (request !== undefined) await this.answer(sender, groupId, request).catch((error: unknown) => this.d.emit('error', { error }));
  }

  async refused(opened: OpenedEnvelope, error: unknown): Promise<void> {
    if (!isGroupError(error)) return;
    if (error.code === 'GROUP_EPOCH_AHEAD') await this.requestState(opened.sender.account, error.groupId);
    if (error.code === 'GROUP_EQUIVOCATION') {
      const evidence = error.evidence ?? new Uint8Array(32);
      const epoch = error.epoch ?? 0;
      await this.d.store.transaction(async (tx) => {
        const g = await tx.groups.get(error.groupId);
        if (g !== undefined && g.conflict === undefined) await tx.groups.put({ ...g, conflict: { epoch, hash: evidence }, updatedAt: this.d.now() });
      });
      this.d.emit('groupConflict', { groupId: error.groupId, epoch, from: opened.sender, error });
    }
  }

  /** Asks `account` (all its devices) for the changes of `groupId` after this device's epoch (at most once per interval). */
  async requestState(account: string, groupId: string): Promise<void> {
    const key = `${groupId}/${account}`;
    const now = this.d.now();
    if (now - (this.#requested.get(key) ?? -Infinity) < STATE_REQUEST_INTERVAL_MS) return;
    this.#requested.set(key, now);
    const group = await this.d.store.groups.get(groupId);
    const context = group === undefined ? { id: fromHex(groupId), epoch: 0, stateHash: new Uint8Array(0) } : contextOf(currentChange(group));
    const own = this.d.own();
    await this.d.outgoing.sendContent(account, encodeContent({ version: 1, timestamp: now, profileKey: own.profileKey, group: context, groupStateRequest: true }), now);
  }

  /**
   * Answers a state request from `requester`, who is at `theirs`: the
   * logged changes after its epoch when its hash matches ours for that
   * epoch, else our current change only (a device that does not know the
   * group yet). Only members (now, or at the requester's epoch, so a
   * removed member learns of its removal) get an answer.
   */
  async answer(requester: DeviceAddress, groupId: string, theirs: GroupContextFields): Promise<void> {
    const group = await this.d.store.groups.get(groupId);
    if (group === undefined) return;
    const current = currentChange(group);
    const logged = theirs.epoch <= current.state.epoch ? await this.d.store.groups.change(groupId, theirs.epoch) : undefined;
    const atTheirs = logged === undefined ? undefined : parseGroupChange(logged, groupId);
    const member = memberOf(current.state, requester.account) !== undefined || (atTheirs !== undefined && memberOf(atTheirs.state, requester.account) !== undefined);
    if (!member) return;
    const inStep = atTheirs !== undefined && equalBytes(atTheirs.hash, theirs.stateHash);
    const changes = inStep ? await this.d.store.groups.changesAfter(groupId, theirs.epoch, MAX_CHANGES_PER_REPLY) : [current.bytes];
    if (changes.length === 0) return;
    const own = this.d.own();
    const now = this.d.now();
    await this.d.outgoing.sendContent(requester.account, encodeContent({ version: 1, timestamp: now, profileKey: own.profileKey, group: contextOf(current), groupChanges: changes }), now);
  }
}
