import type { Kysely } from "kysely";
import { withTenant } from "../../../lib/db/tenant";
import { mapConnection, toConnection, type Connection } from "../../../lib/pagination/connection";
import { loaderPerPageRequest } from "../../../lib/pagination/page-loaders";
import { toActivity } from "./activity/activity.mapper";
import { listActivityForLeads } from "./activity/activity.repository";
import type { LeadActivity } from "./activity/activity.type";
import type { AnalyticsLoaders } from "./context";
import type { AnalyticsDatabase } from "./database";

/** Creates the loaders for one request, bound to the caller's tenant. */
export function createAnalyticsLoaders(db: Kysely<AnalyticsDatabase>, tenantId: string): AnalyticsLoaders {
  const activity = loaderPerPageRequest<string, Connection<LeadActivity>>(async (request, ids) => {
    const pages = await withTenant(db, tenantId, (trx) => listActivityForLeads(trx, tenantId, ids, request));
    return ids.map((id) => mapConnection(toConnection(request, pages.get(id)!, (row) => ({ value: row.sort_value, id: row.id })), toActivity));
  });
  return { activity };
}
