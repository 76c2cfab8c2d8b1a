import type { MigrationSet } from "../../../lib/db/migrate";
import { createBilling } from "./20261122T000400_create_billing";

/** The billing subgraph's migrations, applied into the `billing` schema. */
export function billingMigrations(appRole: string): MigrationSet {
  return { schema: "billing", migrations: { "20261122T000400_create_billing": createBilling(appRole) } };
}
