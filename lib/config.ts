/** A configuration problem, named by the environment variable at fault. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/** A string variable; `fallback` undefined makes it optional. */
export function envString(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

/** `value`, or a {@link ConfigError} saying `name` is required and why. */
export function required<T>(value: T | undefined, name: string, why: string): T {
  if (value === undefined) throw new ConfigError(`${name} is required: ${why}`);
  return value;
}

/** A TCP port (0 picks a free one). */
export function envPort(env: Env, name: string, fallback: number): number {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} must be a port number (0-65535); got "${raw}"`);
  return port;
}

/** A positive integer. */
export function envInt(env: Env, name: string, fallback: number): number {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer; got "${raw}"`);
  return value;
}

/** A boolean: true/1/yes or false/0/no. */
export function envBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}"`);
}

/** Parses a duration like `90s`, `15m`, `12h`, `30d` into seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
