import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The owner connection for maintenance CLIs: `DATABASE_URL`, or the one a running
 * `npm start` recorded for its embedded Postgres (its port changes per run).
 */
export function ownerUrl(): string {
  const fromEnv = process.env["DATABASE_URL"];
  if (fromEnv) return fromEnv;
  const runtime = join(process.env["HUB_DATA_DIR"] ?? ".data", "runtime.json");
  if (!existsSync(runtime)) throw new Error("no database: set DATABASE_URL, or run `npm start` in another terminal first");
  const parsed: unknown = JSON.parse(readFileSync(runtime, "utf8"));
  const url = typeof parsed === "object" && parsed !== null ? (parsed as { ownerUrl?: unknown }).ownerUrl : undefined;
  if (typeof url !== "string") throw new Error(`${runtime} has no ownerUrl; restart with npm start`);
  return url;
}
