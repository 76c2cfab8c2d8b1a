import type { Kysely } from "kysely";
import type { EventTail } from "../../../lib/events/event-tail";
import type { IdentityContext } from "../../../lib/server/federated-schema";
import type { LeadsDatabase } from "./database";
import type { LeadLoaders } from "./lead/lead.loader";

/** Per-request context of the leads subgraph. */
export interface LeadsContext extends IdentityContext {
  db: Kysely<LeadsDatabase>;
  loaders: LeadLoaders;
  /** The process's live tail of the events log, which `leadChanged` reads. */
  events: EventTail;
}
