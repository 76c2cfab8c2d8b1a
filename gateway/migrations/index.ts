import type { MigrationSet } from "../../lib/db/migrate";
import { createApiKeys } from "./20261121T000200_create_api_keys";

/** The gateway's migrations, applied into the `gateway` schema. */
export function gatewayMigrations(appRole: string): MigrationSet {
  return { schema: "gateway", migrations: { "20261121T000200_create_api_keys": createApiKeys(appRole) } };
}
