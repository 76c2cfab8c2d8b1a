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

/** Inserts new scores of one tenant in one statement. */
export async function insertScores(db: Db, rows: readonly Insertable<ScoreTable>[]): Promise<ScoreRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto("intelligence.scores").values([...rows]).returningAll().execute();
}
