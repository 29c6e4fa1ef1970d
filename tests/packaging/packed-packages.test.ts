/**
 * The packed-tarball consumer test: what `npm install @sealpost/…` would give
 * an app, checked outside the workspace.
 *
 * 1. removes every publishable package's dist/ and builds them all again in
 *    one `tsc -b tsconfig.build.json` (so no output of a deleted source file
 *    ships), then packs each with `pnpm pack` (scripts off: its prepack would
 *    only repeat that clean build, one tsc per package);
 * 2. checks each packed package.json: no `workspace:` ranges, not private,
 *    Apache-2.0 with the LICENSE inside, every `exports` / `imports` / `types`
 *    / `bin` target under dist/ or bin/ and present in the tarball, and every
 *    workspace entry (except the transitional `./*`) published;
 * 3. checks the compiled imports: only declared dependencies and published
 *    entries of our other packages; no node:* reachable from any protocol
 *    entry under the `browser` condition; the client's root entry loads
 *    neither better-sqlite3 nor ws; no server framework installed with the client;
 * 4. creates a fresh app under os.tmpdir() and installs the tarballs there with
 *    npm (third-party dependencies from the registry or npm's cache), then
 *    runs consumer/round-trip.mjs with plain `node`: key server + relay from
 *    the installed packages, two accounts, a message each way;
 * 5. runs `tsc --noEmit` on consumer/typed-consumer.ts against the installed
 *    .d.ts files, and on consumer/browser-consumer.ts as a browser bundle
 *    sees them (bundler resolution, `browser` condition, no @types/node);
 * 6. runs `sealpost-keyserver keygen` and `sealpost-witness keygen`, then the
 *    `sealpost-keyserver`, `sealpost-relay`, `sealpost-blobs` and
 *    `sealpost-witness` bins from the files they made: --help, /health,
 *    /ready, /metrics, and a clean drain on SIGTERM.
 *
 * better-sqlite3 is a native addon. Compiling it again in the temporary app
 * would take a minute or more, so the app pins the workspace's exact version
 * (npm `overrides`), installs with --ignore-scripts and copies the
 * workspace's compiled better_sqlite3.node; only when the workspace has no
 * build of it does `npm rebuild better-sqlite3` compile it there.
 * SEALPOST_KEEP_PACK_TEST=1 keeps the temporary directory for inspection.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  exportKeys,
  freePort,
  mustRun,
  packageOf,
  reachableImports,
  readJson,
  run,
  specifiersOf,
  targetsOf,
  type Manifest,
  type PackedPackage,
} from './support.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const consumerDir = join(root, 'tests/packaging/consumer');

/** Every workspace package that is not private, by name, with its folder: what gets packed. */
const PUBLISHABLE: Record<string, string> = {};
for (const group of ['packages', 'services', 'tools', 'apps']) {
  if (!existsSync(join(root, group))) continue;
  for (const dir of readdirSync(join(root, group))) {
    const file = join(root, group, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = readJson<Manifest>(file);
    if (manifest.private !== true) PUBLISHABLE[manifest.name] = `${group}/${dir}`;
  }
}
const NAMES = Object.keys(PUBLISHABLE).sort();

const pnpmSpec = readJson<{ packageManager: string }>(join(root, 'package.json')).packageManager;
const tscBin = join(root, 'node_modules/typescript/bin/tsc');

let work: string | undefined;
let app: string;
const tarballs = new Map<string, string>();
const packed = new Map<string, PackedPackage>();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sealpost-pack-'));
  const tarDir = join(work, 'tarballs');
  mkdirSync(tarDir);

  for (const dir of Object.values(PUBLISHABLE)) rmSync(join(root, dir, 'dist'), { recursive: true, force: true });
  mustRun(process.execPath, [tscBin, '-b', 'tsconfig.build.json'], root, 240_000);
  const filters = NAMES.flatMap((name) => ['--filter', name]);
  mustRun('npx', ['-y', pnpmSpec, '-r', ...filters, 'pack', '--pack-destination', tarDir, '--config.ignore-scripts=true'], root, 120_000);

  for (const name of NAMES) {
    const base = name.replace('@', '').replace('/', '-');
    const file = readdirSync(tarDir).find((f) => f.startsWith(`${base}-`) && f.endsWith('.tgz'));
    if (file === undefined) throw new Error(`no tarball for ${name} among ${readdirSync(tarDir).join(', ')}`);
    const tarball = join(tarDir, file);
    tarballs.set(name, tarball);
    const manifest = JSON.parse(mustRun('tar', ['-xOzf', tarball, 'package/package.json'], work, 30_000)) as Manifest;
    const listing = mustRun('tar', ['-tzf', tarball], work, 30_000);
    const files = new Set(listing.split('\n').filter((l) => l.length > 0).map((l) => l.replace(/^package\//, '')));
    const extracted = join(work, 'extracted', base);
    mkdirSync(extracted, { recursive: true });
    mustRun('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1'], work, 30_000);
    packed.set(name, { manifest, files, extracted });
  }
}, 420_000);

afterAll(() => {
  if (work === undefined) return;
  if (process.env.SEALPOST_KEEP_PACK_TEST === '1') console.log(`[pack test] kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

describe('packed packages', () => {
  it('are the five of this layout (the dev kit stays private)', () => {
    expect(NAMES).toEqual(expect.arrayContaining(['@sealpost/blobs', '@sealpost/client', '@sealpost/keyserver', '@sealpost/protocol', '@sealpost/relay', '@sealpost/service-kit', '@sealpost/witness']));
    expect(NAMES).not.toContain('@sealpost/devkit');
  });

  it.each(NAMES)('%s: the packed manifest is publishable and points only at files in the tarball', (name) => {
    const { manifest, files } = packed.get(name)!;
    const workspace = readJson<Manifest>(join(root, PUBLISHABLE[name]!, 'package.json'));
    expect(manifest.name).toBe(name);
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(files.has('LICENSE')).toBe(true);

    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
      }
    }
    // libsignal-client (AGPL) and the dev kit are for tests only: never something an install pulls in.
    const installable = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
    expect(installable.filter((d) => d.startsWith('@signalapp/') || d === '@sealpost/devkit')).toEqual([]);
    // Nothing from src/ or test/ ships: compiled JavaScript, declarations, bins, README, LICENSE.
    for (const f of files) {
      expect(f, `packed file ${f}`).toMatch(/^(dist\/.+\.(js|d\.ts)|bin\/[^/]+\.js|package\.json|README\.md|LICENSE)$/);
    }

    const targets = [
      ...targetsOf(manifest.exports),
      ...targetsOf(manifest.imports ?? {}),
      ...Object.values(manifest.bin ?? {}),
      ...(manifest.types === undefined ? [] : [manifest.types]),
    ];
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      expect(t, `target ${t}`).toMatch(/^\.\/(dist|bin)\//);
      expect(files.has(t.slice(2)), `target ${t} is in the tarball`).toBe(true);
      if (t.startsWith('./dist/') && t.endsWith('.js')) {
        expect(files.has(t.slice(2).replace(/\.js$/, '.d.ts')), `declarations beside ${t}`).toBe(true);
      }
    }
    // Every entry the workspace exposes (except the transitional "./*") is published, and nothing else.
    const wanted = exportKeys(workspace.exports).filter((k) => k !== './*');
    expect(exportKeys(manifest.exports).sort()).toEqual(wanted.sort());
    expect(Object.keys(manifest.imports ?? {}).sort()).toEqual(Object.keys(workspace.imports ?? {}).sort());
    expect(Object.keys(manifest.bin ?? {}).sort()).toEqual(Object.keys(workspace.bin ?? {}).sort());
  });
});

describe('packed code imports only what its manifest declares', () => {
  it('the import scanner finds every import form and not a property named "from"', () => {
    const code = "import x from 'a';\nexport { y } from \"b\";\nconst s = { required: ['from', 'proof'] };\nawait import('c');\nimport 'd';\nBuffer.from('e');\n";
    expect(specifiersOf(code).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each(NAMES)('%s: every bare import is a declared dependency or a published entry', (name) => {
    const { manifest, files, extracted } = packed.get(name)!;
    const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }));
    const problems: string[] = [];
    for (const f of files) {
      if (!f.endsWith('.js') || f.startsWith('bin/')) continue;
      for (const file of [f, f.replace(/\.js$/, '.d.ts')]) {
        if (!files.has(file)) continue;
        for (const spec of specifiersOf(readFileSync(join(extracted, file), 'utf8'))) {
          if (spec.startsWith('node:') || builtinModules.includes(spec) || spec.startsWith('#')) {
            if (spec.startsWith('#') && !(spec in (manifest.imports ?? {}))) problems.push(`${file}: ${spec} is not in "imports"`);
            continue;
          }
          const dep = packageOf(spec);
          const typesDep = `@types/${dep.replace('@', '').replace('/', '__')}`;
          if (dep === name) {
            problems.push(`${file}: imports its own package by name (${spec})`);
          } else if (!declared.has(dep) && !(file.endsWith('.d.ts') && declared.has(typesDep))) {
            problems.push(`${file}: ${spec} is not a declared dependency`);
          } else if (dep.startsWith('@sealpost/')) {
            const entry = '.' + spec.slice(dep.length);
            const target = packed.get(dep);
            if (target !== undefined && !exportKeys(target.manifest.exports).includes(entry)) {
              problems.push(`${file}: ${spec} is not a published entry of ${dep}`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('what the shipped entries pull in', () => {
  it('@sealpost/protocol under the browser condition: no node:* or Node built-in from any entry', () => {
    const { manifest } = packed.get('@sealpost/protocol')!;
    const nodeOnly = new Set<string>();
    for (const key of exportKeys(manifest.exports)) {
      const target = targetsOf((manifest.exports as Record<string, unknown>)[key])[0]!;
      const { loaded, lazy } = reachableImports(packed.get('@sealpost/protocol')!, target, ['browser', 'import']);
      for (const spec of [...loaded, ...lazy]) {
        if (spec.startsWith('node:') || builtinModules.includes(spec)) nodeOnly.add(`${key}: ${spec}`);
      }
    }
    expect([...nodeOnly]).toEqual([]);
  });

  it('@sealpost/client root entry: loads neither better-sqlite3 nor ws (ws at most lazily, as the default WebSocket)', () => {
    const { manifest } = packed.get('@sealpost/client')!;
    const target = targetsOf((manifest.exports as Record<string, unknown>)['.'])[0]!;
    const { loaded, lazy } = reachableImports(packed.get('@sealpost/client')!, target, ['node', 'import']);
    expect([...loaded].filter((s) => s === 'better-sqlite3' || s === 'ws')).toEqual([]);
    expect([...lazy].filter((s) => s === 'better-sqlite3')).toEqual([]);
  });
});

describe('what installing the client installs', () => {
  it('@sealpost/client: no server framework among its dependencies, ours included', () => {
    const installed = new Set<string>();
    const queue: string[] = ['@sealpost/client'];
    while (queue.length > 0) {
      const pkg = packed.get(queue.pop()!);
      for (const dep of Object.keys(pkg?.manifest.dependencies ?? {})) {
        if (installed.has(dep)) continue;
        installed.add(dep);
        if (dep.startsWith('@sealpost/')) queue.push(dep);
      }
    }
    expect([...installed].filter((d) => d === 'fastify' || d.startsWith('@fastify/') || d === 'pino')).toEqual([]);
  });
});

describe('a fresh app outside the workspace with the tarballs installed', () => {
  beforeAll(() => {
    app = join(work!, 'app');
    mkdirSync(app);
    const requireFromClient = createRequire(join(root, PUBLISHABLE['@sealpost/client']!, 'package.json'));
    const sqlitePackageJson = requireFromClient.resolve('better-sqlite3/package.json');
    const sqliteVersion = readJson<{ version: string }>(sqlitePackageJson).version;
    const nodeTypesVersion = readJson<{ version: string }>(join(root, 'node_modules/@types/node/package.json')).version;
    const manifest = { name: 'sealpost-consumer', private: true, type: 'module', overrides: { 'better-sqlite3': sqliteVersion } };
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    mustRun(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error', ...tarballs.values(), `@types/node@${nodeTypesVersion}`],
      app,
      300_000,
    );
    const compiled = join(dirname(sqlitePackageJson), 'build/Release/better_sqlite3.node');
    if (existsSync(compiled)) {
      const target = join(app, 'node_modules/better-sqlite3/build/Release');
      mkdirSync(target, { recursive: true });
      copyFileSync(compiled, join(target, 'better_sqlite3.node'));
    } else {
      mustRun('npm', ['rebuild', 'better-sqlite3', '--loglevel=error'], app, 300_000);
    }
    for (const f of readdirSync(consumerDir)) copyFileSync(join(consumerDir, f), join(app, f));
  }, 600_000);

  it('plain node: both services and two clients from the installed packages round-trip a message each way', () => {
    const r = run(process.execPath, ['round-trip.mjs'], app, 90_000);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('SEALPOST_PACKED_ROUND_TRIP_OK');
  });

  it('tsc --noEmit: a TypeScript consumer type-checks against the installed declarations', () => {
    const r = run(process.execPath, [tscBin, '-p', 'tsconfig.json'], app, 120_000);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it('tsc --noEmit, browser view: protocol and client root type-check with the DOM library and no Node types', () => {
    const r = run(process.execPath, [tscBin, '-p', 'tsconfig.browser.json'], app, 120_000);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it('bin sealpost-keyserver keygen: every key file, 0600, with which service gets which', () => {
    const keys = join(app, 'keys');
    const made = run(join(app, 'node_modules/.bin/sealpost-keyserver'), ['keygen', '--out', keys], app, 60_000);
    expect(made.status, made.stderr).toBe(0);
    for (const f of ['trust-root.json', 'trust-root.public.json', 'server-certificate.json', 'relay-credential-key.json', 'relay-credential.public.json']) {
      expect(made.stdout).toContain(join(keys, f));
      expect(statSync(join(keys, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(made.stdout).toContain('relay and blob service: --keyserver-public-key @');
  });

  it('bin sealpost-witness keygen: a 32-byte key and its cosignature/v1 vkey; a log vkey from the installed @sealpost/keytrans', () => {
    const made = run(join(app, 'node_modules/.bin/sealpost-witness'), ['keygen', '--name', 'witness.example/w1'], app, 60_000);
    expect(made.status, made.stderr).toBe(0);
    const m = /^key ([A-Za-z0-9+/]{43}=)\nvkey (witness\.example\/w1\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)\n$/.exec(made.stdout);
    expect(m, made.stdout).not.toBeNull();
    writeFileSync(join(app, 'witness.key'), `${m![1]}\n`, { mode: 0o600 });
    const script = "const k = await import('@sealpost/keytrans'); process.stdout.write(k.ed25519NoteSigner('example.org/sealpost-kt/0011223344556677', crypto.getRandomValues(new Uint8Array(32))).vkey);";
    const log = run(process.execPath, ['--input-type=module', '-e', script], app, 30_000);
    expect(log.status, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/^example\.org\/sealpost-kt\/0011223344556677\+[0-9a-f]{8}\+/);
    writeFileSync(join(app, 'log.vkey'), log.stdout);
  });

  it.each([
    ['sealpost-keyserver', () => ['--db', ':memory:', '--server-certificate', join(app, 'keys/server-certificate.json'), '--relay-key', join(app, 'keys/relay-credential-key.json')]],
    ['sealpost-relay', () => ['--db', ':memory:', '--keyserver-url', 'http://127.0.0.1:9', '--keyserver-public-key', `@${join(app, 'keys/relay-credential.public.json')}`]],
    ['sealpost-blobs', () => ['--dir', join(app, 'blob-store'), '--keyserver-public-key', `@${join(app, 'keys/relay-credential.public.json')}`]],
    [
      'sealpost-witness',
      () => ['--name', 'witness.example/w1', '--key', `@${join(app, 'witness.key')}`, '--logs', readFileSync(join(app, 'log.vkey'), 'utf8'), '--db', join(app, 'witness.sqlite')],
    ],
  ])('bin %s: --help lists its settings; run by plain node it serves /health, /ready and /metrics, and drains to exit 0 on SIGTERM', async (bin, args) => {
    const binPath = join(app, 'node_modules/.bin', bin);
    const help = run(binPath, ['--help'], app, 30_000);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain(`Usage: ${bin}`);
    for (const flag of ['--config', '--trust-proxy', '--metrics', '--shutdown-timeout-ms']) expect(help.stdout).toContain(`${flag} / `);

    const port = await freePort();
    const child = spawn(binPath, [...args(), '--port', String(port), '--metrics', 'same'], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    let serving = false;
    for (const deadline = Date.now() + 30_000; !serving && child.exitCode === null && Date.now() < deadline; ) {
      serving = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!serving) await new Promise((r) => setTimeout(r, 200));
    }
    const ready = serving ? (await fetch(`http://127.0.0.1:${port}/ready`)).status : 0;
    const metrics = serving ? await (await fetch(`http://127.0.0.1:${port}/metrics`)).text() : '';
    child.kill('SIGTERM');
    const code = await exited;
    expect(serving, output).toBe(true);
    expect(ready, output).toBe(200);
    expect(metrics).toMatch(/^sealpost_http_request_duration_seconds_count\{[^}]*route="\/health",status_code="200"\} [1-9]/m);
    expect(metrics).toContain('process_resident_memory_bytes');
    expect(code, output).toBe(0);
  });
});
