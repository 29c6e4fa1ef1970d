/**
 * `client.groups`: create a group, add and remove members, rename, leave,
 * send and read. Membership is managed by the clients and end-to-end
 * encrypted (docs/groups.md): each change is a new epoch, signed by an
 * admin (or by a member leaving), hash-chained to the previous one and
 * delivered 1:1 to the old and new members (and this account's other
 * devices). Messages go out through `GroupSender` (sender keys, one sealed
 * sender v2 send).
 */
import { randomBytes, toHex } from '@sealpost/protocol/primitives';
import type { ClientEvents } from '../client-types.ts';
import type { Contacts } from '../contacts.ts';
import { decodeContent, encodeContent, type MessageContent, type MessageRef } from '../content.ts';
import type { Edits, EditSendResult } from '../edits/edits.ts';
import { ClientError } from '../errors.ts';
import type { Outgoing, OutgoingMessage } from '../outgoing.ts';
import { outgoingContent } from '../outgoing-types.ts';
import type { SessionLocks } from '../session-transaction.ts';
import type { ClientStore, ConversationTimer, RegisteredAccount, StoredGroup, StoredMessage } from '../store/types.ts';
import { GroupError } from './errors.ts';
import { GROUP_ID_LENGTH, checkTransition, memberOf, signGroupChange, type GroupChangeData, type GroupMemberInfo, type GroupStateData } from './group-change.ts';
import type { GroupSender, GroupSendResult } from './group-send.ts';
import { changeEvent, contextOf, currentChange, storeChange } from './membership.ts';
import { groupPeer, type GroupInfo } from './types.ts';

/** What `Groups` works with. */
export interface GroupsDeps {
  store: ClientStore;
  outgoing: Outgoing;
  contacts: Contacts;
  sender: GroupSender;
  locks: SessionLocks;
  own: () => RegisteredAccount;
  now: () => number;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Edits and deletes for everyone (src/edits/edits.ts). */
  edits: () => Edits;
  /** Disappearing messages (client.ts wires it): sets a conversation's timer. */
  setDisappearingTimer?: (peer: string, seconds: number) => Promise<ConversationTimer | undefined>;
}

/** Options of `Groups.create`. */
export interface CreateGroupOptions {
  title?: string;
  /** The other members' account ids (their contact cards must be known). */
  members: readonly string[];
}

/** The app-facing view of a stored group. */
export function groupInfo(group: StoredGroup, ownAccount: string): GroupInfo {
  const change = currentChange(group);
  const info: GroupInfo = {
    id: group.groupId,
    epoch: group.epoch,
    title: change.state.title,
    members: change.state.members.map((m) => ({ account: m.account, role: m.role, addedEpoch: m.addedEpoch })),
    isMember: memberOf(change.state, ownAccount) !== undefined,
    stateHash: toHex(change.hash),
  };
  if (group.conflict !== undefined) info.conflict = { epoch: group.conflict.epoch };
  return info;
}

/** The groups API of one client. */
export class Groups {
  constructor(private readonly d: GroupsDeps) {}

