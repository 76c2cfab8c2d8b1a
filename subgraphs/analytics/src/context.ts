import type DataLoader from "dataloader";
import type { Kysely } from "kysely";
import type { Connection } from "../../../lib/pagination/connection";
import type { PageRequest } from "../../../lib/pagination/page-request";
import type { IdentityContext } from "../../../lib/server/federated-schema";
import type { LeadActivity } from "./activity/activity.type";
import type { AnalyticsDatabase } from "./database";

/** Per-request DataLoaders of the analytics subgraph. */
export interface AnalyticsLoaders {
  /** The same page of activity for every lead on a page: one statement. */
  activity(request: PageRequest): DataLoader<string, Connection<LeadActivity>>;
}

/** Per-request context of the analytics subgraph. */
export interface AnalyticsContext extends IdentityContext {
  db: Kysely<AnalyticsDatabase>;
  loaders: AnalyticsLoaders;
}
