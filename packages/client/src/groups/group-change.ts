/**
 * Group changes (pure functions, no store): a `GroupState` is the whole
 * membership at one epoch; a `GroupChange` is that state signed by its
 * author's identity key (XEdDSA over "SealpostGroupChange/v1" ‖ state). The
 * changes form a hash chain: each state names SHA-256 of the previous
 * serialized change. See docs/groups.md for the rules `checkTransition`
 * enforces.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { signWithIdentityKey, verifyIdentitySignature, type IdentityKeyPair } from '@sealpost/protocol';
import { concatBytes, equalBytes, sha256, toHex } from '@sealpost/protocol/primitives';
import { GroupChangeSchema, GroupMemberSchema, GroupStateSchema } from '../gen/content_pb.ts';
import type { DeviceAddress } from '../store/types.ts';
import { GroupError } from './errors.ts';

/** Length of a group id (random bytes). */
export const GROUP_ID_LENGTH = 32;
/** Most members a group may have (Signal's hard limit is of this order). */
export const MAX_GROUP_MEMBERS = 1000;
/** Longest title, in UTF-16 code units. */
export const MAX_GROUP_TITLE = 256;
const SIGNATURE_CONTEXT = new TextEncoder().encode('SealpostGroupChange/v1');
const ZERO_HASH = new Uint8Array(32);

/** A member's role. */
export type GroupRole = 'member' | 'admin';

/** One member of a group state. */
export interface GroupMemberInfo {
  readonly account: string;
  readonly role: GroupRole;
  /** The epoch it was added at. */
  readonly addedEpoch: number;
  /** Its 32-byte profile key (so other members can derive its access key). */
  readonly profileKey: Uint8Array;
}

/** The state of a group at one epoch. */
export interface GroupStateData {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  /** SHA-256 of the previous epoch's serialized change (zeros at epoch 0). */
  readonly prevHash: Uint8Array;
  /** Sorted by account id, no duplicates. */
  readonly members: readonly GroupMemberInfo[];
  readonly title: string;
}

/** A parsed, canonical group change (its signature not yet checked: see `verifyGroupChange`). */
export interface GroupChangeData {
  /** The serialized GroupChange exactly as signed and sent. */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`: what the next state's `prevHash` and every message's `stateHash` name. */
  readonly hash: Uint8Array;
  readonly state: GroupStateData;
  readonly author: DeviceAddress;
  readonly signature: Uint8Array;
  /** The serialized state the signature covers. */
  readonly stateBytes: Uint8Array;
}

/** The group id as text (64 hex digits): how the API and the history name a group. */
export const groupIdHex = (id: Uint8Array): string => toHex(id);

/** The member `account` of `state`, if any. */
export function memberOf(state: GroupStateData, account: string): GroupMemberInfo | undefined {
  return state.members.find((m) => m.account === account);
}

function checkState(state: GroupStateData, hex: string): void {
  const bad = (why: string) => new GroupError('GROUP_FORGED_CHANGE', hex, why, state.epoch);
  if (state.groupId.length !== GROUP_ID_LENGTH) throw bad(`group id must be ${GROUP_ID_LENGTH} bytes`);
  if (state.prevHash.length !== 32) throw bad('previous hash must be 32 bytes');
  if (state.epoch === 0 && !equalBytes(state.prevHash, ZERO_HASH)) throw bad('epoch 0 must have a zero previous hash');
  if (state.members.length > MAX_GROUP_MEMBERS) throw bad(`more than ${MAX_GROUP_MEMBERS} members`);
  if (state.title.length > MAX_GROUP_TITLE) throw bad(`title longer than ${MAX_GROUP_TITLE}`);
  for (let i = 0; i < state.members.length; i++) {
    const m = state.members[i]!;
    if (m.account.length === 0 || m.account.length > 64) throw bad('a member has no valid account id');
    if (i > 0 && !(state.members[i - 1]!.account < m.account)) throw bad('members are not sorted and unique');
    if (m.profileKey.length !== 32) throw bad(`member ${m.account} has no 32-byte profile key`);
    if (m.addedEpoch > state.epoch) throw bad(`member ${m.account} is added after the state's epoch`);
  }
}

/** The canonical serialization of `state` (members sorted by account id). */
export function encodeGroupState(state: GroupStateData): Uint8Array {
  const members = [...state.members].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  checkState({ ...state, members }, groupIdHex(state.groupId));
  return toBinary(
    GroupStateSchema,
    create(GroupStateSchema, {
      groupId: state.groupId,
      epoch: BigInt(state.epoch),
      prevHash: state.prevHash,
      title: state.title,
      members: members.map((m) =>
        create(GroupMemberSchema, { accountId: m.account, role: m.role === 'admin' ? 1 : 0, addedEpoch: BigInt(m.addedEpoch), profileKey: m.profileKey }),
      ),
    }),
  );
}

/** Signs `state` as `author` (whose identity key pair is `identity`). */
export function signGroupChange(state: GroupStateData, author: DeviceAddress, identity: IdentityKeyPair): GroupChangeData {
  const stateBytes = encodeGroupState(state);
  const signature = signWithIdentityKey(identity, concatBytes(SIGNATURE_CONTEXT, stateBytes));
  const bytes = toBinary(GroupChangeSchema, create(GroupChangeSchema, { state: stateBytes, author: author.account, authorDevice: author.device, signature }));
  return parseGroupChange(bytes);
}

