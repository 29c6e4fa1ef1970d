/**
 * One flags + environment loader for every service's `main.ts`. A service
 * describes its settings once, as a typed spec:
 *
 *     const spec = {
 *       port: { parse: parsePort, default: 8080, description: 'TCP port' },
 *       db:   { parse: parseString, default: 'keyserver.db', description: 'SQLite file' },
 *       relayKey: { parse: parseString, description: 'relay-credential key file' },
 *     } satisfies ConfigSpec;
 *     const config = loadConfig(spec, { envPrefix: 'KEYSERVER_' });
 *     // config.port: number, config.relayKey: string | undefined
 *
 * Each setting is read from `--<flag>` (default: the name in kebab case,
 * `relayKey` → `--relay-key`, also `--relay-key=value`), else from the
 * environment variable `<envPrefix><ENV>` (default: the name in upper snake
 * case, `KEYSERVER_RELAY_KEY`), else from the optional configuration file,
 * else its default: flags > environment > file > defaults.
 *
 * The file is named by `--config <file.json>` or `<envPrefix>CONFIG`: one
 * JSON object whose keys are setting names (`relayKey`) or flag names
 * (`relay-key`); values are strings, numbers, booleans or arrays of them
 * (an array is joined with commas), and go through the same `parse` as a
 * flag's text. A key the spec does not know is refused, naming the file and
 * the key. Unknown flags, positional arguments, missing required values and
 * values `parse` rejects all throw a `ConfigError` naming the flag, the
 * variable (or the file) and the bad value.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** One setting. */
export interface ConfigOption<T> {
  /** Turns the text into the value; throws (any Error) with a short reason when it is not acceptable. */
  parse: (text: string) => T;
  /** Used when neither flag nor variable is given. */
  default?: T;
  /** When true, a missing value is an error. */
  required?: boolean;
  /** Flag name without the dashes (default: kebab case of the setting's name). */
  flag?: string;
  /** Variable name without the prefix (default: upper snake case of the setting's name). */
  env?: string;
  /** One line for `configUsage`. */
  description: string;
  /** How `configUsage` shows the default (default: its JSON). */
  showDefault?: string;
}

/** A service's settings by name. */
export type ConfigSpec = Record<string, ConfigOption<any>>;

/** The value type a setting resolves to: what `parse` returns, `| undefined` unless it has a default or is required. */
export type ConfigValue<O> = O extends { parse: (text: string) => infer T }
  ? O extends { default: unknown } | { required: true }
    ? T
    : T | undefined
  : never;

/** The loaded configuration. */
export type Config<S extends ConfigSpec> = { [K in keyof S]: ConfigValue<S[K]> };

/** Where settings come from (defaults: `process.argv.slice(2)` and `process.env`). */
export interface ConfigSources {
  /** Prefix of every variable, e.g. `KEYSERVER_`. */
  envPrefix: string;
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/** A bad command line or environment; the message says which setting and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

function names(name: string, option: ConfigOption<unknown>, envPrefix: string): { flag: string; env: string } {
  return { flag: option.flag ?? kebab(name), env: envPrefix + (option.env ?? snake(name)) };
}

/** The flag naming the configuration file (its variable is `<envPrefix>CONFIG`). */
export const CONFIG_FILE_FLAG = 'config';

function fileText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(',');
  return undefined;
}

