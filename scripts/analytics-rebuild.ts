import "reflect-metadata";
import { createLogger } from "../lib/logger";
import { rebuildAnalytics } from "../subgraphs/analytics/src/rebuild";
import { ownerUrl } from "./owner-url";

/**
 * `npm run analytics:rebuild`: replays the whole events log into analytics' tables. Uses
 * DATABASE_URL, or the embedded Postgres of a running `npm start`.
 */
async function main(): Promise<void> {
  const logger = createLogger("analytics-rebuild", process.env["LOG_LEVEL"] ?? "warn");
  const started = Date.now();
  const result = await rebuildAnalytics(ownerUrl(), logger);
  process.stdout.write(`analytics rebuilt from ${result.eventsProjected} events (${result.leads} leads) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`analytics:rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
