import DataLoader from "dataloader";
import type { Kysely } from "kysely";
import { withTenant } from "../../../lib/db/tenant";
import { isUuid } from "../../../lib/ids";
import { mapConnection, toConnection, type Connection } from "../../../lib/pagination/connection";
import { pageInMemory } from "../../../lib/pagination/in-memory";
import { loaderPerPageRequest } from "../../../lib/pagination/page-loaders";
import type { PageRequest } from "../../../lib/pagination/page-request";
import type { IntelligenceDatabase } from "./database";
import type { LeadEvaluator } from "./evaluation/lead-evaluator";
import type { LeadFeatures } from "./features/lead-features";
import { findFeatures } from "./features/lead-features.repository";
import { toInsight } from "./insight/insight.mapper";
import { listInsightsForLeads } from "./insight/insight.repository";
import type { ConversationInsight } from "./insight/insight.type";
import { compareToMatch, matchPosition } from "./match/match.paging";
import type { PropertyMatch } from "./match/match.type";
import { toProperty } from "./property/property.mapper";
import { findPropertiesByIds } from "./property/property.repository";
import type { Property } from "./property/property.type";
import { toLeadScore } from "./score/score.mapper";
import { findLatestScores, findScoresByIds, listScoresForLeads } from "./score/score.repository";
import type { LeadScore } from "./score/score.type";

/** Per-request DataLoaders: every field on a page of leads is one statement per batch. */
export interface IntelligenceLoaders {
  features: DataLoader<string, LeadFeatures | null>;
  latestScore: DataLoader<string, LeadScore | null>;
  /** One recorded score by its id (scores never change once recorded). */
  scoreById: DataLoader<string, LeadScore | null>;
  scoreHistory(request: PageRequest): DataLoader<string, Connection<LeadScore>>;
  insights(request: PageRequest): DataLoader<string, Connection<ConversationInsight>>;
  /** Ranked matches, from the evaluator's cache when the lead's revision was seen before. */
  propertyMatches(request: PageRequest): DataLoader<string, Connection<PropertyMatch>>;
  propertyById: DataLoader<string, Property | null>;
}

/** Creates the loaders for one request, bound to the caller's tenant. */
export function createIntelligenceLoaders(db: Kysely<IntelligenceDatabase>, tenantId: string, evaluator: LeadEvaluator): IntelligenceLoaders {
  // Malformed ids never reach SQL (a uuid cast would fail the whole batch); they resolve to nothing.
  function byUuid<V>(load: (ids: string[]) => Promise<Map<string, V>>, missing: V): (ids: readonly string[]) => Promise<V[]> {
    return async (ids) => {
      const valid = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      const found = valid.length > 0 ? await load(valid) : new Map<string, V>();
      return ids.map((id) => found.get(id.toLowerCase()) ?? missing);
    };
  }

  const features = new DataLoader<string, LeadFeatures | null>(
    byUuid(async (ids) => new Map((await withTenant(db, tenantId, (trx) => findFeatures(trx, tenantId, ids))).map((f) => [f.leadId, f])), null),
  );

  const latestScore = new DataLoader<string, LeadScore | null>(
    byUuid(async (ids) => new Map((await withTenant(db, tenantId, (trx) => findLatestScores(trx, tenantId, ids))).map((row) => [row.lead_id, toLeadScore(row)])), null),
  );

  const scoreById = new DataLoader<string, LeadScore | null>(
    byUuid(async (ids) => new Map((await withTenant(db, tenantId, (trx) => findScoresByIds(trx, tenantId, ids))).map((row) => [row.id, toLeadScore(row)])), null),
  );

  const scoreHistory = loaderPerPageRequest<string, Connection<LeadScore>>(async (request, ids) => {
    const pages = await withTenant(db, tenantId, (trx) => listScoresForLeads(trx, tenantId, ids, request));
    return ids.map((id) => mapConnection(toConnection(request, pages.get(id)!, (row) => ({ value: row.sort_value, id: row.id })), toLeadScore));
  });

  const insights = loaderPerPageRequest<string, Connection<ConversationInsight>>(async (request, ids) => {
    const pages = await withTenant(db, tenantId, (trx) => listInsightsForLeads(trx, tenantId, ids, request));
    return ids.map((id) => mapConnection(toConnection(request, pages.get(id)!, (row) => ({ value: row.sort_value, id: row.id })), toInsight));
  });

  const propertyMatches = loaderPerPageRequest<string, Connection<PropertyMatch>>(async (request, ids) => {
    const known = (await features.loadMany(ids)).filter((f): f is LeadFeatures => f !== null && !(f instanceof Error));
    const ranked = await evaluator.matches(tenantId, known);
    return ids.map((id) => {
      const page = pageInMemory(ranked.get(id.toLowerCase()) ?? [], request, compareToMatch);
      return mapConnection(toConnection(request, page, matchPosition), ({ listing, score, reasons }) => ({ property: listing, score, reasons }));
    });
  });

  const propertyById = new DataLoader<string, Property | null>(
    byUuid(async (ids) => new Map((await withTenant(db, tenantId, (trx) => findPropertiesByIds(trx, tenantId, ids))).map((row) => [row.id, toProperty(row)])), null),
  );

  return { features, latestScore, scoreById, scoreHistory, insights, propertyMatches, propertyById };
}
