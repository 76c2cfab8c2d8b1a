import pino from "pino";

/** Structured JSON logger used by every service. */
export type Logger = pino.Logger;

/**
 * Creates the logger for one service; `LOG_LEVEL` sets the level (default `info`, `silent` in
 * tests). An unknown level falls back to `info`, so the config check can report it properly.
 */
export function createLogger(service: string, level = process.env["LOG_LEVEL"] ?? "info"): Logger {
  const known = level === "silent" || level in pino.levels.values;
  return pino({ name: service, level: known ? level : "info", base: { service } });
}
