import type { MigrationSet } from "../../../lib/db/migrate";
import { createLeads } from "./20261121T000100_create_leads";
import { addGhlSync } from "./20261123T000100_ghl_sync";
import { addAppointments } from "./20261203T000100_appointments";

/** The leads subgraph's migrations, applied into the `leads` schema. */
export function leadsMigrations(appRole: string): MigrationSet {
  return {
    schema: "leads",
    migrations: {
      "20261121T000100_create_leads": createLeads(appRole),
      "20261123T000100_ghl_sync": addGhlSync(appRole),
      "20261203T000100_appointments": addAppointments(appRole),
    },
  };
}