  async #member(account: string, epoch: number, role: GroupMemberInfo['role'] = 'member'): Promise<GroupMemberInfo> {
    const profileKey = await this.d.contacts.profileKey(account);
    if (profileKey === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no contact card for ${account}: call addContact() first`);
    return { account, role, addedEpoch: epoch, profileKey };
  }

  /** Delivers `change` 1:1 to `accounts` (failures are reported as `error` events: those members catch up later). */
  async #deliver(change: GroupChangeData, accounts: Iterable<string>): Promise<void> {
    const own = this.d.own();
    const now = this.d.now();
    const plaintext = encodeContent({ version: 1, timestamp: now, profileKey: own.profileKey, group: contextOf(change), groupChanges: [change.bytes] });
    for (const account of new Set(accounts)) {
      try {
        await this.d.outgoing.sendContent(account, plaintext, now);
      } catch (error) {
        this.d.emit('error', { error });
      }
    }
  }

  /** Creates a group with this account as its admin; returns it once every member was sent the change. */
  async create(options: CreateGroupOptions): Promise<GroupInfo> {
    const own = this.d.own();
    const others = [...new Set(options.members)].filter((a) => a !== own.account);
    const members = [await this.#member(own.account, 0, 'admin'), ...(await Promise.all(others.map((a) => this.#member(a, 0))))];
    const state: GroupStateData = { groupId: randomBytes(GROUP_ID_LENGTH), epoch: 0, prevHash: new Uint8Array(32), members, title: options.title ?? '' };
    const change = signGroupChange(state, { account: own.account, device: own.device }, { privateKey: own.identityPrivateKey, publicKey: own.identityPublicKey });
    const now = this.d.now();
    const group = await this.d.store.transaction((tx) => storeChange(tx, { own, contacts: this.d.contacts, now }, undefined, undefined, change));
    this.d.emit('groupChanged', changeEvent(undefined, change, own.account));
    await this.#deliver(change, [own.account, ...others]);
    return groupInfo(group, own.account);
  }

  /**
   * Makes the next epoch of `groupId` from `mutate` (current state in, new
   * members and title out), signs, stores and delivers it. Only an admin may
   * change a group, except that any member may leave (`GROUP_NOT_MEMBER`).
   */
  async #change(groupId: string, mutate: (state: GroupStateData, epoch: number) => Promise<Pick<GroupStateData, 'members' | 'title'>>): Promise<GroupInfo> {
    return this.d.locks.run(groupPeer(groupId), async () => {
      const own = this.d.own();
      const group = await this.d.store.groups.get(groupId);
      if (group === undefined) throw new GroupError('GROUP_UNKNOWN', groupId, 'no such group on this device');
      if (group.conflict !== undefined) throw new GroupError('GROUP_EQUIVOCATION', groupId, `two states were seen for epoch ${group.conflict.epoch}; changes are refused until resolved`, group.conflict.epoch);
      const current = currentChange(group);
      const epoch = current.state.epoch + 1;
      const { members, title } = await mutate(current.state, epoch);
      const state: GroupStateData = { groupId: current.state.groupId, epoch, prevHash: current.hash, members, title };
      const next = signGroupChange(state, { account: own.account, device: own.device }, { privateKey: own.identityPrivateKey, publicKey: own.identityPublicKey });
      checkTransition(current, next, own.account);
      const now = this.d.now();
      const stored = await this.d.store.transaction(async (tx) => {
        // A change received meanwhile (another admin's) wins: ours would fork the chain.
        const fresh = await tx.groups.get(groupId);
        if (fresh === undefined || fresh.epoch !== current.state.epoch) throw new GroupError('GROUP_STALE_EPOCH', groupId, `the group moved to epoch ${fresh?.epoch} meanwhile; make the change again`, epoch);
        return storeChange(tx, { own, contacts: this.d.contacts, now }, fresh, current.state, next);
      });
      this.d.emit('groupChanged', changeEvent(current.state, next, own.account));
      // The old and the new members: a removed member learns of its removal.
      await this.#deliver(next, [own.account, ...current.state.members.map((m) => m.account), ...members.map((m) => m.account)]);
      return groupInfo(stored, own.account);
    });
  }

  /** Adds members (admins only). */
  addMembers(groupId: string, accounts: readonly string[]): Promise<GroupInfo> {
    return this.#change(groupId, async (state, epoch) => {
      const added = [...new Set(accounts)].filter((a) => memberOf(state, a) === undefined);
      return { title: state.title, members: [...state.members, ...(await Promise.all(added.map((a) => this.#member(a, epoch))))] };
    });
  }

  /** Removes members (admins only); every member's next send uses a new sender key the removed ones never get. */
  removeMembers(groupId: string, accounts: readonly string[]): Promise<GroupInfo> {
    return this.#change(groupId, async (state) => ({ title: state.title, members: state.members.filter((m) => !accounts.includes(m.account)) }));
  }

  /** Renames the group (admins only). */
  rename(groupId: string, title: string): Promise<GroupInfo> {
    return this.#change(groupId, async (state) => ({ title, members: [...state.members] }));
  }

  /** Leaves the group (any member). */
  leave(groupId: string): Promise<GroupInfo> {
    const own = this.d.own().account;
    return this.#change(groupId, async (state) => ({ title: state.title, members: state.members.filter((m) => m.account !== own) }));
  }

  /** Sends a message to every member device (one sealed sender v2 send); resolves once the relay accepted it. */
  async send(groupId: string, message: OutgoingMessage): Promise<GroupSendResult> {
    const timestamp = message.timestamp ?? this.d.now();
    return this.d.sender.send(groupId, outgoingContent(message, timestamp, message.expireTimer ?? (await this.d.outgoing.expireTimerOf(groupPeer(groupId)))));
  }

  /** Edits our message `target` in the group for every member (src/edits/; `EditError` when not ours, too old or deleted). */
  edit(groupId: string, target: MessageRef, text: string): Promise<EditSendResult> {
    return this.d.edits().groupEdit(groupId, target, text);
  }

  /** Deletes our message `target` in the group for every member (src/edits/). */
  deleteForEveryone(groupId: string, target: MessageRef): Promise<EditSendResult> {
    return this.d.edits().groupDelete(groupId, target);
  }

  /** Sets the group's disappearing-messages timer (seconds, 0 = off); any member may (see disappearing/). */
  async setDisappearingTimer(groupId: string, seconds: number): Promise<ConversationTimer | undefined> {
    if (this.d.setDisappearingTimer === undefined) throw new ClientError('INVALID_DATA', 'disappearing messages are not wired into this client');
    return this.d.setDisappearingTimer(groupPeer(groupId), seconds);
  }

  /** The group, if this device knows it. */
  async get(groupId: string): Promise<GroupInfo | undefined> {
    const group = await this.d.store.groups.get(groupId);
    return group === undefined ? undefined : groupInfo(group, this.d.own().account);
  }

  /** Every group this device knows. */
  async list(): Promise<GroupInfo[]> {
    const own = this.d.own().account;
    return (await this.d.store.groups.list()).map((g) => groupInfo(g, own));
  }

  /** The group's stored messages, oldest first. */
  async history(groupId: string, limit?: number): Promise<(StoredMessage & { decoded: MessageContent })[]> {
    return (await this.d.store.history.conversation(groupPeer(groupId), limit)).map((m) => ({ ...m, decoded: decodeContent(m.content) }));
  }

  /**
   * Lifts the freeze of a group in conflict, keeping this device's state
   * (after the users compared state hashes out of band and agreed on it).
   */
  async clearConflict(groupId: string): Promise<void> {
    await this.d.store.transaction(async (tx) => {
      const g = await tx.groups.get(groupId);
      if (g !== undefined) await tx.groups.put({ ...g, conflict: undefined, updatedAt: this.d.now() });
    });
  }
}
