/** Test harness: a KtDirectory-backed log that signs checkpoints, and witness instances on 127.0.0.1:0. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KtDirectory, consistencyProof, ed25519NoteSigner, signCheckpoint } from '@sealpost/keytrans';
import { randomBytes, toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import { createTestDatabase } from '@sealpost/devkit/postgres';
import { buildWitnessServer, type WitnessServer, type WitnessServerOptions } from '../../src/app.ts';
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

/** The store backend of this run: PostgreSQL under the `services-postgres` project (SEALPOST_TEST_SERVICE_STORE=postgres), else SQLite. */
export function testBackend(): 'sqlite' | 'postgres' {
  return process.env.SEALPOST_TEST_SERVICE_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * One witness database several instances (or a restarted one) can open: a
 * SQLite file in a fresh directory, or a fresh PostgreSQL database.
 */
export interface SharedDatabase {
  readonly backend: 'sqlite' | 'postgres';
  /** The options that open it: `{ store }` for SQLite (one handle per instance), `{ databaseUrl }` for PostgreSQL. */
  open(): Pick<WitnessServerOptions, 'store' | 'databaseUrl'> & { close(): void };
  drop(): Promise<void>;
}

export async function sharedDatabase(backend = testBackend()): Promise<SharedDatabase> {
  if (backend === 'postgres') {
    const db = await createTestDatabase('witness_t');
    return { backend, open: () => ({ databaseUrl: db.url, close: () => undefined }), drop: () => db.drop() };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'witness-'));
  return {
    backend,
    open: () => {
      const store = new WitnessStore(join(tmp, 'w.sqlite'));
      return { store, close: () => store.close() };
    },
    drop: async () => rmSync(tmp, { recursive: true, force: true }),
  };
}

export interface StartWitnessOptions extends Partial<Omit<WitnessServerOptions, 'name' | 'logVkeys'>> {
  name: string;
  logVkeys: string[];
  now: () => number;
  /** A SQLite file (the older form of `database`). */
  dbPath?: string;
  /** A database shared with other instances; without it (and `dbPath`) the witness gets a fresh one of this run's backend, dropped on close. */
  database?: SharedDatabase;
}

export async function startWitness(opts: StartWitnessOptions): Promise<RunningWitness> {
  const { dbPath, database, ...rest } = opts;
  let own: SharedDatabase | undefined;
  let opened: ReturnType<SharedDatabase['open']>;
  if (rest.databaseUrl !== undefined || rest.store !== undefined) {
    opened = { close: () => undefined };
  } else if (dbPath !== undefined) {
    const store = new WitnessStore(dbPath);
    opened = { store, close: () => store.close() };
  } else {
    own = database === undefined ? await sharedDatabase() : undefined;
    opened = (database ?? own!).open();
  }
  const { close: closeStore, ...storeOptions } = opened;
  const app = await buildWitnessServer({ secretKey: randomBytes(32), addCheckpointRateLimit: false, ...storeOptions, ...rest });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    app,
    vkey: app.witness.vkey,
    async close() {
      await app.close();
      closeStore();
      await own?.drop();
    },
  };
}

export async function addCheckpoint(url: string, body: string, contentType = 'text/plain'): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}
