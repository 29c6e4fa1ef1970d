/**
 * Differential decoding of the sender-key formats against libsignal-client
 * 0.90 (the harness of test/support/differential.ts): libsignal-made
 * SenderKeyMessages, SenderKeyDistributionMessages and SenderKeyRecords and
 * seeded mutants of each go to libsignal's deserializer and to ours; we
 * must accept exactly when libsignal accepts and read the same values. The
 * one documented difference: a record whose stored key or seed has the
 * wrong length, which libsignal loads (and fails on at first use) and we
 * refuse at load (src/groups/README.md).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Ls from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import { decodeDistributionMessage, decodeSenderKeyMessage, deserializeSenderKeyRecord, serializeSenderKeyRecord } from '../../src/groups/index.ts';
import { type DifferentialCase, type Outcome, formatResult, isTrailingKeyRejection, runDifferential } from '../support/differential.ts';
import { libsignalMember, utf8 } from './helpers.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const PER_SEED = 1500;

async function seeds() {
  const dist = randomUUID();
  const sender = libsignalMember();
  const skdm = (await Ls.SenderKeyDistributionMessage.create(sender.address, dist, sender.store)).serialize();
  const skms: Uint8Array[] = [];
  for (const text of ['', 'a group message of some length']) skms.push((await Ls.groupEncrypt(sender.address, dist, sender.store, ab(utf8(text)))).serialize());
  const member = libsignalMember(sender.address);
  await Ls.processSenderKeyDistributionMessage(member.address, Ls.SenderKeyDistributionMessage.deserialize(ab(skdm)), member.store);
  await Ls.groupDecrypt(member.address, member.store, ab(skms[1]!));
  const records = [sender.store.recordBytes(sender.address, dist)!, member.store.recordBytes(member.address, dist)!];
  return { skdm, skms, records };
}

/** Our stricter record load (lengths checked at load): the documented difference. */
function recordLengthStrictness(_b: Uint8Array, lib: Outcome, ours: Outcome): string | undefined {
  if (ours.ok || !lib.ok) return undefined;
  return /byte|seed/.test((ours.error as Error).message) ? 'record key or seed of the wrong length refused at load' : undefined;
}

/**
 * libsignal's Rust decoder takes any 16 bytes as the distribution id, but
 * its JS bridge refuses to turn one that is not an RFC 4122 UUID (version
 * 1-8, variant 10xx) into a string — for the accessor here and for every
 * store call, so libsignal-client never processes such a message. We read
 * it as the Rust decoder does (other Signal platforms would).
 */
function nonRfcUuid(_b: Uint8Array, lib: Outcome, ours: Outcome): string | undefined {
  if (lib.ok || !ours.ok) return undefined;
  return /Stringified UUID is invalid/.test(String((lib.error as Error).message)) ? 'distribution id not an RFC 4122 UUID (libsignal JS bridge)' : undefined;
}

function cases(s: Awaited<ReturnType<typeof seeds>>): DifferentialCase[] {
  return [
    {
      name: 'SenderKeyMessage',
      seeds: s.skms,
      perSeed: PER_SEED,
      pbStart: 1,
      pbTrailer: 64,
      libsignal: (b) => {
        const m = Ls.SenderKeyMessage.deserialize(ab(b));
        return `${m.distributionId()} ${m.chainId()} ${m.iteration()} ${hex(m.ciphertext())}`;
      },
      ours: (b) => {
        const m = decodeSenderKeyMessage(b);
        return `${m.distributionId} ${m.chainId} ${m.iteration} ${hex(m.ciphertext)}`;
      },
      explain: nonRfcUuid,
    },
    {
      name: 'SenderKeyDistributionMessage',
      seeds: [s.skdm],
      perSeed: PER_SEED,
      pbStart: 1,
      libsignal: (b) => {
        const m = Ls.SenderKeyDistributionMessage.deserialize(ab(b));
        return `${m.distributionId()} ${m.chainId()} ${m.iteration()} ${hex(m.chainKey())}`;
      },
      ours: (b) => {
        const m = decodeDistributionMessage(b);
        return `${m.distributionId} ${m.chainId} ${m.iteration} ${hex(m.chainKey)}`;
      },
      explain: (b, lib, ours) => (isTrailingKeyRejection(ours, lib) ? 'public key with trailing bytes' : nonRfcUuid(b, lib, ours)),
    },
    {
      name: 'SenderKeyRecord',
      seeds: s.records,
      perSeed: PER_SEED,
      libsignal: (b) => hex(Ls.SenderKeyRecord.deserialize(ab(b)).serialize()),
      ours: (b) => hex(serializeSenderKeyRecord(deserializeSenderKeyRecord(b))),
      explain: recordLengthStrictness,
    },
  ];
}

describe('sender key decoder differential (libsignal-client 0.90)', async () => {
  const all = cases(await seeds());
  for (const c of all) {
    it(`interop: ${c.name}: we accept exactly what libsignal accepts and read the same values`, async () => {
      const result = await runDifferential(c, 0x9e0);
      console.log(formatResult(result));
      expect(result.crashes).toEqual([]);
      expect(result.unexplained).toEqual([]);
      expect(result.total).toBeGreaterThan(c.perSeed);
    });
  }
});
