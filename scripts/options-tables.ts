/**
 * Writes each service's option table into its README, between
 * `<!-- options:start -->` and `<!-- options:end -->`, from the same spec
 * the loader reads and `--help` prints:
 *
 *   npx tsx scripts/options-tables.ts
 *
 * The services' config tests fail when a README differs from its spec.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMarkdown, type ConfigSpec } from '../packages/service-kit/src/index.ts';
import { KEYSERVER_START_SPEC } from '../services/keyserver/src/start-config.ts';
import { RELAY_CONFIG_SPEC } from '../services/relay/src/config.ts';
import { BLOBS_CONFIG_SPEC } from '../services/blobs/src/config.ts';
import { WITNESS_CONFIG_SPEC } from '../services/witness/src/config.ts';

const root = join(import.meta.dirname, '..');
const services: [string, ConfigSpec, string][] = [
  ['services/keyserver/README.md', KEYSERVER_START_SPEC, 'KEYSERVER_'],
  ['services/relay/README.md', RELAY_CONFIG_SPEC, 'RELAY_'],
  ['services/blobs/README.md', BLOBS_CONFIG_SPEC, 'BLOBS_'],
  ['services/witness/README.md', WITNESS_CONFIG_SPEC, 'WITNESS_'],
];
for (const [file, spec, prefix] of services) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const m = /<!-- options:start -->\n[\s\S]*?<!-- options:end -->/.exec(text);
  if (m === null) throw new Error(`${file}: no <!-- options:start --> … <!-- options:end --> block`);
  const next = text.replace(m[0], `<!-- options:start -->\n${configMarkdown(spec, prefix)}\n<!-- options:end -->`);
  if (next !== text) writeFileSync(path, next);
  console.log(`${file}: ${next === text ? 'up to date' : 'updated'}`);
}
