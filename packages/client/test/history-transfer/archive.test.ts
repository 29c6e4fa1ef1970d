/**
 * The history archive codec, the HistoryTransfer content field and the
 * provisioning message's offer id: strict, bounded decoding with typed errors.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { curveKeyPairFromPrivate } from '@sealpost/protocol';
import { decodeContent, encodeContent } from '../../src/content.ts';
import { HistoryArchiveSchema, HistoryRowSchema } from '../../src/gen/history_archive_pb.ts';
import { decodeArchive, encodeArchive, HISTORY_ARCHIVE_MAX_ROWS, type Archive } from '../../src/history-transfer/archive.ts';
import { HistoryTransferError } from '../../src/history-transfer/errors.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { importArchive } from '../../src/history-transfer/snapshot.ts';
import { HistoryTransfers } from '../../src/history-transfer/history-transfer.ts';
import { decodeProvisionMessage, encodeProvisionMessage } from '../../src/linking.ts';
import { ProvisionMessageSchema } from '../../src/gen/provisioning_pb.ts';

const content = (timestamp: number, text: string) => encodeContent({ version: 1, timestamp, text });
const archive = (): Archive => ({
  createdAt: 1000,
  rows: [
    { peer: 'bob', sender: { account: 'alice', device: 1 }, timestamp: 10, direction: 'out', content: content(10, 'one'), storedAt: 11 },
    { peer: 'bob', sender: { account: 'bob', device: 3 }, timestamp: 20, direction: 'in', content: content(20, 'two'), storedAt: 21, readAt: 30 },
  ],
  contacts: [{ account: 'bob', profileKey: new Uint8Array(32).fill(7), updatedAt: 5 }],
});

function invalid(bytes: Uint8Array, expected: number, message: RegExp): void {
  let error: unknown;
  try {
    decodeArchive(bytes, expected);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HistoryTransferError);
  expect(error).toMatchObject({ code: 'HISTORY_TRANSFER_INVALID' });
  expect((error as Error).message).toMatch(message);
}

describe('history archive codec', () => {
  it('round-trips rows byte for byte, and contacts', () => {
    const a = archive();
    expect(decodeArchive(encodeArchive(a), 2)).toEqual(a);
  });

  it('refuses junk, another version, a count other than announced, and malformed rows, each as HISTORY_TRANSFER_INVALID', () => {
    invalid(Uint8Array.of(0xff, 0xff, 0xff), 0, /not a HistoryArchive/);
    invalid(toBinary(HistoryArchiveSchema, create(HistoryArchiveSchema, { version: 2 })), 0, /version 2/);
    invalid(encodeArchive(archive()), 3, /holds 2 rows, the offer said 3/);
    const row = (fields: Partial<{ peer: string; senderAccount: string; senderDevice: number; content: Uint8Array; timestamp: bigint }>) =>
      toBinary(HistoryArchiveSchema, create(HistoryArchiveSchema, { version: 1, rows: [create(HistoryRowSchema, { peer: 'bob', senderAccount: 'bob', senderDevice: 1, timestamp: 5n, content: content(5, 'x'), ...fields })] }));
    invalid(row({ peer: '' }), 1, /peer or sender/);
    invalid(row({ senderAccount: 'x'.repeat(65) }), 1, /peer or sender/);
    invalid(row({ senderDevice: 0 }), 1, /sender device/);
    invalid(row({ content: new Uint8Array(0) }), 1, /content empty/);
    invalid(row({ content: new Uint8Array(256 * 1024 + 1) }), 1, /larger than/);
    invalid(row({ content: Uint8Array.of(1, 2, 3) }), 1, /not a valid Content/);
    invalid(row({ timestamp: 2n ** 60n }), 1, /out of range/);
    const bigRows = toBinary(HistoryArchiveSchema, create(HistoryArchiveSchema, { version: 1, rows: Array.from({ length: HISTORY_ARCHIVE_MAX_ROWS + 1 }, () => create(HistoryRowSchema)) }));
    invalid(bigRows, HISTORY_ARCHIVE_MAX_ROWS + 1, /exceed/);
  });

  it('imports once: a second import of the same archive adds nothing; a newer contact key wins, an older one does not', async () => {
    const store = new MemoryStore();
    await store.contacts.set({ account: 'bob', profileKey: new Uint8Array(32).fill(1), updatedAt: 9 });
    expect(await store.transaction((tx) => importArchive(tx, archive()))).toEqual({ imported: 2, skipped: 0 });
    expect(await store.transaction((tx) => importArchive(tx, archive()))).toEqual({ imported: 0, skipped: 2 });
    expect((await store.contacts.get('bob'))!.profileKey[0]).toBe(1);
    const changed = archive();
    changed.rows[1] = { ...changed.rows[1]!, content: content(20, 'two, edited') };
    changed.contacts[0] = { ...changed.contacts[0]!, updatedAt: 10 };
    expect(await store.transaction((tx) => importArchive(tx, changed))).toEqual({ imported: 1, skipped: 1 });
    expect((await store.contacts.get('bob'))!.profileKey[0]).toBe(7);
    expect((await store.history.conversation('bob')).map((m) => decodeContent(m.content).text)).toEqual(['one', 'two', 'two, edited']);
  });
});

describe('HistoryTransfer content field and the provisioning offer id', () => {
  it('round-trips a request and an archive pointer; refuses a transfer id that is not 16 bytes', () => {
    const transferId = new Uint8Array(16).fill(3);
    const pointer = { cdnKey: 'AAAAAAAAAAAAAAAAAAAA', contentType: 'application/x-sealpost-history', key: new Uint8Array(64).fill(1), size: 100, digest: new Uint8Array(32).fill(2) };
    expect(decodeContent(encodeContent({ version: 1, timestamp: 5, historyTransfer: { transferId, request: true } })).historyTransfer).toEqual({ transferId, request: true });
    const answer = decodeContent(encodeContent({ version: 1, timestamp: 5, historyTransfer: { transferId, archive: pointer, messageCount: 7, conversationCount: 2 } })).historyTransfer!;
    expect(answer).toMatchObject({ transferId, messageCount: 7, conversationCount: 2, archive: { cdnKey: pointer.cdnKey, size: 100, key: pointer.key, digest: pointer.digest } });
    expect(() => encodeContent({ version: 1, timestamp: 5, historyTransfer: { transferId: new Uint8Array(15) } })).toThrow(/16 bytes/);
  });

  it('carries the offer id in the sealed provisioning message; a malformed one is BAD_PROVISIONING_MESSAGE', () => {
    const identity = curveKeyPairFromPrivate(new Uint8Array(32).fill(9));
    const base = { identityPublicKey: identity.publicKey, identityPrivateKey: identity.privateKey, account: 'acct', provisioningCode: 'code', profileKey: new Uint8Array(32) };
    expect(decodeProvisionMessage(encodeProvisionMessage(base)).historyTransferId).toBeUndefined();
    const historyTransferId = new Uint8Array(16).fill(4);
    expect(decodeProvisionMessage(encodeProvisionMessage({ ...base, historyTransferId })).historyTransferId).toEqual(historyTransferId);
    const bad = toBinary(ProvisionMessageSchema, create(ProvisionMessageSchema, { provisioningVersion: 1, identityKeyPublic: identity.publicKey, identityKeyPrivate: identity.privateKey, account: 'acct', provisioningCode: 'code', profileKey: new Uint8Array(32), historyTransferId: new Uint8Array(5) }));
    expect(() => decodeProvisionMessage(bad)).toThrow(expect.objectContaining({ code: 'BAD_PROVISIONING_MESSAGE' }));
  });
});

describe('HistoryTransfers.apply (inside the envelope transaction)', () => {
  const own = { account: 'me', device: 1 };
  const opened = (fromSelf: boolean, device = 2) =>
    ({ envelopeId: 'e', sender: { account: fromSelf ? 'me' : 'mallory', device }, fromSelf, senderIdentityKey: new Uint8Array(33), contentType: 2, contents: new Uint8Array(0), groupId: undefined, envelope: { id: 'e', content: new Uint8Array(0), receivedAt: 0 } }) as const;
  const transfers = (store: MemoryStore) => {
    const sent: number[] = [];
    const t = new HistoryTransfers({
      store,
      now: () => 1000,
      own: () => ({ ...own, identityPrivateKey: new Uint8Array(32), identityPublicKey: new Uint8Array(33), registrationId: 1, deviceSecret: '', profileKey: new Uint8Array(32) }),
      emit: () => {},
      sendContent: async () => [],
      sendToOwnDevice: async (device) => void sent.push(device),
      options: { blobs: { upload: async () => { throw new Error('not here'); }, download: async () => new Uint8Array(0) } },
    });
    return { t, sent };
  };

  it('ignores history-transfer content from another account, and requests for an offer this device did not make', async () => {
    const store = new MemoryStore();
    const { t } = transfers(store);
    const id = await t.offer();
    const request = { version: 1, timestamp: 5, historyTransfer: { transferId: id!, request: true } };
    const before = await store.settings.get('history-transfer:offers');
    await (await store.transaction((tx) => t.apply(tx, opened(false) as never, request, 1000))).after();
    expect(await store.settings.get('history-transfer:offers')).toBe(before);
    const unknown = { version: 1, timestamp: 5, historyTransfer: { transferId: new Uint8Array(16), request: true } };
    await (await store.transaction((tx) => t.apply(tx, opened(true) as never, unknown, 1000))).after();
    expect(await store.settings.get('history-transfer:offers')).toBe(before);
    // A pointer for an offer this device was never given is not recorded.
    const pointer = { cdnKey: 'AAAAAAAAAAAAAAAAAAAA', contentType: 'x', key: new Uint8Array(64), size: 1, digest: new Uint8Array(32) };
    await (await store.transaction((tx) => t.apply(tx, opened(true) as never, { version: 1, timestamp: 5, historyTransfer: { transferId: id!, archive: pointer, messageCount: 1 } }, 1000))).after();
    expect(await store.settings.get('history-transfer:archive')).toBeUndefined();
  });

  it('binds an offer to the first device that quoted it', async () => {
    const store = new MemoryStore();
    const { t, sent } = transfers(store);
    const id = await t.offer();
    const request = { version: 1, timestamp: 5, historyTransfer: { transferId: id!, request: true } };
    // As incoming.ts does: apply inside the envelope's transaction, the network part after it committed.
    await (await store.transaction((tx) => t.apply(tx, opened(true, 2) as never, request, 1000))).after();
    await (await store.transaction((tx) => t.apply(tx, opened(true, 3) as never, request, 1000))).after();
    // Device 2 was answered (here with a decline: the upload failed); device 3 got nothing.
    expect(sent).toEqual([2]);
  });
});
