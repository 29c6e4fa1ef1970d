/** The chat header's key-transparency status per conversation (src/kt-status.ts). */
import { describe, expect, it } from 'vitest';
import { KtStatusBoard } from '../src/kt-status.ts';

const ME = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const CAROL = 'cccccccc-0000-4000-8000-000000000003';

describe('KtStatusBoard', () => {
  it('is off without key transparency, unchecked until the log showed the key, then verified', () => {
    expect(new KtStatusBoard(false).status(BOB)).toBe('off');
    const board = new KtStatusBoard(true);
    expect(board.status(BOB)).toBe('unchecked');
    expect(board.apply({ kind: 'verified', source: 'bundle', account: BOB, logged: true }, ME)).toBe(true);
    expect(board.status(BOB)).toBe('verified');
    expect(board.status(CAROL)).toBe('unchecked');
    // Our own label verifying says nothing about a contact.
    expect(board.apply({ kind: 'verified', source: 'owner', account: ME }, ME)).toBe(false);
  });

  it('keeps a mismatch (the evidence stays) and raises the alarm everywhere when our own key was swapped', () => {
    const board = new KtStatusBoard(true);
    board.apply({ kind: 'verified', source: 'bundle', account: BOB }, ME);
    expect(board.apply({ kind: 'mismatch', source: 'bundle', account: BOB, refused: true }, ME)).toBe(true);
    expect(board.apply({ kind: 'verified', source: 'contact', account: BOB }, ME)).toBe(false);
    expect(board.status(BOB)).toBe('mismatch');
    expect(board.apply({ kind: 'ownerAlarm', source: 'owner', account: ME }, ME)).toBe(true);
    expect([board.status(BOB), board.status(CAROL)]).toEqual(['alarm', 'alarm']);
  });

  it('restores contradictions and alarms from stored evidence after a reload', () => {
    const board = new KtStatusBoard(true);
    board.load([{ kind: 'mismatch', at: 1, account: CAROL, data: {} }], ME);
    expect([board.status(CAROL), board.status(BOB)]).toEqual(['mismatch', 'unchecked']);
    board.load([{ kind: 'ownerAlarm', at: 2, account: ME, data: {} }], ME);
    expect(board.status(BOB)).toBe('alarm');
  });
});
