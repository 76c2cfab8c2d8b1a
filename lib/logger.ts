import pino from "pino";

/** Structured JSON logger used by every service. */
export type Logger = pino.Logger;

/** Creates the logger for one service; `LOG_LEVEL` sets the level (default `info`, `silent` in tests). */
export function createLogger(service: string, level = process.env["LOG_LEVEL"] ?? "info"): Logger {
  return pino({ name: service, level, base: { service } });
}
