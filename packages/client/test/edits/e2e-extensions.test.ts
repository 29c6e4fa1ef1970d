/**
 * App-defined payloads and content from newer clients, end to end (real key
 * server and relay, a second device of each account): extensions arrive
 * byte for byte, alone or beside text, in both directions and in sync
 * copies; a "newer client" writes Content fields this SDK does not know and
 * they are stored byte for byte, reported (`content.unknownFields`, event
 * `unknownContent`) and reported again on redelivery.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ReceivedMessage, SealpostClient } from '../../src/client.ts';
import type { UnknownContentEvent } from '../../src/edits/types.ts';
import { GROUP_TEST_CLIENT, collect, pollAll, registerAll } from '../support/groups.ts';
import { rewritingOps, type Rewrite } from '../support/edits.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';
import { SqliteStore } from '../../src/sqlite.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

/** Fields 40 (varint 5) and 41 (bytes "abc"), which this SDK does not know. */
const FUTURE_FIELDS = Uint8Array.of(0xc0, 0x02, 0x05, 0xca, 0x02, 0x03, 0x61, 0x62, 0x63);

function unknownEvents(client: SealpostClient): UnknownContentEvent[] {
  const out: UnknownContentEvent[] = [];
  client.on('unknownContent', (e) => out.push(e));
  return out;
}

describe('extensions and unknown content', () => {
  it('delivers extensions untouched, alone or beside text, both directions and to the sender\'s other device', async () => {
    const [alice1, bob1] = [local.client(), local.client()];
    await registerAll([alice1, bob1]);
    const [alice2, bob2] = [local.client(), local.client()];
    await linkDevice(alice1, alice2);
    await linkDevice(bob1, bob2);
    const all = [alice1, alice2, bob1, bob2];
    const inbox = all.map(collect);
    const poll = new Uint8Array(randomBytes(4096));
    const empty = new Uint8Array(0);
    await alice1.send(bob1.address.account, { extensions: [{ type: 'com.example.poll', data: poll }] });
    await pollAll(all); // Bob's laptop learns Alice's profile key from it
    await bob2.send(alice1.address.account, { text: 'my vote', extensions: [{ type: 'com.example.vote', data: Uint8Array.of(0, 1, 255) }, { type: 'org.example.flag', data: empty }] });
    await pollAll(all);
    const ext = (m: ReceivedMessage[]) => m.map((x) => [x.content.text, x.content.extensions?.map((e) => [e.type, Buffer.from(e.data).toString('hex')])]);
    const first = [undefined, [['com.example.poll', Buffer.from(poll).toString('hex')]]];
    const second = ['my vote', [['com.example.vote', '0001ff'], ['org.example.flag', '']]];
    expect(ext(inbox[2]!)).toEqual([first, second]); // bob1: Alice's, and the sync copy of his laptop's
    expect(ext(inbox[3]!)).toEqual([first]); // bob2
    expect(ext(inbox[0]!)).toEqual([second]); // alice1
    expect(ext(inbox[1]!)).toEqual([first, second]); // alice2: the sync copy and Bob's
    // Stored, and read back from the history, byte for byte.
    expect((await bob1.history(alice1.address.account))[0]!.decoded.extensions).toEqual([{ type: 'com.example.poll', data: poll }]);
    // A bad type name is refused before anything is sent.
    await expect(alice1.send(bob1.address.account, { extensions: [{ type: 'poll', data: poll }] })).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });

  it('keeps fields from a newer client byte for byte (SQLite, across a restart), reports them, and reports them again on redelivery', async () => {
    let rewrite: Rewrite | undefined;
    const sent: Uint8Array[] = [];
    const newer = local.client({ sessions: rewritingOps(() => rewrite) });
    // Bob's app fails to handle the first delivery (and then restarts): it stays undelivered, offered again by redeliver().
    const bobDb = local.path('bob-phone.db');
    const bob1 = local.client({ store: new SqliteStore(bobDb), onMessage: () => { throw new Error('app busy'); } });
    await registerAll([newer, bob1]);
    const bob2 = local.client();
    await linkDevice(bob1, bob2);
    const all = [newer, bob1, bob2];
    const [unknown1, unknown2] = [unknownEvents(bob1), unknownEvents(bob2)];
    const inbox1 = collect(bob1);
    rewrite = (bytes) => {
      const out = Uint8Array.from([...bytes, ...FUTURE_FIELDS]);
      sent.push(out);
      return out;
    };
    await newer.send(bob1.address.account, { text: 'from the future' });
    rewrite = undefined;
    await pollAll(all);

    for (const events of [unknown1, unknown2]) expect(events.map((e) => [e.fields, e.version, e.message.content.text])).toEqual([[[40, 41], 1, 'from the future']]);
    expect(inbox1[0]!.content.unknownFields).toEqual([40, 41]);
    const stored = (await bob1.store.history.conversation(newer.address.account))[0]!;
    // The peer's devices got the same bytes (sent[0], sent[1]: one per Bob device, then the sync copy to nobody).
    expect(Buffer.from(stored.content).equals(Buffer.from(sent[0]!))).toBe(true);
    expect(Buffer.from((await bob2.store.history.conversation(newer.address.account))[0]!.content).equals(Buffer.from(sent[0]!))).toBe(true);

    expect(inbox1.map((m) => [m.id, m.content.unknownFields])).toEqual([[stored.id, [40, 41]]]);
    await bob1.close();
    const bobAgain = local.client({ store: new SqliteStore(bobDb) });
    await bobAgain.ready();
    const [again, unknownAgain] = [collect(bobAgain), unknownEvents(bobAgain)];
    await bobAgain.redeliver();
    expect(again.map((m) => [m.id, m.content.text, m.content.unknownFields])).toEqual([[stored.id, 'from the future', [40, 41]]]);
    expect(unknownAgain.map((e) => e.fields)).toEqual([[40, 41]]);
    // Delivered now: the store still holds the bytes as received.
    expect(await bobAgain.store.history.undelivered()).toEqual([]);
    expect(Buffer.from((await bobAgain.store.history.get(stored.id))!.content).equals(Buffer.from(sent[0]!))).toBe(true);
    // A payload version above ours is reported the same way.
    rewrite = (bytes) => Uint8Array.from([0x08, 0x07, ...bytes.subarray(2)]);
    await newer.send(bob1.address.account, { text: 'version 7' });
    rewrite = undefined;
    await pollAll([newer, bobAgain, bob2]);
    expect(unknown2.at(-1)).toMatchObject({ fields: [], version: 7, message: { content: { text: 'version 7', version: 7 } } });
  });
});
