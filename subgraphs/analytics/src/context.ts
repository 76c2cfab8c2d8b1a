import type DataLoader from "dataloader";
import type { Kysely } from "kysely";
import type { Connection } from "../../../lib/pagination/connection";
import type { SnapshotFeed } from "../../../lib/server/snapshot-feed";
import type { PageRequest } from "../../../lib/pagination/page-request";
import type { IdentityContext } from "../../../lib/server/federated-schema";
import type { LeadActivity } from "./activity/activity.type";
import type { DashboardSnapshot } from "./dashboard/dashboard.type";
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
  /** Live dashboards, shared per tenant by the process's subscribers. */
  dashboards: SnapshotFeed<DashboardSnapshot>;
}