/**
 * Parses a serialized GroupChange. Anything that is not the canonical
 * encoding of a well-formed change (re-serialized byte-equal) is
 * `GROUP_FORGED_CHANGE`. The signature is checked by `verifyGroupChange`.
 */
export function parseGroupChange(bytes: Uint8Array, hexHint = '?'): GroupChangeData {
  const bad = (why: string) => new GroupError('GROUP_FORGED_CHANGE', hexHint, why);
  let change;
  let pb;
  try {
    change = fromBinary(GroupChangeSchema, bytes);
    pb = fromBinary(GroupStateSchema, change.state);
  } catch {
    throw bad('not a GroupChange protobuf');
  }
  if (pb.epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('epoch out of range');
  const state: GroupStateData = {
    groupId: pb.groupId.slice(),
    epoch: Number(pb.epoch),
    prevHash: pb.prevHash.slice(),
    title: pb.title,
    members: pb.members.map((m) => {
      if (m.role > 1 || m.addedEpoch > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('a member has an unknown role or epoch');
      return { account: m.accountId, role: m.role === 1 ? 'admin' : 'member', addedEpoch: Number(m.addedEpoch), profileKey: m.profileKey.slice() };
    }),
  };
  const hex = groupIdHex(state.groupId);
  const canonicalState = encodeGroupState(state);
  if (!equalBytes(canonicalState, change.state)) throw new GroupError('GROUP_FORGED_CHANGE', hex, 'state is not canonically encoded', state.epoch);
  const canonical = toBinary(GroupChangeSchema, create(GroupChangeSchema, { state: change.state, author: change.author, authorDevice: change.authorDevice, signature: change.signature }));
  if (!equalBytes(canonical, bytes)) throw new GroupError('GROUP_FORGED_CHANGE', hex, 'change is not canonically encoded', state.epoch);
  if (change.signature.length !== 64) throw new GroupError('GROUP_FORGED_CHANGE', hex, 'signature must be 64 bytes', state.epoch);
  return {
    bytes: bytes.slice(),
    hash: sha256(bytes),
    state,
    author: { account: change.author, device: change.authorDevice },
    signature: change.signature.slice(),
    stateBytes: change.state.slice(),
  };
}

/** Throws `GROUP_FORGED_CHANGE` unless `change` is signed by `authorIdentityKey` (33 bytes). */
export function verifyGroupChange(change: GroupChangeData, authorIdentityKey: Uint8Array): void {
  if (!verifyIdentitySignature(authorIdentityKey, concatBytes(SIGNATURE_CONTEXT, change.stateBytes), change.signature)) {
    throw new GroupError('GROUP_FORGED_CHANGE', groupIdHex(change.state.groupId), `signature does not verify with ${change.author.account}'s identity key`, change.state.epoch);
  }
}

const sameMember = (a: GroupMemberInfo, b: GroupMemberInfo): boolean =>
  a.account === b.account && a.role === b.role && a.addedEpoch === b.addedEpoch && equalBytes(a.profileKey, b.profileKey);

/**
 * Checks that `next` may follow `prev` (signature already verified):
 * same group, epoch + 1, previous hash = `prev`'s hash, the author a member
 * of `prev`; an admin may change anything, a plain member only remove
 * itself (leave); new members carry `addedEpoch = next.epoch`, kept members
 * keep theirs. Without `prev` (a group this device does not know yet:
 * created, joined, or a new device of a member), `next` must have `self` as
 * a member and an admin of it as its author.
 */
export function checkTransition(prev: GroupChangeData | undefined, next: GroupChangeData, self: string): void {
  const hex = groupIdHex(next.state.groupId);
  const bad = (why: string) => new GroupError('GROUP_FORGED_CHANGE', hex, why, next.state.epoch);
  const authorNow = memberOf(next.state, next.author.account);
  if (prev === undefined) {
    if (authorNow?.role !== 'admin') throw bad('the author is not an admin of the group it describes');
    if (memberOf(next.state, self) === undefined) throw new GroupError('GROUP_NOT_MEMBER', hex, 'a state of a group this device is not a member of', next.state.epoch);
    return;
  }
  if (!equalBytes(prev.state.groupId, next.state.groupId)) throw bad('another group');
  if (next.state.epoch !== prev.state.epoch + 1) throw bad(`epoch ${next.state.epoch} does not follow ${prev.state.epoch}`);
  if (!equalBytes(next.state.prevHash, prev.hash)) throw bad('previous hash does not name the current change');
  const author = memberOf(prev.state, next.author.account);
  if (author === undefined) throw new GroupError('GROUP_NOT_MEMBER', hex, `author ${next.author.account} is not a member at epoch ${prev.state.epoch}`, next.state.epoch);
  for (const m of next.state.members) {
    const before = memberOf(prev.state, m.account);
    if (before === undefined ? m.addedEpoch !== next.state.epoch : m.addedEpoch !== before.addedEpoch) throw bad(`member ${m.account} has a wrong added epoch`);
  }
  if (author.role === 'admin') return;
  // A plain member may only leave: the same state without itself.
  const expected = prev.state.members.filter((m) => m.account !== author.account);
  const leaves = next.state.title === prev.state.title && next.state.members.length === expected.length && expected.every((m, i) => sameMember(m, next.state.members[i]!));
  if (!leaves) throw new GroupError('GROUP_NOT_MEMBER', hex, `${author.account} is not an admin: it may only leave`, next.state.epoch);
}
