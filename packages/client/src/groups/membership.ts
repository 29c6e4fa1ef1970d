/**
 * Membership inside one store transaction: applying signed group changes
 * (verify, check the transition, detect equivocation, store, log) and
 * checking the group context every group message carries. Everything here
 * throws a `GroupError` and writes nothing on refusal (the caller's
 * transaction rolls back).
 */
import { equalBytes, toHex } from '@sealpost/protocol/primitives';
import type { Contacts } from '../contacts.ts';
import type { GroupContextFields } from '../content.ts';
import type { DeviceAddress, RegisteredAccount, StoreTransaction, StoredGroup } from '../store/types.ts';
import { GroupError } from './errors.ts';
import { checkTransition, groupIdHex, memberOf, parseGroupChange, verifyGroupChange, type GroupChangeData, type GroupStateData } from './group-change.ts';
import type { GroupChangeEvent } from './types.ts';

/** The parsed current change of a stored group. */
export const currentChange = (group: StoredGroup): GroupChangeData => parseGroupChange(group.change, group.groupId);

/** The group context of a stored group (what its messages carry). */
export function contextOf(change: GroupChangeData): GroupContextFields {
  return { id: change.state.groupId, epoch: change.state.epoch, stateHash: change.hash };
}

/** The identity key `account` signs with: ours for our own account, else the one trusted for it. */
async function authorIdentity(tx: StoreTransaction, own: RegisteredAccount, change: GroupChangeData): Promise<Uint8Array> {
  if (change.author.account === own.account) return own.identityPublicKey;
  const trusted = await tx.identities.trusted(change.author.account);
  if (trusted === undefined) {
    throw new GroupError('GROUP_FORGED_CHANGE', groupIdHex(change.state.groupId), `no identity key known for the author ${change.author.account}`, change.state.epoch);
  }
  return trusted.identityKey;
}

/** What one applied change means, as an event. */
export function changeEvent(prev: GroupStateData | undefined, next: GroupChangeData, self: string): GroupChangeEvent {
  const before = new Set(prev?.members.map((m) => m.account) ?? []);
  const after = new Set(next.state.members.map((m) => m.account));
  const added = [...after].filter((a) => !before.has(a));
  const removed = [...before].filter((a) => !after.has(a));
  let role: GroupChangeEvent['self'] = 'member';
  if (prev === undefined) role = next.state.epoch === 0 ? 'created' : 'joined';
  else if (removed.includes(self)) role = next.author.account === self ? 'left' : 'removed';
  else if (added.includes(self)) role = 'joined';
  return {
    groupId: groupIdHex(next.state.groupId),
    epoch: next.state.epoch,
    author: next.author,
    title: next.state.title,
    added,
    removed,
    renamed: prev !== undefined && prev.title !== next.state.title,
    self: role,
  };
}

/** Dependencies of `applyChanges`. */
export interface MembershipContext {
  own: RegisteredAccount;
  contacts: Contacts;
  now: number;
}

/** Stores `next` as the group's current change (and logs it); a removal drops this device's distribution so its next send rotates. */
export async function storeChange(tx: StoreTransaction, ctx: MembershipContext, group: StoredGroup | undefined, prev: GroupStateData | undefined, next: GroupChangeData): Promise<StoredGroup> {
  const hex = groupIdHex(next.state.groupId);
  const removedSomeone = prev !== undefined && prev.members.some((m) => memberOf(next.state, m.account) === undefined);
  const record: StoredGroup = {
    groupId: hex,
    epoch: next.state.epoch,
    change: next.bytes,
    distributionId: removedSomeone ? undefined : group?.distributionId,
    distributionCreatedAt: removedSomeone ? undefined : group?.distributionCreatedAt,
    sharedWith: removedSomeone ? [] : (group?.sharedWith ?? []),
    conflict: group?.conflict,
    updatedAt: ctx.now,
  };
  await tx.groups.put(record);
  // Our own chain of the dropped distribution is never used again.
  if (removedSomeone && group?.distributionId !== undefined) await tx.senderKeys.remove({ account: ctx.own.account, device: ctx.own.device }, group.distributionId);
  await tx.groups.addChange(hex, next.state.epoch, next.bytes);
  // Members' profile keys come with the state; a key we already hold is never overwritten by an admin's claim.
  for (const m of next.state.members) {
    if (m.account !== ctx.own.account && (await tx.contacts.get(m.account)) === undefined) await ctx.contacts.learn(tx.contacts, m.account, m.profileKey);
  }
  return record;
}

/**
 * Applies serialized changes (oldest first) to group `groupId`. Duplicates
 * of logged changes are skipped. Refusals: a change for a group other than
 * `groupId` or one that does not verify or follow (`GROUP_FORGED_CHANGE`);
 * another change for a logged epoch (`GROUP_EQUIVOCATION`, the error's
 * `epoch`); an epoch before this device's log (`GROUP_STALE_EPOCH`); a gap
 * (`GROUP_EPOCH_AHEAD`). Returns the events of the changes applied.
 */