/** Reads the configuration file: setting name → text, refusing keys the spec does not have. */
function readConfigFile(path: string, spec: ConfigSpec, envPrefix: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path}: must hold one JSON object`);
  const byKey = new Map<string, string>();
  for (const [name, option] of Object.entries(spec)) {
    byKey.set(name, name);
    byKey.set(names(name, option, envPrefix).flag, name);
  }
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    const name = byKey.get(key);
    if (name === undefined) throw new ConfigError(`config file ${path}: unknown setting ${JSON.stringify(key)} (known: ${Object.keys(spec).join(', ')})`);
    const text = fileText(value);
    if (text === undefined) throw new ConfigError(`config file ${path}: ${JSON.stringify(key)} must be a string, number, boolean or array of them`);
    out.set(name, text);
  }
  return out;
}

/** Loads every setting of `spec`; throws `ConfigError` on the first problem. */
export function loadConfig<const S extends ConfigSpec>(spec: S, sources: ConfigSources): Config<S> {
  const argv = sources.argv ?? process.argv.slice(2);
  const env = sources.env ?? process.env;
  const options: Record<string, { type: 'string' }> = { [CONFIG_FILE_FLAG]: { type: 'string' } };
  for (const [name, option] of Object.entries(spec)) options[names(name, option, sources.envPrefix).flag] = { type: 'string' };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // node's parseArgs capitalises its messages; ours start lower-case.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new ConfigError(message.charAt(0).toLowerCase() + message.slice(1));
  }
  const configFlag = values[CONFIG_FILE_FLAG];
  const configPath = typeof configFlag === 'string' ? configFlag : env[`${sources.envPrefix}CONFIG`];
  const file = configPath === undefined || configPath === '' ? new Map<string, string>() : readConfigFile(configPath, spec, sources.envPrefix);
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec)) {
    const { flag, env: envName } = names(name, option, sources.envPrefix);
    const fromFlag = values[flag];
    const fromEnv = env[envName];
    const [text, source] =
      typeof fromFlag === 'string' ? [fromFlag, `--${flag}`] : fromEnv !== undefined ? [fromEnv, envName] : [file.get(name), `config file ${configPath}: ${name}`];
    if (text === undefined) {
      if (option.required === true && !('default' in option)) throw new ConfigError(`--${flag} (or ${envName}) is required: ${option.description} (a config file may set it as "${name}")`);
      out[name] = option.default;
      continue;
    }
    try {
      out[name] = option.parse(text);
    } catch (e) {
      throw new ConfigError(`${source}: ${(e as Error).message} (got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)})`);
    }
  }
  return out as Config<S>;
}

/** How a default is shown: `show` of the option if given, else JSON (arrays comma-joined). */
function shownDefault(option: ConfigOption<unknown>): string {
  if (option.showDefault !== undefined) return option.showDefault;
  const d = option.default;
  return Array.isArray(d) ? JSON.stringify(d.join(',')) : JSON.stringify(d);
}

/** A help text: one line per setting with its flag, variable and default, then how the config file works. */
export function configUsage(spec: ConfigSpec, envPrefix: string): string {
  const lines = Object.entries(spec).map(([name, option]) => {
    const { flag, env } = names(name, option, envPrefix);
    const dflt = 'default' in option ? ` (default ${shownDefault(option)})` : option.required === true ? ' (required)' : '';
    return `  --${flag} / ${env}: ${option.description}${dflt}`;
  });
  lines.push(
    `  --${CONFIG_FILE_FLAG} / ${envPrefix}CONFIG: a JSON file of settings by name (e.g. {"${Object.keys(spec)[0] ?? 'port'}": …}); flags > environment > file > defaults; unknown keys are refused`,
  );
  return lines.join('\n');
}

/** The same list as a Markdown table (for READMEs; tests keep the READMEs equal to it). */
export function configMarkdown(spec: ConfigSpec, envPrefix: string): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = Object.entries(spec).map(([name, option]) => {
    const { flag, env } = names(name, option, envPrefix);
    const dflt = 'default' in option ? `\`${shownDefault(option).replace(/^"(.*)"$/, '$1')}\`` : option.required === true ? 'required' : '—';
    return `| \`--${flag}\` | \`${env}\` | ${cell(dflt)} | ${cell(option.description)} |`;
  });
  return ['| flag | variable | default | what |', '|---|---|---|---|', ...rows, `| \`--${CONFIG_FILE_FLAG}\` | \`${envPrefix}CONFIG\` | — | JSON file of settings by name; flags > environment > file > defaults; unknown keys are refused |`].join('\n');
}

/** Any non-empty text. */
export function parseString(text: string): string {
  if (text.length === 0) throw new Error('must not be empty');
  return text;
}

/** An integer parser bounded to `[min, max]`. */
export function parseInteger(min = 0, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const n = /^-?[0-9]+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** A TCP port (0 = any free port). */
export const parsePort: (text: string) => number = parseInteger(0, 65535);

/** One of the given words (case-insensitive; answered as listed). */
export function parseOneOf<const W extends string>(words: readonly W[]): (text: string) => W {
  return (text) => {
    const found = words.find((w) => w.toLowerCase() === text.toLowerCase());
    if (found === undefined) throw new Error(`must be one of ${words.join(', ')}`);
    return found;
  };
}

/** true/false, 1/0, yes/no. */
export function parseBoolean(text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  throw new Error('must be true or false');
}

/** Comma-separated, trimmed, empty items dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** A token-bucket limit: `burst` units, one more every `refillMs`. */
export interface BucketRate {
  burst: number;
  refillMs: number;
}

/** `<burst>/<refill ms>` (e.g. `6/600000`: 6 at once, then one per 10 min), or `off`. */
export function parseRateLimit(text: string): BucketRate | false {
  if (text.trim().toLowerCase() === 'off') return false;
  const m = /^\s*([0-9]{1,9})\s*\/\s*([0-9]{1,12})\s*$/.exec(text);
  if (m === null || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error('must be <burst>/<refill ms> (both ≥ 1), e.g. 6/600000, or off');
  return { burst: Number(m[1]), refillMs: Number(m[2]) };
}

/** How a rate limit is shown in `--help`. */
export function showRateLimit(limit: BucketRate | false): string {
  return limit === false ? 'off' : `${limit.burst}/${limit.refillMs}`;
}
