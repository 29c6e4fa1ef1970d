/**
 * Cluster notices as NOTIFY payloads: every kind round-trips, and anything
 * else on the channel — other JSON, wrong field types, ids the relay never
 * issues, oversized text — is refused (undefined), never thrown on.
 */
import { describe, expect, it } from 'vitest';
import { decodeNotice, encodeNotice, type RelayNotice } from '../src/index.ts';

describe('cluster notice payloads', () => {
  it('round-trip every kind', () => {
    const notices: RelayNotice[] = [
      { kind: 'queued', instance: 'inst-1', accountId: '1b671a64-40d5-491e-99b0-da01ff1f3341', deviceId: 3 },
      { kind: 'removed', instance: 'inst-1', accountId: 'PNI:1b671a64-40d5-491e-99b0-da01ff1f3341', deviceId: 2 },
      { kind: 'access-key', instance: 'i_2', accountId: 'abc' },
      { kind: 'mailbox', instance: 'i_2', mailboxKey: 'ab'.repeat(32) },
    ];
    for (const n of notices) expect(decodeNotice(encodeNotice(n))).toEqual(n);
  });

  it('refuses what is not a notice', () => {
    const bad = [
      undefined,
      '',
      'not json',
      '{}',
      '[]',
      '["q"]',
      '["q","i","a"]',
      '["q","i","a",0]',
      '["q","i","a",1.5]',
      '["q","i","a","1"]',
      '["q","i","a",1,2]',
      '["x","i","a",1]',
      '["k","i"]',
      '["k","i","bad id with spaces"]',
      '["k","","a"]',
      '["p","i","00"]',
      `["p","i","${'AB'.repeat(32)}"]`,
      `["k","i","${'a'.repeat(65)}"]`,
      `["k","i","a","${'x'.repeat(2000)}"]`,
      '["r","i","a",2147483648]',
      'null',
      '"q"',
    ];
    for (const payload of bad) expect(decodeNotice(payload)).toBeUndefined();
  });
});
