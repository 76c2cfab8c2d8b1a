import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { createCache, type Cache } from "../../../../lib/cache";
import { withTenant } from "../../../../lib/db/tenant";
import type { IntelligenceDatabase } from "../database";
import { featuresFingerprint, searchProfile, type LeadFeatures } from "../features/lead-features";
import { rankMatches, type RankedMatch } from "../match/match.model";
import { AVAILABLE_LISTING_STATUSES } from "../property/property.enums";
import { toProperty } from "../property/property.mapper";
import { countAffordable, findCandidates, type ProfileOfLead } from "../property/property.repository";
import { scoreLead, type ScoreResult } from "../score/score.model";

/** Options for {@link createLeadEvaluator}. */
export interface LeadEvaluatorOptions {
  /** Entries per cache (scores and matches each). */
  cacheEntries?: number;
  /** How long a cached result may ignore changes to the listings market. */
  cacheTtlMs?: number;
  now?: () => Date;
}

/** How an evaluation runs. */
export interface EvaluationOptions {
  /** Recompute even when a result for the lead's features is cached (a forced rescore). */
  fresh?: boolean;
  /**
   * Run on this transaction (its tenant already set) instead of the pool. Writers evaluate
   * under their row locks this way: a transaction that waited for more pool connections
   * while holding one could starve the pool.
   */
  executor?: Kysely<IntelligenceDatabase>;
}

/** A lead's score and matches, computed together. */
export interface LeadEvaluation {
  score: ScoreResult;
  matches: RankedMatch[];
}

/**
 * Scores leads and ranks their matches, cached per lead version (by the content of its
 * features): a lead read again unchanged is never recomputed; a changed lead is a new key,
 * so never stale.
 */
export interface LeadEvaluator {
  /** Scores of one tenant's leads. */
  scores(tenantId: string, leads: readonly LeadFeatures[], options?: EvaluationOptions): Promise<Map<string, ScoreResult>>;
  /** Ranked matches of one tenant's leads. */
  matches(tenantId: string, leads: readonly LeadFeatures[], options?: Pick<EvaluationOptions, "executor">): Promise<Map<string, RankedMatch[]>>;
  /** Both, concurrently (they read different things), e.g. when a lead changes. */
  evaluate(tenantId: string, leads: readonly LeadFeatures[], options?: EvaluationOptions): Promise<Map<string, LeadEvaluation>>;
  /** The caches, for metrics in tests. */
  readonly caches: { scores: Cache<ScoreResult>; matches: Cache<RankedMatch[]> };
}

/**
 * The lead and what its evaluation depends on. Keyed by content rather than by revision
 * number: a writer evaluates features before it commits them, and two writers racing on one
 * lead may evaluate different features under the same next revision.
 */
function cacheKey(features: LeadFeatures): string {
  const content = createHash("sha256").update(featuresFingerprint(features)).digest("base64url");
  return `${features.tenantId}:${features.leadId}:${content}`;
}

function profiles(leads: readonly LeadFeatures[]): ProfileOfLead[] {
  return leads.map((lead) => ({ leadId: lead.leadId, profile: searchProfile(lead) }));
}

/**
 * Runs `compute` for the leads missing from `cache` (one batch, so one statement per
 * batch whatever the number of leads) and returns every lead's value.
 */
async function cached<V extends NonNullable<unknown>>(
  cache: Cache<V>,
  leads: readonly LeadFeatures[],
  fresh: boolean,
  compute: (missing: readonly LeadFeatures[]) => Promise<Map<string, V>>,
): Promise<Map<string, V>> {
  const result = new Map<string, V>();
  const missing: LeadFeatures[] = [];
  for (const lead of leads) {
    const hit = fresh ? undefined : cache.get(cacheKey(lead));
    if (hit === undefined) missing.push(lead);
    else result.set(lead.leadId, hit);
  }
  if (missing.length > 0) {
    const computed = await compute(missing);
    for (const lead of missing) {
      const value = computed.get(lead.leadId);
      if (value === undefined) continue;
      cache.set(cacheKey(lead), value);
      result.set(lead.leadId, value);
    }
  }
  return result;
}

/** Creates the evaluator over the subgraph's pool; statements run in tenant transactions. */
export function createLeadEvaluator(db: Kysely<IntelligenceDatabase>, options: LeadEvaluatorOptions = {}): LeadEvaluator {
  const now = options.now ?? (() => new Date());
  const sizing = { maxEntries: options.cacheEntries ?? 10_000, ttlMs: options.cacheTtlMs ?? 5 * 60_000 };
  const caches = {
    scores: createCache<ScoreResult>({ name: "intelligence_scores", ...sizing }),
    matches: createCache<RankedMatch[]>({ name: "intelligence_matches", ...sizing }),
  };

  function inTenant<T>(tenantId: string, executor: Kysely<IntelligenceDatabase> | undefined, run: (db: Kysely<IntelligenceDatabase>) => Promise<T>): Promise<T> {
    return executor ? run(executor) : withTenant(db, tenantId, run);
  }

  function scores(tenantId: string, leads: readonly LeadFeatures[], { fresh = false, executor }: EvaluationOptions = {}): Promise<Map<string, ScoreResult>> {
    return cached(caches.scores, leads, fresh, async (missing) => {
      // A lead without a maximum budget affords nothing: only the others are counted, and
      // none at all costs no transaction.
      const priced = profiles(missing).filter(({ profile }) => profile.budgetMax !== null);
      const affordable = priced.length > 0 ? await inTenant(tenantId, executor, (trx) => countAffordable(trx, tenantId, priced, AVAILABLE_LISTING_STATUSES)) : new Map<string, number>();
      return new Map(missing.map((features) => [features.leadId, scoreLead({ features, affordableListings: affordable.get(features.leadId) ?? 0 })]));
    });
  }

  function matches(tenantId: string, leads: readonly LeadFeatures[], { executor }: Pick<EvaluationOptions, "executor"> = {}): Promise<Map<string, RankedMatch[]>> {
    return cached(caches.matches, leads, false, async (missing) => {
      const searches = profiles(missing);
      const candidates = await inTenant(tenantId, executor, (trx) => findCandidates(trx, tenantId, searches, AVAILABLE_LISTING_STATUSES));
      const at = now();
      return new Map(searches.map(({ leadId, profile }) => [leadId, rankMatches(profile, (candidates.get(leadId) ?? []).map(toProperty), at)]));
    });
  }

  return {
    caches,
    scores,
    matches,
    async evaluate(tenantId, leads, options = {}) {
      const [scored, matched] = await Promise.all([scores(tenantId, leads, options), matches(tenantId, leads, options)]);
      const result = new Map<string, LeadEvaluation>();
      for (const lead of leads) {
        const score = scored.get(lead.leadId);
        if (score) result.set(lead.leadId, { score, matches: matched.get(lead.leadId) ?? [] });
      }
      return result;
    },
  };
}
