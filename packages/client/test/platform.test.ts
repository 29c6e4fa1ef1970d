/**
 * The package root must run outside Node: its static import graph (inside
 * this package) reaches neither better-sqlite3 nor ws nor any `node:`
 * module, and no source file on it uses `Buffer`. The SQLite store lives at
 * `@sealpost/client/sqlite`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

function graph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else external.add(spec);
    }
  };
  visit(join(src, entry));
  return { files, external };
}

describe('platform seams', () => {
  it('the root entry imports neither better-sqlite3, ws nor node: modules, and uses no Buffer', () => {
    const { files, external } = graph('index.ts');
    expect([...external].filter((s) => s === 'better-sqlite3' || s === 'ws' || s.startsWith('node:'))).toEqual([]);
    const withBuffer = [...files].filter((f) => /\bBuffer\b/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(withBuffer).toEqual([]);
    expect(files.has(join(src, 'store', 'sqlite.ts'))).toBe(false);
  });

  it('the sqlite entry brings the SQLite store', () => {
    const { external } = graph('sqlite.ts');
    expect(external.has('better-sqlite3')).toBe(true);
  });
});
