import type { MigrationSet } from "../../../lib/db/migrate";
import { createIntelligence } from "./20261122T000100_create_intelligence";

/** The intelligence subgraph's migrations, applied into the `intelligence` schema. */
export function intelligenceMigrations(appRole: string): MigrationSet {
  return { schema: "intelligence", migrations: { "20261122T000100_create_intelligence": createIntelligence(appRole) } };
}
