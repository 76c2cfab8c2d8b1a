import { sql, type Insertable, type Kysely } from "kysely";
import { listPagesByParent, type ChildTable, type WithSortValue } from "../../../../lib/db/pages-by-parent";
import type { PageResult } from "../../../../lib/pagination/connection";
import type { PageRequest } from "../../../../lib/pagination/page-request";
import type { IntelligenceDatabase, ScoreRow, ScoreTable } from "../database";

type Db = Kysely<IntelligenceDatabase>;

/** A score row with its id ordering the history (newest first). */
export type PagedScoreRow = WithSortValue<ScoreRow>;

const SCORES: ChildTable = { table: "intelligence.scores", parentColumn: "lead_id", order: { sortColumn: "c.scored_at", idColumn: "c.id", descending: true } };

/** The newest score of each given lead, in one statement. */
export async function findLatestScores(db: Db, tenantId: string, leadIds: readonly string[]): Promise<ScoreRow[]> {
  if (leadIds.length === 0) return [];
  const { rows } = await sql<ScoreRow>`
    select distinct on (lead_id) * from intelligence.scores
    where tenant_id = ${tenantId} and lead_id = any(${sql.val(leadIds)}::uuid[])
    order by lead_id, scored_at desc, id desc`.execute(db);
  return rows;
}

/** Scores by id, in one statement (unknown ids are simply absent). */
export function findScoresByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<ScoreRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom("intelligence.scores").selectAll().where("tenant_id", "=", tenantId).where("id", "in", [...ids]).execute();
}

/** The same page of score history for many leads, in one statement. */
export function listScoresForLeads(db: Db, tenantId: string, leadIds: readonly string[], request: PageRequest): Promise<Map<string, PageResult<PagedScoreRow>>> {
  return listPagesByParent<ScoreRow, IntelligenceDatabase>(db, SCORES, tenantId, leadIds, request);
}

/** A score as inserted, with the tier of its lead's newest score before it (null for a first score). */
export type InsertedScoreRow = ScoreRow & { previous_tier: string | null };

/**
 * Inserts new scores of one tenant in one statement, returned in the order given, each with
 * its lead's previous tier: read in the same statement, so from before these rows existed.
 */
export async function insertScores(db: Db, tenantId: string, rows: readonly Insertable<ScoreTable>[]): Promise<InsertedScoreRow[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .with("previous", (qb) =>
      qb
        .selectFrom("intelligence.scores")
        .distinctOn("lead_id")
        .select(["lead_id", "tier"])
        .where("tenant_id", "=", tenantId)
        .where("lead_id", "in", [...new Set(rows.map((row) => row.lead_id))])
        .orderBy("lead_id")
        .orderBy("scored_at", "desc")
        .orderBy("id", "desc"),
    )
    .with("inserted", (qb) => qb.insertInto("intelligence.scores").values([...rows]).returningAll())
    .selectFrom("inserted")
    .leftJoin("previous", "previous.lead_id", "inserted.lead_id")
    .selectAll("inserted")
    .select("previous.tier as previous_tier")
    .execute();
  const order = new Map(rows.map((row, index) => [row.id, index]));
  return inserted.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}
