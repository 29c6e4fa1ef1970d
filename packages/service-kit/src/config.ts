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
 * case, `KEYSERVER_RELAY_KEY`), else its default. Flags win over the
 * environment. Unknown flags, positional arguments, missing required values
 * and values `parse` rejects all throw a `ConfigError` naming the flag, the
 * variable and the bad value.
 */
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

/** Loads every setting of `spec`; throws `ConfigError` on the first problem. */
export function loadConfig<const S extends ConfigSpec>(spec: S, sources: ConfigSources): Config<S> {
  const argv = sources.argv ?? process.argv.slice(2);
  const env = sources.env ?? process.env;
  const options: Record<string, { type: 'string' }> = {};
  for (const [name, option] of Object.entries(spec)) options[names(name, option, sources.envPrefix).flag] = { type: 'string' };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // node's parseArgs capitalises its messages; ours start lower-case.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new ConfigError(message.charAt(0).toLowerCase() + message.slice(1));
  }
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec)) {
    const { flag, env: envName } = names(name, option, sources.envPrefix);
    const fromFlag = values[flag];
    const text = typeof fromFlag === 'string' ? fromFlag : env[envName];
    const source = typeof fromFlag === 'string' ? `--${flag}` : envName;
    if (text === undefined) {
      if (option.required === true && !('default' in option)) throw new ConfigError(`--${flag} (or ${envName}) is required: ${option.description}`);
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

/** A help text: one line per setting with its flag, variable and default. */
export function configUsage(spec: ConfigSpec, envPrefix: string): string {
  return Object.entries(spec)
    .map(([name, option]) => {
      const { flag, env } = names(name, option, envPrefix);
      const dflt = 'default' in option ? ` (default ${JSON.stringify(option.default)})` : option.required === true ? ' (required)' : '';
      return `  --${flag} / ${env}: ${option.description}${dflt}`;
    })
    .join('\n');
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
