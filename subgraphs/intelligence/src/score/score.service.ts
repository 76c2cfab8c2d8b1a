import type { Kysely } from "kysely";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { appendEvents } from "../../../../lib/events/event-log";
import { UserErrorCode, userError } from "../../../../lib/graphql/user-error";
import { isUuid, uuidv7 } from "../../../../lib/ids";
import type { IntelligenceDatabase, ScoreRow } from "../database";
import type { LeadEvaluation, LeadEvaluator } from "../evaluation/lead-evaluator";
import { featuresFingerprint, type LeadFeatures } from "../features/lead-features";
import { ScoreTier } from "./score.enums";
import { findFeatures } from "../features/lead-features.repository";
import type { RescoreLeadInput } from "./score.inputs";
import { factorsJson, toLeadScore } from "./score.mapper";
import type { RescoreLeadPayload } from "./score.payloads";
import { insertScores } from "./score.repository";

/** The producer name intelligence appends events under. */
export const INTELLIGENCE_PRODUCER = "intelligence";

const TIERS = new Set<string>(Object.values(ScoreTier));

function asTier(value: string | null): ScoreTier | null {
  return value !== null && TIERS.has(value) ? (value as ScoreTier) : null;
}

/** Evaluations made on the pool before a writer took its locks, with the features they are for. */
export interface EarlyEvaluation {
  /** `featuresFingerprint` of each lead as evaluated. */
  fingerprints: ReadonlyMap<string, string>;
  evaluations: ReadonlyMap<string, LeadEvaluation>;
}

/**
 * Evaluates leads on the pool, outside any transaction, so scoring and matching run at once
 * on connections of their own. Writers do this before taking their row locks: waiting for
 * pool connections while holding one could starve the pool.
 */
export async function evaluateEarly(evaluator: LeadEvaluator, tenantId: string, leads: readonly LeadFeatures[], options: { fresh?: boolean } = {}): Promise<EarlyEvaluation> {
  return { fingerprints: new Map(leads.map((lead) => [lead.leadId, featuresFingerprint(lead)])), evaluations: await evaluator.evaluate(tenantId, leads, options) };
}

/**
 * Scores one tenant's leads and records the scores in the caller's transaction (which has
 * the tenant set and holds the leads' row locks): a row per lead in the history and a
 * `LeadScored` event (with the previous tier), so the score and its announcement commit
 * together. An early evaluation is used for each lead whose features are still the ones it
 * was made for; a lead that moved meanwhile is evaluated again on the transaction's own connection.
 */
export async function recordScores(
  trx: Kysely<IntelligenceDatabase>,
  evaluator: LeadEvaluator,
  tenantId: string,
  leads: readonly LeadFeatures[],
  options: { fresh?: boolean; early?: EarlyEvaluation } = {},
): Promise<Map<string, ScoreRow>> {
  if (leads.length === 0) return new Map();
  const { early } = options;
  const evaluations = new Map<string, LeadEvaluation>();
  const moved: LeadFeatures[] = [];
  for (const lead of leads) {
    const evaluation = early?.fingerprints.get(lead.leadId) === featuresFingerprint(lead) ? early.evaluations.get(lead.leadId) : undefined;
    if (evaluation) evaluations.set(lead.leadId, evaluation);
    else moved.push(lead);
  }
  if (moved.length > 0) {
    const fresh = options.fresh !== undefined ? { fresh: options.fresh } : {};
    for (const [leadId, evaluation] of await evaluator.evaluate(tenantId, moved, { ...fresh, executor: trx })) evaluations.set(leadId, evaluation);
  }
  const rows = await insertScores(
    trx,
    tenantId,
    leads.flatMap((lead) => {
      const evaluation = evaluations.get(lead.leadId);
      if (!evaluation) return [];
      const { score } = evaluation;
      return [{ id: uuidv7(), tenant_id: tenantId, lead_id: lead.leadId, value: score.value, tier: score.tier, factors: factorsJson(score.factors), model_version: score.modelVersion, revision: lead.revision }];
    }),
  );
  await appendEvents(
    trx,
    INTELLIGENCE_PRODUCER,
    rows.map((row) => ({
      type: "LeadScored" as const,
      tenantId,
      aggregateId: row.lead_id,
      payload: {
        scoreId: row.id,
        value: row.value,
        tier: asTier(row.tier) ?? ScoreTier.COLD,
        previousTier: asTier(row.previous_tier),
        modelVersion: row.model_version,
        revision: row.revision,
      },
    })),
  );
  return new Map(rows.map((row) => [row.lead_id, row]));
}

/**
 * `rescoreLead`: scores the lead now, against today's market, even at a revision already
 * scored, and records it like any other score.
 */
export async function rescoreLead(db: Kysely<IntelligenceDatabase>, evaluator: LeadEvaluator, identity: Identity, input: RescoreLeadInput): Promise<RescoreLeadPayload> {
  if (!isUuid(input.leadId)) return { lead: null, score: null, userErrors: [userError(UserErrorCode.INVALID_INPUT, "is not a valid lead id", "leadId")] };
  const leadId = input.leadId.toLowerCase();
  const tenantId = identity.tenant;
  const notFound: RescoreLeadPayload = { lead: null, score: null, userErrors: [userError(UserErrorCode.NOT_FOUND, "no lead with this id", "leadId")] };
  const [unlocked] = await withTenant(db, tenantId, (trx) => findFeatures(trx, tenantId, [leadId]));
  if (!unlocked) return notFound;
  const early = await evaluateEarly(evaluator, tenantId, [unlocked], { fresh: true });
  return withTenant(db, tenantId, async (trx) => {
    const [features] = await findFeatures(trx, tenantId, [leadId], { forUpdate: true });
    if (!features) return notFound;
    const row = (await recordScores(trx, evaluator, tenantId, [features], { fresh: true, early })).get(leadId);
    return { lead: { id: leadId }, score: row ? toLeadScore(row) : null, userErrors: [] };
  });
}
