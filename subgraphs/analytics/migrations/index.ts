import type { MigrationSet } from "../../../lib/db/migrate";
import { createAnalytics } from "./20261122T000300_create_analytics";

/** The analytics subgraph's migrations, applied into the `analytics` schema. */
export function analyticsMigrations(appRole: string): MigrationSet {
  return { schema: "analytics", migrations: { "20261122T000300_create_analytics": createAnalytics(appRole) } };
}
