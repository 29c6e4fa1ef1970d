/** The group-change codec and transition rules (pure). */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { checkTransition, encodeGroupState, parseGroupChange, signGroupChange, verifyGroupChange, type GroupStateData } from '../../src/groups/group-change.ts';

const admin = { account: 'a-admin', device: 1 };
const member = { account: 'b-member', device: 1 };
const [adminKey, memberKey] = [generateIdentityKeyPair(), generateIdentityKeyPair()];
const pk = () => randomBytes(32);
const genesis: GroupStateData = {
  groupId: randomBytes(32),
  epoch: 0,
  prevHash: new Uint8Array(32),
  title: 't',
  members: [
    { account: 'c-other', role: 'member', addedEpoch: 0, profileKey: pk() },
    { account: admin.account, role: 'admin', addedEpoch: 0, profileKey: pk() },
    { account: member.account, role: 'member', addedEpoch: 0, profileKey: pk() },
  ],
};
const g0 = signGroupChange(genesis, admin, adminKey);
const next = (over: Partial<GroupStateData>): GroupStateData => ({ ...g0.state, epoch: 1, prevHash: g0.hash, ...over });

describe('group changes', () => {
  it('encodes canonically (members sorted), parses what it signed, and verifies only with the author key', () => {
    expect(g0.state.members.map((m) => m.account)).toEqual(['a-admin', 'b-member', 'c-other']);
    expect(parseGroupChange(g0.bytes)).toEqual(g0);
    expect(() => verifyGroupChange(g0, adminKey.publicKey)).not.toThrow();
    expect(() => verifyGroupChange(g0, memberKey.publicKey)).toThrow(expect.objectContaining({ code: 'GROUP_FORGED_CHANGE' }));
    expect(encodeGroupState(g0.state)).toEqual(g0.stateBytes);
  });

  it('refuses non-canonical bytes, a bad previous hash, a skipped epoch, a wrong added epoch', () => {
    expect(() => parseGroupChange(Uint8Array.of(...g0.bytes, 0x08, 0x01))).toThrow(expect.objectContaining({ code: 'GROUP_FORGED_CHANGE' }));
    const badLink = signGroupChange(next({ prevHash: new Uint8Array(32).fill(1) }), admin, adminKey);
    expect(() => checkTransition(g0, badLink, admin.account)).toThrow(/previous hash/);
    const skipped = signGroupChange(next({ epoch: 2 }), admin, adminKey);
    expect(() => checkTransition(g0, skipped, admin.account)).toThrow(/does not follow/);
    const wrongAdded = signGroupChange(next({ members: [...g0.state.members, { account: 'd-new', role: 'member', addedEpoch: 0, profileKey: pk() }] }), admin, adminKey);
    expect(() => checkTransition(g0, wrongAdded, admin.account)).toThrow(/added epoch/);
  });

  it('an admin may change anything; a member may only leave; a non-member author is refused', () => {
    const added = signGroupChange(next({ members: [...g0.state.members, { account: 'd-new', role: 'member', addedEpoch: 1, profileKey: pk() }], title: 'new' }), admin, adminKey);
    expect(() => checkTransition(g0, added, admin.account)).not.toThrow();
    const leave = signGroupChange(next({ members: g0.state.members.filter((m) => m.account !== member.account) }), member, memberKey);
    expect(() => checkTransition(g0, leave, member.account)).not.toThrow();
    const rename = signGroupChange(next({ title: 'mine' }), member, memberKey);
    expect(() => checkTransition(g0, rename, member.account)).toThrow(expect.objectContaining({ code: 'GROUP_NOT_MEMBER' }));
    const removeOther = signGroupChange(next({ members: g0.state.members.filter((m) => m.account !== 'c-other') }), member, memberKey);
    expect(() => checkTransition(g0, removeOther, member.account)).toThrow(expect.objectContaining({ code: 'GROUP_NOT_MEMBER' }));
    const outsider = signGroupChange(next({ title: 'x' }), { account: 'z-out', device: 1 }, memberKey);
    expect(() => checkTransition(g0, outsider, admin.account)).toThrow(expect.objectContaining({ code: 'GROUP_NOT_MEMBER' }));
  });

  it('a device that does not know the group accepts a state it is in, authored by an admin of it', () => {
    expect(() => checkTransition(undefined, g0, member.account)).not.toThrow();
    expect(() => checkTransition(undefined, g0, 'z-out')).toThrow(expect.objectContaining({ code: 'GROUP_NOT_MEMBER' }));
    const byMember = signGroupChange(next({}), member, memberKey);
    expect(() => checkTransition(undefined, byMember, member.account)).toThrow(expect.objectContaining({ code: 'GROUP_FORGED_CHANGE' }));
  });
});