export async function applyChanges(tx: StoreTransaction, ctx: MembershipContext, groupId: string, changes: readonly Uint8Array[]): Promise<GroupChangeEvent[]> {
  const events: GroupChangeEvent[] = [];
  let group = await tx.groups.get(groupId);
  for (const bytes of changes) {
    const next = parseGroupChange(bytes, groupId);
    const hex = groupIdHex(next.state.groupId);
    if (hex !== groupId) throw new GroupError('GROUP_FORGED_CHANGE', groupId, 'a change of another group', next.state.epoch);
    if (group === undefined) {
      verifyGroupChange(next, await authorIdentity(tx, ctx.own, next));
      checkTransition(undefined, next, ctx.own.account);
      group = await storeChange(tx, ctx, undefined, undefined, next);
      events.push(changeEvent(undefined, next, ctx.own.account));
      continue;
    }
    const current = currentChange(group);
    const epoch = next.state.epoch;
    if (epoch <= current.state.epoch) {
      const logged = epoch === current.state.epoch ? current.bytes : await tx.groups.change(groupId, epoch);
      if (logged !== undefined && equalBytes(logged, bytes)) continue;
      if (logged === undefined) throw new GroupError('GROUP_STALE_EPOCH', groupId, `a change for epoch ${epoch}, before this device's first known epoch`, epoch);
      // Only a validly signed other change is equivocation; anything else is a forgery.
      verifyGroupChange(next, await authorIdentity(tx, ctx.own, next));
      throw new GroupError('GROUP_EQUIVOCATION', groupId, `two different changes for epoch ${epoch}`, epoch, next.hash);
    }
    if (epoch > current.state.epoch + 1) throw new GroupError('GROUP_EPOCH_AHEAD', groupId, `a change for epoch ${epoch}; this device is at ${current.state.epoch}`, epoch);
    verifyGroupChange(next, await authorIdentity(tx, ctx.own, next));
    checkTransition(current, next, ctx.own.account);
    group = await storeChange(tx, ctx, group, current.state, next);
    events.push(changeEvent(current.state, next, ctx.own.account));
  }
  return events;
}

/**
 * Checks a group message's context against the stored group: the sender
 * must be a member at the message's epoch (and still, for an older epoch),
 * the state hash must match what this device holds for that epoch, and this
 * device's account must still be a member. Throws `GROUP_UNKNOWN` /
 * `GROUP_EPOCH_AHEAD` (this device is behind: ask for the changes),
 * `GROUP_EQUIVOCATION`, `GROUP_STALE_EPOCH` or `GROUP_NOT_MEMBER`.
 */
export async function checkMessageContext(tx: StoreTransaction, own: RegisteredAccount, context: GroupContextFields, sender: DeviceAddress): Promise<StoredGroup> {
  const hex = groupIdHex(context.id);
  const group = await tx.groups.get(hex);
  if (group === undefined) throw new GroupError('GROUP_EPOCH_AHEAD', hex, 'a message of a group this device does not know (yet)', context.epoch);
  const current = currentChange(group);
  const epoch = context.epoch;
  if (epoch > current.state.epoch) throw new GroupError('GROUP_EPOCH_AHEAD', hex, `a message at epoch ${epoch}; this device is at ${current.state.epoch}`, epoch);
  let at: GroupChangeData = current;
  if (epoch < current.state.epoch) {
    const logged = await tx.groups.change(hex, epoch);
    if (logged === undefined) throw new GroupError('GROUP_STALE_EPOCH', hex, `a message at epoch ${epoch}, before this device's first known epoch`, epoch);
    at = parseGroupChange(logged, hex);
  }
  if (!equalBytes(at.hash, context.stateHash)) {
    throw new GroupError('GROUP_EQUIVOCATION', hex, `${sender.account}.${sender.device} has another state for epoch ${epoch} (${toHex(context.stateHash).slice(0, 16)}…)`, epoch, context.stateHash.slice());
  }
  if (memberOf(at.state, sender.account) === undefined) throw new GroupError('GROUP_NOT_MEMBER', hex, `${sender.account} is not a member at epoch ${epoch}`, epoch);
  if (at !== current && memberOf(current.state, sender.account) === undefined) {
    throw new GroupError('GROUP_STALE_EPOCH', hex, `a message at epoch ${epoch} from ${sender.account}, who is no longer a member at ${current.state.epoch}`, epoch);
  }
  if (memberOf(current.state, own.account) === undefined) throw new GroupError('GROUP_NOT_MEMBER', hex, 'this account is no longer a member', epoch);
  return group;
}
