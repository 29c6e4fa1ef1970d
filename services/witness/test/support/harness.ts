/** Test harness: a KtDirectory-backed log that signs checkpoints, and witness instances on 127.0.0.1:0. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KtDirectory, consistencyProof, ed25519NoteSigner, signCheckpoint } from '@sealpost/keytrans';
import { randomBytes, toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import { buildWitnessServer, type WitnessServer } from '../../src/app.ts';
import { WitnessStore } from '../../src/store.ts';

export const ORIGIN = 'sealpost.test/sealpost-kt/0011223344556677';

export class TestLog {
  readonly dir = new KtDirectory(randomBytes(32));
  readonly signer;
  constructor(
    logKey: Uint8Array,
    readonly origin = ORIGIN,
  ) {
    this.signer = ed25519NoteSigner(origin, logKey);
  }
  /** Appends `n` entries (each one label update). */
  grow(n: number, tag = 'a'): this {
    for (let i = 0; i < n; i++) this.dir.update([{ label: utf8Encode(`${tag}-${this.dir.size}`), value: randomBytes(32) }], 1_000 + this.dir.size);
    return this;
  }
  note(size = this.dir.size): string {
    return signCheckpoint(this.dir.checkpoint(this.origin, size), this.signer);
  }
  proof(oldSize: number, newSize = this.dir.size): string[] {
    return oldSize === 0 ? [] : consistencyProof(this.dir.log, oldSize, newSize).map((h) => toBase64(h));
  }
  /** The add-checkpoint body from `oldSize` to the current size. */
  body(oldSize: number, newSize = this.dir.size): string {
    return `old ${oldSize}\n${this.proof(oldSize, newSize).map((l) => `${l}\n`).join('')}\n${this.note(newSize)}`;
  }
}

export interface RunningWitness {
  url: string;
  app: WitnessServer;
  vkey: string;
  close(): Promise<void>;
}

export async function startWitness(opts: { name: string; logVkeys: string[]; now: () => number; dbPath?: string }): Promise<RunningWitness> {
  const tmp = opts.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'witness-')) : undefined;
  const store = new WitnessStore(opts.dbPath ?? join(tmp!, 'w.sqlite'));
  const app = await buildWitnessServer({ name: opts.name, secretKey: randomBytes(32), logVkeys: opts.logVkeys, store, now: opts.now });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    app,
    vkey: app.witness.vkey,
    async close() {
      await app.close();
      store.close();
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function addCheckpoint(url: string, body: string, contentType = 'text/plain'): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}
