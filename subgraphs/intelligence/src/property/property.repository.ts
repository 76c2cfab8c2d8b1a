import { sql, type Insertable, type Kysely } from "kysely";
import { beyond, orderBy, readsDescending, type KeysetOrder } from "../../../../lib/db/keyset";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { IntelligenceDatabase, PropertyRow, PropertyTable } from "../database";
import type { SearchProfile } from "../features/lead-features";

type Db = Kysely<IntelligenceDatabase>;

/** A property row plus its sort value as Postgres renders it (for cursors). */
export type SortedPropertyRow = PropertyRow & { sort_value: string };

/** Conditions of a listing query, already validated. */
export interface PropertyListFilter {
  areas?: readonly string[];
  priceMin?: number;
  priceMax?: number;
  bedroomsMin?: number;
  types?: readonly string[];
  statuses?: readonly string[];
}

/** Columns `listProperties` can sort by. */
export type PropertySortColumn = "price" | "listed_at";

function filtered(db: Db, tenantId: string, filter: PropertyListFilter) {
  let query = db.selectFrom("intelligence.properties as p").where("p.tenant_id", "=", tenantId);
  if (filter.areas?.length) query = query.where("p.area", "in", filter.areas);
  if (filter.priceMin !== undefined) query = query.where("p.price", ">=", filter.priceMin);
  if (filter.priceMax !== undefined) query = query.where("p.price", "<=", filter.priceMax);
  if (filter.bedroomsMin !== undefined) query = query.where("p.bedrooms", ">=", filter.bedroomsMin);
  if (filter.types?.length) query = query.where("p.property_type", "in", filter.types);
  if (filter.statuses?.length) query = query.where("p.status", "in", filter.statuses);
  return query;
}

/** One page of a tenant's listings by keyset: the page, and the total with the near-side check. */
export async function listProperties(
  db: Db,
  tenantId: string,
  filter: PropertyListFilter,
  sort: { column: PropertySortColumn; descending: boolean },
  request: PageRequest,
): Promise<PageResult<SortedPropertyRow>> {
  const order: KeysetOrder = { sortColumn: `p.${sort.column}`, idColumn: "p.id", descending: sort.descending };
  const descending = readsDescending(order, request);
  let page = filtered(db, tenantId, filter)
    .selectAll("p")
    .select(sql<string>`${sql.ref(`p.${sort.column}`)}::text`.as("sort_value"))
    .orderBy(orderBy(order, descending))
    .limit(request.limit + 1);
  if (request.cursor) page = page.where(beyond(order, request.cursor, descending));
  const nearSide = request.cursor ? sql<boolean>`not ${beyond(order, request.cursor, descending)}` : sql<boolean>`false`;
  const [rows, counts] = await Promise.all([
    page.execute(),
    filtered(db, tenantId, filter)
      .select([sql<number>`count(*)::int`.as("total"), sql<boolean>`coalesce(bool_or(${nearSide}), false)`.as("before")])
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, totalCount: counts.total, hasRowsBeforeCursor: counts.before };
}

/** Listings of one tenant by id. */
export function findPropertiesByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<PropertyRow[]> {
  return db.selectFrom("intelligence.properties").selectAll().where("tenant_id", "=", tenantId).where("id", "in", ids).execute();
}

/** A lead's search, keyed by lead, as the batch queries below take it. */
export interface ProfileOfLead {
  leadId: string;
  profile: SearchProfile;
}

function profilesJson(profiles: readonly ProfileOfLead[]): string {
  return JSON.stringify(
    profiles.map(({ leadId, profile }) => ({
      lead_id: leadId,
      areas: profile.areas,
      budget_min: profile.budgetMin,
      budget_max: profile.budgetMax,
      bedrooms_min: profile.bedroomsMin,
      property_types: profile.propertyTypes,
    })),
  );
}

/** Most candidates fetched per lead: deeper than anyone pages, cheap to rank. */
const MAX_CANDIDATES = 200;

/**
 * Candidate listings for many leads in one statement: each lead's hard filter (see
 * `isCandidate`, which re-checks them) served by the (tenant, area, status, price) index,
 * the priciest affordable first, at most {@link MAX_CANDIDATES} per lead.
 */
export async function findCandidates(
  db: Db,
  tenantId: string,
  profiles: readonly ProfileOfLead[],
  statuses: readonly string[],
): Promise<Map<string, PropertyRow[]>> {
  const byLead = new Map<string, PropertyRow[]>(profiles.map(({ leadId }) => [leadId, []]));
  if (profiles.length === 0) return byLead;
  const { rows } = await sql<PropertyRow & { lead_id: string }>`
    select l.lead_id::text as lead_id, p.*
    from jsonb_to_recordset(${profilesJson(profiles)}::jsonb)
      as l(lead_id uuid, areas text[], budget_max int, bedrooms_min int, property_types text[])
    cross join lateral (
      select c.* from intelligence.properties c
      where c.tenant_id = ${tenantId}
        and c.status = any(${sql.val(statuses)}::text[])
        and (cardinality(l.areas) = 0 or c.area = any(l.areas))
        and (l.budget_max is null or c.price <= l.budget_max * 1.05)
        and (l.bedrooms_min is null or c.bedrooms >= l.bedrooms_min)
        and (cardinality(l.property_types) = 0 or c.property_type = any(l.property_types))
      order by c.price desc, c.id
      limit ${MAX_CANDIDATES}
    ) p`.execute(db);
  for (const { lead_id, ...row } of rows) byLead.get(lead_id)?.push(row);
  return byLead;
}

/**
 * For many leads in one statement: how many available listings in the lead's areas (any
 * area when it named none) are priced within its budget. Leads without a maximum budget get 0.
 */
export async function countAffordable(
  db: Db,
  tenantId: string,
  profiles: readonly ProfileOfLead[],
  statuses: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(profiles.map(({ leadId }) => [leadId, 0]));
  if (profiles.length === 0) return counts;
  const { rows } = await sql<{ lead_id: string; affordable: number }>`
    select l.lead_id::text as lead_id, count(c.id)::int as affordable
    from jsonb_to_recordset(${profilesJson(profiles)}::jsonb) as l(lead_id uuid, areas text[], budget_min int, budget_max int)
    left join intelligence.properties c
      on c.tenant_id = ${tenantId}
      and c.status = any(${sql.val(statuses)}::text[])
      and (cardinality(l.areas) = 0 or c.area = any(l.areas))
      and c.price <= l.budget_max
      and (l.budget_min is null or c.price >= l.budget_min)
    group by l.lead_id`.execute(db);
  for (const row of rows) counts.set(row.lead_id, row.affordable);
  return counts;
}

/** Inserts listings (the seed); existing MLS numbers are left alone. */
export async function insertProperties(db: Db, rows: readonly Insertable<PropertyTable>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto("intelligence.properties")
    .values([...rows])
    .onConflict((oc) => oc.columns(["tenant_id", "mls_number"]).doNothing())
    .returning("id")
    .execute();
  return inserted.length;
}
