import type { MigrationSet } from "../../lib/db/migrate";
import { createInbox } from "./20261201T000100_create_inbox";
import { addInboxClaims } from "./20261201T010000_inbox_claims";
import { claimInboxPlpgsql } from "./20261202T010000_claim_inbox_plpgsql";
import { addFinishInbox } from "./20261202T020000_finish_inbox";
import { addGhlWrites } from "./20261203T000000_ghl_writes";

/** The bridge's migrations, applied into the `bridge` schema. */
export function bridgeMigrations(appRole: string): MigrationSet {
  return {
    schema: "bridge",
    migrations: {
      "20261201T000100_create_inbox": createInbox(appRole),
      "20261201T010000_inbox_claims": addInboxClaims(appRole),
      "20261202T010000_claim_inbox_plpgsql": claimInboxPlpgsql,
      "20261202T020000_finish_inbox": addFinishInbox(appRole),
      "20261203T000000_ghl_writes": addGhlWrites(appRole),
    },
  };
}
