/**
 * Helpers of the packed-tarball consumer test (packed-packages.test.ts):
 * running tools, reading packed manifests, and following the imports of
 * compiled files.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** The fields of a package.json the test reads. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  types?: string;
  exports?: unknown;
  imports?: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A packed package: its manifest as published, the files in its tarball, where it was extracted. */
export interface PackedPackage {
  manifest: Manifest;
  files: Set<string>;
  extracted: string;
}

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** `from '…'`, `import('…')` and `import '…'`; group 1 tells a dynamic import from a static one, group 2 is the specifier. */
const IMPORT_PATTERN = /((?<![\w$'".])from\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm; // not a property named "from" (`['from', 'proof']`)

/** Drops block comments, so the doc comments tsc keeps cannot look like imports. */
function withoutBlockComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The environment for the tools we start: without the npm_* / pnpm_* variables of an outer pnpm run. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm|pnpm)_/i.test(k) && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) env[k] = v;
  }
  return env;
}

/** Runs a tool to completion (logging how long it took); never throws. */
export function run(command: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (command !== 'tar') console.log(`[pack test] ${command.split('/').pop()} ${args.slice(0, 3).join(' ')} … ${seconds} s, exit ${result.status ?? result.signal}`);
  return result;
}

/** Runs a tool and returns its stdout; throws with its output when it fails. */
export function mustRun(command: string, args: string[], cwd: string, timeoutMs: number): string {
  const r = run(command, args, cwd, timeoutMs);
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Every string target inside an exports/imports value (through nested conditions). */
export function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value as Record<string, unknown>).flatMap(targetsOf);
}

/** The subpaths an `exports` field defines. */
export function exportKeys(exportsField: unknown): string[] {
  if (typeof exportsField === 'string') return ['.'];
  return Object.keys((exportsField ?? {}) as Record<string, unknown>);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** The bare module specifiers a compiled file imports (static, dynamic, `export … from`, `import type`). */
export function specifiersOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of withoutBlockComments(code).matchAll(IMPORT_PATTERN)) found.add(m[2]!);
  return [...found].filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}

/** The package a bare specifier names (`@scope/name` or `name`). */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * The bare specifiers the compiled JavaScript reachable from `entry` imports, following relative and
 * `#` imports: `loaded` are imported statically on the way (so importing the entry loads them),
 * `lazy` only by a dynamic import() somewhere.
 */
export function reachableImports(pkg: PackedPackage, entry: string, conditions: string[]): { loaded: Set<string>; lazy: Set<string> } {
  const { manifest, extracted } = pkg;
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value === null || typeof value !== 'object') return undefined;
    for (const [condition, target] of Object.entries(value as Record<string, unknown>)) {
      if (conditions.includes(condition) || condition === 'default') {
        const picked = pick(target);
        if (picked !== undefined) return picked;
      }
    }
    return undefined;
  };
  const seen = new Map<string, boolean>();
  const loaded = new Set<string>();
  const lazy = new Set<string>();
  const queue: [string, boolean][] = [[join(extracted, entry), true]];
  while (queue.length > 0) {
    const [file, isLoaded] = queue.pop()!;
    if (seen.get(file) === true || (seen.has(file) && !isLoaded)) continue;
    seen.set(file, isLoaded);
    for (const m of withoutBlockComments(readFileSync(file, 'utf8')).matchAll(IMPORT_PATTERN)) {
      const spec = m[2]!;
      const staticImport = isLoaded && !m[1]!.includes('(');
      if (spec.startsWith('.')) queue.push([resolve(dirname(file), spec), staticImport]);
      else if (spec.startsWith('#')) {
        const target = pick(manifest.imports?.[spec]);
        if (target === undefined) throw new Error(`${file}: ${spec} resolves to nothing under ${conditions.join(', ')}`);
        queue.push([join(extracted, target), staticImport]);
      } else (staticImport ? loaded : lazy).add(spec);
    }
  }
  return { loaded, lazy };
}

